// leak: every -every, main starts -batch goroutines that each allocate -keep-kib KiB (kept alive by
// the goroutine) and then block forever receiving from a channel nobody sends on: a steady
// goroutine leak, for -seconds seconds. Main also allocates -garbage-kib KiB of short-lived
// garbage per wake-up, so the GC cycles. Standard library only; written for gmpviz's fidelity tests.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

var never = make(chan struct{})

var garbage [8][]byte

func leaked(keepBytes int) {
	b := make([]byte, keepBytes) // a size known only at run time: on the heap
	b[0] = 1
	<-never
	runtime.KeepAlive(b)
}

func main() {
	batch := flag.Int("batch", 10, "goroutines leaked per wake-up")
	every := flag.Duration("every", time.Millisecond, "time between wake-ups")
	keepKiB := flag.Int("keep-kib", 1, "bytes each leaked goroutine keeps, KiB")
	garbageKiB := flag.Int("garbage-kib", 256, "short-lived bytes main allocates per wake-up, KiB")
	seconds := flag.Float64("seconds", 1.5, "how long to leak")
	flag.Parse()
	if *batch <= 0 || *every <= 0 || *keepKiB <= 0 || *garbageKiB < 0 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "leak: bad flags")
		os.Exit(2)
	}
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	leakedTotal := 0
	for time.Now().Before(deadline) {
		for j := 0; j < *batch; j++ {
			go leaked(*keepKiB << 10)
		}
		leakedTotal += *batch
		for k := 0; k < *garbageKiB/8; k++ {
			garbage[k%len(garbage)] = make([]byte, 8<<10)
		}
		time.Sleep(*every)
	}
	report(start, "leaked", leakedTotal)
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
