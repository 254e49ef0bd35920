// Command benchprog writes a big execution trace for `gmpviz bench --gotrace`:
//
//	benchprog SECONDS OUT.trace [sched]
//
// Eight goroutines allocate small objects and hand some over a channel to a consumer that also
// waits on timers: allocation-heavy (run it with GODEBUG=traceallocfree=1) and scheduler-heavy.
//
// With "sched": scheduler events only, many of them (a big trace in a few seconds): sixteen
// goroutines yield in a loop (GoStop/GoStart, run queues and steals) while two pairs hand a value
// back and forth over unbuffered channels (GoBlock/GoUnblock, the wake-ups across Ms).
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

type node struct {
	next *node
	buf  [48]byte
}

var sink any

func main() {
	secs, _ := strconv.ParseFloat(os.Args[1], 64)
	if secs <= 0 {
		secs = 3
	}
	f, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	if len(os.Args) > 3 && os.Args[3] == "sched" {
		sched(secs)
	} else {
		big(secs)
	}
	trace.Stop()
	f.Close()
}

func big(secs float64) {
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	var wg sync.WaitGroup
	ch := make(chan *node, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep []*node
			for time.Now().Before(end) {
				for j := 0; j < 200; j++ {
					n := &node{}
					if j%5 == 0 {
						keep = append(keep, n)
					}
				}
				if len(keep) > 4000 {
					keep = keep[:0]
				}
				select {
				case ch <- &node{}:
				default:
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Now().Before(end) {
			select {
			case n := <-ch:
				sink = n
			case <-time.After(50 * time.Microsecond):
			}
		}
	}()
	wg.Wait()
}

func sched(secs float64) {
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				for j := 0; j < 100; j++ {
					runtime.Gosched()
				}
			}
		}()
	}
	for w := 0; w < 2; w++ {
		a, b := make(chan int), make(chan int)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(end); i++ {
				a <- i
				<-b
			}
			close(a)
		}()
		go func() {
			defer wg.Done()
			for v := range a {
				b <- v
			}
		}()
	}
	wg.Wait()
}
