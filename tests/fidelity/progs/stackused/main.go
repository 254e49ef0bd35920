// stackused parks -n goroutines at one park site and prints, after a forced GC, the stack bytes
// that GC scanned (/gc/scan/stack:bytes, the same gcController.lastStackScan gctrace prints as
// "MB stacks": the used part stack.hi - sched.sp of every goroutine's stack). The difference between
// a run with -n N and a run with -n 0, divided by N, is the used stack of one goroutine parked there.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 20000, "goroutines to park")
	site := flag.String("site", "chanrecv", "chanrecv, chansend, select, sleep, mutex, wgwait, block, piperead")
	flag.Parse()
	debug.SetGCPercent(-1)
	never := make(chan int)
	never2 := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	mu.Lock()
	started := make(chan struct{}, 1024)
	var keep []*os.File // the write ends stay open
	for i := 0; i < *n; i++ {
		switch *site {
		case "chanrecv":
			go func() { started <- struct{}{}; <-never }()
		case "chansend":
			go func() { started <- struct{}{}; never <- 1 }()
		case "select":
			go func() {
				started <- struct{}{}
				select {
				case <-never:
				case <-never2:
				}
			}()
		case "sleep":
			go func() { started <- struct{}{}; time.Sleep(time.Hour) }()
		case "mutex":
			go func() { started <- struct{}{}; mu.Lock() }()
		case "wgwait":
			go func() { started <- struct{}{}; wg.Wait() }()
		case "block":
			go func() { started <- struct{}{}; select {} }()
		case "piperead":
			r, w, err := os.Pipe() // a non-blocking fd: the reader parks in the netpoller (IO wait)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			keep = append(keep, w)
			go func() { started <- struct{}{}; var b [1]byte; r.Read(b[:]) }()
		default:
			fmt.Fprintln(os.Stderr, "unknown site", *site)
			os.Exit(2)
		}
		<-started
	}
	time.Sleep(50 * time.Millisecond) // let every goroutine reach its park site
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/scan/stack:bytes"}}
	metrics.Read(s)
	runtime.KeepAlive(keep)
	fmt.Printf("stackused: site=%s n=%d stack_scan_bytes=%d goroutines=%d\n",
		*site, *n, s[0].Value.Uint64(), runtime.NumGoroutine())
}
