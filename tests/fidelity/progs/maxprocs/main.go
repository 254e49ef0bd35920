// maxprocs: -cpu CPU-bound goroutines and -allocators goroutines allocating 4 KiB garbage at
// -rate-mib-s MiB/s (paced as ringalloc is), on GOMAXPROCS=-from Ps; at half time main calls
// runtime.GOMAXPROCS(-to). Standard library only; written for gmpviz's fidelity tests.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func spin(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var sink [64]uint64

var garbage [64][]byte

const objBytes = 4 << 10

func allocator(id int, bytesPerNs float64, deadline time.Time, done *int, wg *sync.WaitGroup) {
	defer wg.Done()
	start := time.Now()
	allocated := 0
	for time.Now().Before(deadline) {
		for k := 0; k < 64; k++ { // 256 KiB per batch
			b := make([]byte, objBytes)
			b[0] = byte(k)
			garbage[(id*8+k)%len(garbage)] = b
			allocated += objBytes
		}
		due := start.Add(time.Duration(float64(allocated) / bytesPerNs))
		if ahead := time.Until(due); ahead > 0 {
			time.Sleep(ahead)
		}
	}
	*done = allocated
}

func main() {
	from := flag.Int("from", 2, "GOMAXPROCS for the first half")
	to := flag.Int("to", 4, "GOMAXPROCS for the second half")
	cpu := flag.Int("cpu", 4, "CPU-bound goroutines")
	allocators := flag.Int("allocators", 2, "allocating goroutines")
	rateMiBs := flag.Float64("rate-mib-s", 256, "allocation rate of all allocators together, MiB/s")
	seconds := flag.Float64("seconds", 1.5, "how long to run")
	flag.Parse()
	if *from <= 0 || *to <= 0 || *cpu < 0 || *allocators <= 0 || *rateMiBs <= 0 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "maxprocs: bad flags")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*from)
	total := time.Duration(*seconds * float64(time.Second))
	start := time.Now()
	deadline := start.Add(total)
	var wg sync.WaitGroup
	allocated := make([]int, *allocators)
	for i := 0; i < *cpu; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			x := uint64(id + 1)
			for time.Now().Before(deadline) {
				x = spin(x, 1<<16)
			}
			sink[id%len(sink)] = x
		}(i)
	}
	bytesPerNs := *rateMiBs * (1 << 20) / 1e9 / float64(*allocators)
	for i := 0; i < *allocators; i++ {
		wg.Add(1)
		go allocator(i, bytesPerNs, deadline, &allocated[i], &wg)
	}
	time.Sleep(total / 2)
	runtime.GOMAXPROCS(*to)
	wg.Wait()
	sum := 0
	for _, a := range allocated {
		sum += a
	}
	report(start, "allocated_mib", sum>>20)
}

// report prints one `fidelity:` line on stdout: the process's CPU time (getrusage: user + system),
// wall time and bytes allocated (MemStats.TotalAlloc), then the program's own counts, so a table can tell a program that kept its pace
// from one the machine starved.
func report(start time.Time, counts ...any) {
	var ru syscall.Rusage
	cpu := -1.0
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	wall := time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("fidelity: cpu_s=%.3f wall_s=%.3f total_alloc_mib=%d", cpu, wall, ms.TotalAlloc>>20)
	for i := 0; i+1 < len(counts); i += 2 {
		fmt.Printf(" %v=%v", counts[i], counts[i+1])
	}
	fmt.Println()
}
