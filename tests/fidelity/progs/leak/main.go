// leak: every -every, main starts -batch goroutines that each allocate -keep-kib KiB (kept alive by
// the goroutine) and then block forever receiving from a channel nobody sends on: a steady
// goroutine leak, for -seconds seconds. Main also allocates -garbage-kib KiB of short-lived
// garbage per wake-up, so the GC cycles. Standard library only; written for gmpviz's fidelity tests.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

var never = make(chan struct{})

var garbage [8][]byte

func leaked(keepBytes int) {
	b := make([]byte, keepBytes) // a size known only at run time: on the heap
	b[0] = 1
	<-never
	runtime.KeepAlive(b)
}

func main() {
	batch := flag.Int("batch", 10, "goroutines leaked per wake-up")
	every := flag.Duration("every", time.Millisecond, "time between wake-ups")
	keepKiB := flag.Int("keep-kib", 1, "bytes each leaked goroutine keeps, KiB")
	garbageKiB := flag.Int("garbage-kib", 256, "short-lived bytes main allocates per wake-up, KiB")
	seconds := flag.Float64("seconds", 1.5, "how long to leak")
	flag.Parse()
	if *batch <= 0 || *every <= 0 || *keepKiB <= 0 || *garbageKiB < 0 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "leak: bad flags")
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	for i := 0; time.Now().Before(deadline); i++ {
		for j := 0; j < *batch; j++ {
			go leaked(*keepKiB << 10)
		}
		for k := 0; k < *garbageKiB/8; k++ {
			garbage[k%len(garbage)] = make([]byte, 8<<10)
		}
		time.Sleep(*every)
	}
}
