// markcost: builds a live heap of -objs objects of one -shape (ptr8: 64 B, 8 pointers; ptr2: 64 B,
// 2 pointers then 6 plain words; ptr32: 256 B, 32 pointers; noscan: 64 B, no pointers), each
// pointer to a random object of the heap (pointer-dense and cache-unfriendly), then forces -gcs
// collections with runtime.GC while nothing else runs, and prints the process CPU time per
// collection (getrusage: on a loaded machine gctrace's `ms cpu` counts the time a worker's thread
// waited for a CPU, this does not). Run with GOMAXPROCS=1 it is the mark cost of that heap;
// gmpviz's per-object and per-word scan constants (gmpviz/core/gc/mgcmark.py) come from these
// runs, made for that and nothing else. Standard
// library only; written for gmpviz's fidelity tests. Build with GOEXPERIMENT=nogreenteagc for the
// classic marker.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// cpuNs is the process's user+system CPU time: on a loaded machine the wall time gctrace
// reports for a mark worker includes the time its thread waited for a CPU; this does not.
func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type node8 struct{ p [8]*node8 }   // 64 B, all pointers
type node2 struct {
	p [2]*node2
	_ [6]uintptr
} // 64 B, 2 pointers
type node32 struct{ p [32]*node32 } // 256 B, all pointers
type leaf struct{ _ [8]uintptr }    // 64 B, no pointers

var keep []any

func main() {
	objs := flag.Int("objs", 1_000_000, "live objects")
	shape := flag.String("shape", "ptr8", "ptr8 | ptr2 | ptr32 | noscan")
	gcs := flag.Int("gcs", 8, "forced collections")
	flag.Parse()
	rng := rand.New(rand.NewSource(1))
	n := *objs
	switch *shape {
	case "ptr8":
		a := make([]*node8, n)
		for i := range a {
			a[i] = new(node8)
		}
		for _, x := range a {
			for j := range x.p {
				x.p[j] = a[rng.Intn(n)]
			}
		}
		keep = append(keep, a)
	case "ptr2":
		a := make([]*node2, n)
		for i := range a {
			a[i] = new(node2)
		}
		for _, x := range a {
			for j := range x.p {
				x.p[j] = a[rng.Intn(n)]
			}
		}
		keep = append(keep, a)
	case "ptr32":
		a := make([]*node32, n)
		for i := range a {
			a[i] = new(node32)
		}
		for _, x := range a {
			for j := range x.p {
				x.p[j] = a[rng.Intn(n)]
			}
		}
		keep = append(keep, a)
	case "noscan":
		a := make([]*leaf, n)
		for i := range a {
			a[i] = new(leaf)
		}
		keep = append(keep, a)
	default:
		fmt.Fprintln(os.Stderr, "markcost: unknown -shape")
		os.Exit(2)
	}
	runtime.GC()
	t0, c0 := time.Now(), cpuNs()
	for i := 0; i < *gcs; i++ {
		runtime.GC()
	}
	c1 := cpuNs()
	fmt.Printf("fidelity: objs=%d shape=%s gcs=%d wall_ms=%.3f cpu_ms_per_gc=%.3f ptrsize=%d\n", n, *shape,
		*gcs, float64(time.Since(t0).Microseconds())/1000, float64(c1-c0)/1e6/float64(*gcs),
		unsafe.Sizeof(uintptr(0)))
	runtime.KeepAlive(keep)
}
