// safepoint measures how long a stop-the-world waits for running goroutines to reach a safe point
// (stopTheWorldWithSema's wait on sched.stopnote after preemptall), by what those goroutines do.
// It is a measurement of its own for gmpviz's safe-point latency model (core/sched/safepoint.py),
// never one of the fidelity programs the model is checked against.
//
// -busy goroutines run one of these loops while main calls runtime.ReadMemStats -n times, -gap apart
// (ReadMemStats stops the world: stopTheWorld(stwReadMemStats), counted in "other" pauses):
//
//	idle     no busy goroutine (the STW machinery alone)
//	spin     a tight loop with no calls: only the async-preemption signal (preemptM) stops it
//	call     a loop calling a non-inlined function: the prologue's stack check sees stackPreempt
//	alloc    a loop allocating 64 B objects: mallocgc's calls reach the check
//	gosched  a loop on runtime.Gosched (goschedIfBusy's yield: sched.lock twice per iteration)
//
// It prints the /sched/pauses/stopping/other:seconds histogram's p10/p50/p90 (the time from
// stopTheWorld's start until every P stopped) and the total pause's, in microseconds.
package main

import (
	"flag"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

var sink atomic.Uint64
var keep []*[8]uint64

//go:noinline
func work(x uint64) uint64 { return x*2654435761 + 1 }

func busy(mode string, stop *atomic.Bool) {
	var x uint64
	switch mode {
	case "spin":
		for !stop.Load() {
			for i := 0; i < 1_000_000; i++ { // no call, no allocation: no synchronous safe point
				x = x*2654435761 + uint64(i)
			}
		}
	case "call":
		for !stop.Load() {
			x = work(x)
		}
	case "alloc":
		ring := make([]*[8]uint64, 1024)
		for i := 0; !stop.Load(); i++ {
			ring[i&1023] = new([8]uint64)
		}
		keep = ring[:1]
	case "gosched":
		for !stop.Load() {
			runtime.Gosched()
		}
	}
	sink.Add(x)
}

func quantiles(h *metrics.Float64Histogram, qs []float64) []float64 {
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	out := make([]float64, len(qs))
	for qi, q := range qs {
		want := uint64(math.Ceil(q * float64(total)))
		var acc uint64
		for i, c := range h.Counts {
			acc += c
			if acc >= want && c > 0 {
				lo, hi := h.Buckets[i], h.Buckets[i+1]
				if math.IsInf(hi, 1) {
					hi = lo
				}
				if math.IsInf(lo, -1) {
					lo = hi
				}
				out[qi] = (lo + hi) / 2 * 1e6
				break
			}
		}
	}
	return out
}

func main() {
	mode := flag.String("mode", "spin", "idle, spin, call, alloc, gosched")
	nbusy := flag.Int("busy", 1, "busy goroutines")
	n := flag.Int("n", 500, "stop-the-worlds")
	gap := flag.Duration("gap", 200*time.Microsecond, "time between them")
	flag.Parse()
	var stop atomic.Bool
	if *mode != "idle" {
		for i := 0; i < *nbusy; i++ {
			go busy(*mode, &stop)
		}
	}
	time.Sleep(20 * time.Millisecond)
	samples := []metrics.Sample{
		{Name: "/sched/pauses/stopping/other:seconds"},
		{Name: "/sched/pauses/total/other:seconds"},
	}
	metrics.Read(samples)
	var before [2][]uint64 // metrics.Read reuses the histograms' storage: keep a copy
	for k := range before {
		before[k] = append([]uint64(nil), samples[k].Value.Float64Histogram().Counts...)
	}
	var ms runtime.MemStats
	for i := 0; i < *n; i++ {
		runtime.ReadMemStats(&ms)
		time.Sleep(*gap)
	}
	metrics.Read(samples)
	stop.Store(true)
	qs := []float64{0.1, 0.5, 0.9}
	for k, name := range []string{"stopping", "total"} {
		h := samples[k].Value.Float64Histogram()
		d := &metrics.Float64Histogram{Buckets: h.Buckets, Counts: make([]uint64, len(h.Counts))}
		for i := range h.Counts {
			d.Counts[i] = h.Counts[i] - before[k][i]
		}
		q := quantiles(d, qs)
		fmt.Printf("mode=%s busy=%d gomaxprocs=%d %s_us p10=%.1f p50=%.1f p90=%.1f\n",
			*mode, *nbusy, runtime.GOMAXPROCS(0), name, q[0], q[1], q[2])
	}
}
