// pipecost measures what an os.Pipe transfer costs the CPU, from one goroutine (no wake-ups, no
// netpoll: the pipe never blocks): -n writes of -kib KiB, each read back at once. It reports the
// median over -rounds rounds of the process CPU time (getrusage user+sys, so that a loaded machine's
// waiting is left out) per write+read pair: what gmpviz's pipe op charges for the two system calls
// (COST_PIPE_* in gmpviz/core/sched/pipe.py).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"syscall"
)

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func main() {
	n := flag.Int("n", 20000, "transfers per round")
	kib := flag.Int("kib", 4, "KiB per transfer")
	rounds := flag.Int("rounds", 7, "rounds")
	flag.Parse()
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buf := make([]byte, *kib<<10)
	var pairs []float64
	for k := 0; k < *rounds; k++ {
		t0 := cpuNs()
		for i := 0; i < *n; i++ {
			if _, err := w.Write(buf); err != nil {
				panic(err)
			}
			if _, err := r.Read(buf); err != nil {
				panic(err)
			}
		}
		pairs = append(pairs, float64(cpuNs()-t0)/float64(*n))
	}
	sort.Float64s(pairs)
	fmt.Printf("pipecost: kib=%d cpu_ns_per_write_read=%.0f [%.0f-%.0f] (median [min-max] of %d rounds of %d)\n",
		*kib, pairs[len(pairs)/2], pairs[0], pairs[len(pairs)-1], *rounds, *n)
}
