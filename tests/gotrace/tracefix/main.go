// Command tracefix runs one small workload under runtime/trace, for gmpviz's trace-reader tests.
//
//	tracefix MODE OUT.trace
//
// Modes: cpu (more goroutines than Ps), alloc (allocation-heavy; run with GODEBUG=traceallocfree=1),
// syscall (pipes and file syscalls), leak (goroutines left blocked), procs (GOMAXPROCS changes),
// gc (runtime.GC() with tasks, regions and logs; the tests run it with traceallocfree=1 too, for the
// frees its sweeps make).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

var sink any

func cpu() {
	var wg sync.WaitGroup
	n := 4 * runtime.GOMAXPROCS(0)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(seed int) {
			defer wg.Done()
			x := seed
			for j := 0; j < 3_000_000; j++ {
				x = x*1103515245 + 12345
			}
			sink = x
		}(i)
	}
	wg.Wait()
}

type node struct {
	next *node
	buf  [48]byte
}

func alloc() {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep []*node
			for j := 0; j < 5000; j++ {
				n := &node{}
				if j%7 == 0 {
					keep = append(keep, n)
				}
				if j%1000 == 0 {
					sink = make([]byte, 64<<10) // a large object: its own span
					keep = keep[:0]
				}
			}
			sink = keep
		}()
	}
	wg.Wait()
}

func syscalls() {
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	done := make(chan int)
	go func() {
		buf := make([]byte, 512)
		total := 0
		for {
			n, err := r.Read(buf)
			total += n
			if err == io.EOF {
				break
			}
		}
		done <- total
	}()
	msg := make([]byte, 256)
	for i := 0; i < 200; i++ {
		if _, err := w.Write(msg); err != nil {
			panic(err)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	w.Close()
	<-done
	f, err := os.CreateTemp("", "tracefix")
	if err == nil {
		for i := 0; i < 50; i++ {
			f.Write(msg)
			f.Sync()
		}
		f.Close()
		os.Remove(f.Name())
	}
}

func leak() {
	block := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 10; i++ {
		go func() { <-block }()
		go func() { mu.Lock() }()
	}
	go func() { select {} }()
	time.Sleep(5 * time.Millisecond)
}

func procs() {
	old := runtime.GOMAXPROCS(1)
	cpuFor(5 * time.Millisecond)
	runtime.GOMAXPROCS(3)
	cpuFor(5 * time.Millisecond)
	runtime.GOMAXPROCS(old)
	cpuFor(5 * time.Millisecond)
}

func cpuFor(d time.Duration) {
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			end := time.Now().Add(d)
			x := 0
			for time.Now().Before(end) {
				x++
			}
			sink = x
		}()
	}
	wg.Wait()
}

func gc() {
	ctx, task := trace.NewTask(context.Background(), "gc-task")
	for i := 0; i < 3; i++ {
		trace.WithRegion(ctx, "cycle", func() {
			trace.Logf(ctx, "gc", "cycle %d", i)
			sink = make([]byte, 1<<20)
			runtime.GC()
		})
	}
	task.End()
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tracefix MODE OUT.trace")
		os.Exit(2)
	}
	f, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	switch os.Args[1] {
	case "cpu":
		cpu()
	case "alloc":
		alloc()
	case "syscall":
		syscalls()
	case "leak":
		leak()
	case "procs":
		procs()
	case "gc":
		gc()
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
	trace.Stop()
	f.Close()
}
