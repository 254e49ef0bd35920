// markfixed measures what a GC cycle's mark phase costs when the heap holds almost nothing: the
// markroot jobs of the runtime's own roots (its data and BSS, the runtime's goroutines, the span
// roots) and of -n extra goroutines parked in a channel receive. It runs -cycles forced GCs
// (runtime.GC) with GOGC off between them and prints, per cycle, the median mark CPU the runtime
// itself accounts (runtime/metrics /cpu/classes/gc/mark/{assist,dedicated,idle}: the same
// gcController.assistTime, dedicated+fractionalMarkTime and idleMarkTime gctrace prints as "ms cpu")
// and the median concurrent-mark wall time (the gctrace clock field 2 is not readable from a
// program; /gc/pauses is the STW part). The difference between a run with -n N and -n 0, divided
// by N, is one parked goroutine's markroot stack job; a run with -n 0 is the fixed cost.
// Standard library only; written for gmpviz's fidelity tests (it is not one of the compared programs).
package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"time"
)

var names = []string{
	"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/gc/mark/dedicated:cpu-seconds",
	"/cpu/classes/gc/mark/idle:cpu-seconds",
}

func markCPU() float64 {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	t := 0.0
	for _, x := range s {
		t += x.Value.Float64()
	}
	return t
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

func main() {
	n := flag.Int("n", 0, "extra goroutines parked in <-ch")
	cycles := flag.Int("cycles", 41, "forced GC cycles measured")
	flag.Parse()
	debug.SetGCPercent(-1)
	never := make(chan int)
	started := make(chan struct{}, 1024)
	for i := 0; i < *n; i++ {
		go func() { started <- struct{}{}; <-never }()
		<-started
	}
	time.Sleep(20 * time.Millisecond)
	runtime.GC()
	runtime.GC() // stacks shrunk, spans swept: the cycles below all see the same state
	per := make([]float64, 0, *cycles)
	walls := make([]float64, 0, *cycles)
	for i := 0; i < *cycles; i++ {
		before := markCPU()
		t0 := time.Now()
		runtime.GC()
		walls = append(walls, float64(time.Since(t0).Nanoseconds()))
		per = append(per, (markCPU()-before)*1e9)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("markfixed: n=%d gomaxprocs=%d goroutines=%d mark_cpu_ns_median=%.0f gc_wall_ns_median=%.0f heap_alloc=%d\n",
		*n, runtime.GOMAXPROCS(0), runtime.NumGoroutine(), median(per), median(walls), ms.HeapAlloc)
}
