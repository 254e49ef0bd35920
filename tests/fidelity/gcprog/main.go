// gcprog: a Go program with a known live heap and a steady allocation rate, for comparing the
// real runtime's GC (GODEBUG=gctrace=1) with gmpviz's emulated pacer.
//
// It keeps -live-mib MiB reachable for the whole run (in -obj-kib KiB pointer-free chunks held by
// one slice), then allocates short-lived -obj-kib KiB objects at -alloc-mib-s MiB per second of
// wall time for -seconds seconds. Only the standard library is used.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

// sink keeps the latest short-lived objects reachable for a moment so the compiler cannot
// drop the allocations; the ring is small so they die young.
var sink [16][]byte

func main() {
	liveMiB := flag.Int("live-mib", 32, "live heap kept reachable, MiB")
	allocMiBs := flag.Float64("alloc-mib-s", 256, "allocation rate of short-lived objects, MiB/s")
	seconds := flag.Float64("seconds", 2, "how long to allocate")
	objKiB := flag.Int("obj-kib", 8, "size of each object, KiB")
	flag.Parse()
	if *liveMiB < 0 || *allocMiBs <= 0 || *seconds <= 0 || *objKiB <= 0 {
		fmt.Fprintln(os.Stderr, "gcprog: flags must be positive")
		os.Exit(2)
	}
	objBytes := *objKiB << 10

	live := make([][]byte, 0, (*liveMiB<<20)/objBytes)
	for i := 0; i < cap(live); i++ {
		b := make([]byte, objBytes)
		b[0] = byte(i)
		live = append(live, b)
	}

	rateBytesPerNs := *allocMiBs * float64(1<<20) / 1e9
	total := time.Duration(*seconds * float64(time.Second))
	start := time.Now()
	var allocated float64
	n := 0
	for {
		elapsed := time.Since(start)
		if elapsed >= total {
			break
		}
		target := rateBytesPerNs * float64(elapsed.Nanoseconds())
		if allocated >= target {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		for allocated < target {
			b := make([]byte, objBytes)
			b[0] = byte(n)
			sink[n%len(sink)] = b
			n++
			allocated += float64(objBytes)
		}
	}

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("gcprog: live_bytes=%d allocated_bytes=%d numgc=%d next_gc=%d gomaxprocs=%d\n",
		len(live)*objBytes, int64(allocated), ms.NumGC, ms.NextGC, runtime.GOMAXPROCS(0))
	runtime.KeepAlive(live)
}
