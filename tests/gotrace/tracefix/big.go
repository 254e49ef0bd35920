package main

import (
	"os"
	"strconv"
	"sync"
	"time"
)

// big: a scheduler- and allocator-heavy workload for TRACEFIX_SECONDS seconds (gmpviz bench --gotrace).
func big() {
	secs, _ := strconv.ParseFloat(os.Getenv("TRACEFIX_SECONDS"), 64)
	if secs <= 0 {
		secs = 3
	}
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
