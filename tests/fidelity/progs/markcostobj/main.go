// markcostobj: the object-queue half of markcost. It builds a live heap of -objs objects of one
// -shape (obj1k: 1 KiB, 128 pointers; obj8k: 8 KiB, 1,024 pointers; both above the 512 B limit of
// Green Tea's span path, so the marker scans them one by one through the object queue: scanobject,
// findObject, greyobject), each pointer to a random object of the heap, then forces -gcs
// collections with runtime.GC while nothing else runs, and prints the process CPU time per
// collection (getrusage). Shape "empty" builds nothing: the fixed CPU cost of one collection of
// an almost empty heap. Run with GOMAXPROCS=1. gmpviz's object-queue scan constants under Green Tea
// (gmpviz/core/gc/mgcmark.py) come from these runs, made for that and nothing else. Standard library
// only; written for gmpviz's fidelity tests (issue 15).
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"syscall"
	"time"
)

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type obj1k struct{ p [128]*obj1k }  // 1 KiB, all pointers
type obj8k struct{ p [1024]*obj8k } // 8 KiB, all pointers

var keep []any

func main() {
	objs := flag.Int("objs", 16384, "live objects")
	shape := flag.String("shape", "obj1k", "obj1k | obj8k | empty")
	gcs := flag.Int("gcs", 8, "forced collections")
	flag.Parse()
	rng := rand.New(rand.NewSource(1))
	n := *objs
	switch *shape {
	case "obj1k":
		a := make([]*obj1k, n)
		for i := range a {
			a[i] = new(obj1k)
		}
		for _, x := range a {
			for j := range x.p {
				x.p[j] = a[rng.Intn(n)]
			}
		}
		keep = append(keep, a)
	case "obj8k":
		a := make([]*obj8k, n)
		for i := range a {
			a[i] = new(obj8k)
		}
		for _, x := range a {
			for j := range x.p {
				x.p[j] = a[rng.Intn(n)]
			}
		}
		keep = append(keep, a)
	case "empty":
		n = 0
	default:
		fmt.Fprintln(os.Stderr, "markcostobj: unknown -shape")
		os.Exit(2)
	}
	runtime.GC()
	t0, c0 := time.Now(), cpuNs()
	for i := 0; i < *gcs; i++ {
		runtime.GC()
	}
	c1 := cpuNs()
	fmt.Printf("fidelity: objs=%d shape=%s gcs=%d wall_ms=%.3f cpu_ms_per_gc=%.3f\n", n, *shape,
		*gcs, float64(time.Since(t0).Microseconds())/1000, float64(c1-c0)/1e6/float64(*gcs))
	runtime.KeepAlive(keep)
}
