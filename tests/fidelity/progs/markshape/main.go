// markshape: a live heap of one shape that the GC must mark, and paced garbage of the same shape.
// At start it builds -live-mib MiB of long-lived objects; then -workers goroutines allocate
// -rate-mib-s MiB per second of wall time between them, in batches of -batch objects, each
// batch kept only until the next one (garbage), sleeping after a batch until back on schedule.
// Shapes: small (64 B objects of 8 pointers, Green Tea's span path), large (8 KiB objects of
// 1,024 pointers, the object queue), noscan (256 B pointer-free objects: marked, never scanned).
// Each pointer of the live heap points to another live object (a random graph). Standard library
// only; written for gmpviz's fidelity tests (issue 15, marking).
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

type small struct{ p [8]*small }
type large struct{ p [1024]*large }
type plain struct{ _ [32]uint64 }

var live []any

func sizeOf(shape string) int {
	switch shape {
	case "small":
		return 64
	case "large":
		return 8192
	case "noscan":
		return 256
	}
	return 0
}

// build makes n objects of the shape, each pointer to a random one of them.
func build(shape string, n int, rng *rand.Rand) any {
	switch shape {
	case "small":
		a := make([]*small, n)
		for i := range a {
			a[i] = new(small)
		}
		for _, x := range a {
			for j := range x.p {
				x.p[j] = a[rng.Intn(n)]
			}
		}
		return a
	case "large":
		a := make([]*large, n)
		for i := range a {
			a[i] = new(large)
		}
		for _, x := range a {
			for j := range x.p {
				x.p[j] = a[rng.Intn(n)]
			}
		}
		return a
	default:
		a := make([]*plain, n)
		for i := range a {
			a[i] = new(plain)
		}
		return a
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	shape := flag.String("shape", "small", "small | large | noscan")
	liveMiB := flag.Int("live-mib", 32, "long-lived heap, MiB")
	rate := flag.Int("rate-mib-s", 256, "garbage, MiB per second (all workers)")
	workers := flag.Int("workers", 2, "allocating goroutines")
	batch := flag.Int("batch", 64, "objects per batch")
	seconds := flag.Float64("seconds", 1, "run time after the live heap is built")
	flag.Parse()
	size := sizeOf(*shape)
	if size == 0 || *workers < 1 || *batch < 1 {
		fmt.Fprintln(os.Stderr, "markshape: bad flags")
		os.Exit(2)
	}
	rng := rand.New(rand.NewSource(1))
	live = append(live, build(*shape, *liveMiB<<20/size, rng))
	batchBytes := float64(*batch * size)
	perWorker := float64(*rate<<20) / float64(*workers) // bytes per second
	every := time.Duration(batchBytes / perWorker * float64(time.Second))
	start := time.Now()
	end := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	batches := 0
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			next := time.Now()
			n := 0
			var keep any
			for time.Now().Before(end) {
				keep = build(*shape, *batch, r)
				n++
				next = next.Add(every)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
			}
			runtime.KeepAlive(keep)
			mu.Lock()
			batches += n
			mu.Unlock()
		}(int64(w + 2))
	}
	wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("fidelity: cpu_s=%.3f wall_s=%.3f total_alloc_mib=%d allocated_mib=%.0f\n", cpuSeconds(),
		time.Since(start).Seconds(), ms.TotalAlloc>>20, float64(batches)*batchBytes/(1<<20))
	runtime.KeepAlive(live)
}
