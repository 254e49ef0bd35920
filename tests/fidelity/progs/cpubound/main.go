// cpubound: -goroutines goroutines that only compute, for -seconds seconds, on however many Ps
// GOMAXPROCS gives (the fidelity runner sets more Ps than the machine has CPUs). Nothing allocates
// after start-up, so there are no GC cycles: the figures are the scheduler's (schedtrace).
// Standard library only; written for gmpviz's fidelity tests.
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

// spin does n rounds of an xorshift step: pure CPU, no memory traffic, no function calls the
// compiler could turn into preemption points other than the loop's own back edge.
func spin(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var sink [64]uint64

func main() {
	goroutines := flag.Int("goroutines", 8, "CPU-bound goroutines")
	seconds := flag.Float64("seconds", 1.5, "how long they compute")
	flag.Parse()
	if *goroutines <= 0 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "cpubound: flags must be positive")
		os.Exit(2)
	}
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	rounds := make([]int, *goroutines) // spin calls per goroutine
	for g := 0; g < *goroutines; g++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			x := uint64(id + 1)
			for time.Now().Before(deadline) {
				x = spin(x, 1<<16) // about 50-100 µs of work between clock reads
				rounds[id]++
			}
			sink[id%len(sink)] = x
		}(g)
	}
	wg.Wait()
	total := 0
	for _, r := range rounds {
		total += r
	}
	report(start, "spins", total)
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
