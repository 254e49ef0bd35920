// ringalloc: -workers goroutines allocate pointer-free objects from a fixed cycle of sizes between
// 8 B and 40 KiB into a ring of slots, so each object stays reachable until the ring comes round
// again: the live heap is about -live-mib MiB in all. Together they allocate -rate-mib-s MiB per
// second of wall time, paced: after each batch a worker sleeps until it is back on schedule
// ("sleep until back on schedule": if it is behind, it does not sleep). Standard library only;
// written for gmpviz's fidelity tests.
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

// sizes is the cycle every worker allocates, in order: a spread over the tiny, small and large
// (> 32 KiB) paths of mallocgc. The gmpviz scenario (scenarios/ringalloc.toml) lists the same.
var sizes = [...]int{8, 64, 256, 1024, 4096, 16384, 32768, 40960}

func cycleBytes() int {
	n := 0
	for _, s := range sizes {
		n += s
	}
	return n
}

func worker(ring [][]byte, bytesPerNs float64, batchCycles int, deadline time.Time, done *int, wg *sync.WaitGroup) {
	defer wg.Done()
	start := time.Now()
	allocated := 0
	slot := 0
	for {
		now := time.Now()
		if !now.Before(deadline) {
			*done = allocated
			return
		}
		for c := 0; c < batchCycles; c++ {
			for _, s := range sizes {
				b := make([]byte, s)
				b[0] = byte(slot)
				ring[slot] = b
				slot++
				if slot == len(ring) {
					slot = 0
				}
				allocated += s
			}
		}
		due := start.Add(time.Duration(float64(allocated) / bytesPerNs))
		if ahead := time.Until(due); ahead > 0 {
			time.Sleep(ahead)
		}
	}
}

func main() {
	workers := flag.Int("workers", 2, "allocating goroutines")
	rateMiBs := flag.Float64("rate-mib-s", 1024, "allocation rate of all workers together, MiB/s")
	liveMiB := flag.Float64("live-mib", 48, "bytes kept reachable by the rings together, MiB")
	batchCycles := flag.Int("batch-cycles", 4, "size cycles allocated between two pacing checks")
	seconds := flag.Float64("seconds", 1.5, "how long to allocate")
	flag.Parse()
	if *workers <= 0 || *rateMiBs <= 0 || *liveMiB <= 0 || *batchCycles <= 0 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "ringalloc: flags must be positive")
		os.Exit(2)
	}
	// a ring holds whole cycles, so its bytes are cycles * cycleBytes
	cyclesPerRing := int(*liveMiB*(1<<20)/float64(*workers)/float64(cycleBytes())) + 1
	bytesPerNs := *rateMiBs * (1 << 20) / 1e9 / float64(*workers)
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	rings := make([][][]byte, *workers)
	allocated := make([]int, *workers)
	for w := range rings {
		rings[w] = make([][]byte, cyclesPerRing*len(sizes))
		wg.Add(1)
		go worker(rings[w], bytesPerNs, *batchCycles, deadline, &allocated[w], &wg)
	}
	wg.Wait()
	total := 0
	for _, a := range allocated {
		total += a
	}
	report(start, "allocated_mib", total>>20)
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
