// stwwake measures what the two stop-the-world phases of a GC cycle cost when there is nothing to
// stop: -cycles forced GCs (runtime.GC) of a program with an empty heap and one goroutine, GOGC off,
// sleeping -sleep between cycles so that every other P is idle and its M parked when the next cycle
// starts. Run it with GODEBUG=gctrace=1: each gctrace line's first clock field is the
// sweep-termination STW (gcStart's `now` to startTheWorldWithSema's return), the third the
// mark-termination STW. With GOMAXPROCS=1 no other P exists; with GOMAXPROCS=2 the sweep-termination
// startTheWorldWithSema hands the idle P a mark worker (procresize -> assignWaitingGCWorker) and
// wakes a parked M for it (notewakeup), so the difference between the two runs is what that wake-up
// costs the stopper before its nanotime() (on the 2-core dev machine: the woken thread's vCPU and
// the waker's share a CPU for a while). Standard library only; written for gmpviz's fidelity tests
// (it is not one of the compared programs). Run:
//
//	go build -o /tmp/stwwake . && GOMAXPROCS=2 GODEBUG=gctrace=1 /tmp/stwwake 2>&1 | grep '^gc '
package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"
)

func main() {
	cycles := flag.Int("cycles", 200, "forced GC cycles")
	sleep := flag.Duration("sleep", 2*time.Millisecond, "pause between cycles (the other Ps' Ms park)")
	flag.Parse()
	debug.SetGCPercent(-1)
	runtime.GC()
	runtime.GC() // spans swept, stacks shrunk: the cycles below all see the same state
	for i := 0; i < *cycles; i++ {
		time.Sleep(*sleep)
		runtime.GC()
	}
	fmt.Printf("stwwake: cycles=%d gomaxprocs=%d\n", *cycles, runtime.GOMAXPROCS(0))
}
