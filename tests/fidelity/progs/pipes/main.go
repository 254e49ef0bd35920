// pipes: -pipes writer/reader pairs on os.Pipe (the runtime polls pipes: a read that would block
// parks in the netpoller), -files goroutines reading a temporary file in -read-kib KiB blocks
// (plain read(2) syscalls on the page cache), and -cpu CPU-bound goroutines beside them, for
// -seconds seconds. Each writer writes -chunks chunks of -chunk-kib KiB, then sleeps -every; each
// reader copies what it read into a new message (short-lived garbage); a file reader does -reads
// reads, then sleeps -every.
// Standard library only; written for gmpviz's fidelity tests.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func spin(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var sink [64]uint64

func writer(w *os.File, chunk []byte, chunks int, every time.Duration, deadline time.Time) {
	defer w.Close() // the reader sees EOF and returns
	for time.Now().Before(deadline) {
		for i := 0; i < chunks; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		time.Sleep(every)
	}
}

// lastMsg keeps each reader's latest message reachable until the next one: the copies are
// short-lived garbage, which is what drives this program's GC cycles.
var lastMsg [64][]byte

func reader(id int, r *os.File, size int, got *int, wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return
		}
		*got += n
		msg := make([]byte, n) // a message handed on, as a server would
		copy(msg, buf[:n])
		lastMsg[id%len(lastMsg)] = msg
	}
}

func fileReader(f *os.File, size, reads int, every time.Duration, deadline time.Time, done *int, wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, size)
	for time.Now().Before(deadline) {
		for i := 0; i < reads; i++ {
			if _, err := f.ReadAt(buf, 0); err != nil && err != io.EOF {
				return
			}
			*done++
		}
		time.Sleep(every)
	}
}

func main() {
	pipes := flag.Int("pipes", 4, "writer/reader pairs")
	files := flag.Int("files", 1, "goroutines reading a file")
	cpu := flag.Int("cpu", 1, "CPU-bound goroutines")
	chunkKiB := flag.Int("chunk-kib", 4, "bytes per pipe write, KiB")
	chunks := flag.Int("chunks", 32, "writes per writer wake-up")
	readKiB := flag.Int("read-kib", 64, "bytes per file read, KiB")
	reads := flag.Int("reads", 8, "file reads per file-reader wake-up")
	every := flag.Duration("every", time.Millisecond, "writer sleep between bursts")
	seconds := flag.Float64("seconds", 1.5, "how long to run")
	flag.Parse()
	if *pipes < 0 || *files < 0 || *cpu < 0 || *chunkKiB <= 0 || *chunks <= 0 || *readKiB <= 0 || *reads <= 0 ||
		*every <= 0 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "pipes: bad flags")
		os.Exit(2)
	}
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	tmp, err := os.CreateTemp("", "gmpviz-pipes-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipes:", err)
		os.Exit(1)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(make([]byte, *readKiB<<10)); err != nil {
		fmt.Fprintln(os.Stderr, "pipes:", err)
		os.Exit(1)
	}
	var wg sync.WaitGroup
	piped := make([]int, *pipes)     // bytes each reader got
	fileReads := make([]int, *files) // reads each file reader made
	chunk := make([]byte, *chunkKiB<<10)
	for i := 0; i < *pipes; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipes:", err)
			os.Exit(1)
		}
		wg.Add(1)
		go reader(i, r, *chunkKiB<<10, &piped[i], &wg)
		go writer(w, chunk, *chunks, *every, deadline)
	}
	for i := 0; i < *files; i++ {
		wg.Add(1)
		go fileReader(tmp, *readKiB<<10, *reads, *every, deadline, &fileReads[i], &wg)
	}
	for i := 0; i < *cpu; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			x := uint64(id + 1)
			for time.Now().Before(deadline) {
				x = spin(x, 1<<16)
			}
			sink[id%len(sink)] = x
		}(i)
	}
	wg.Wait()
	p, f := 0, 0
	for _, n := range piped {
		p += n
	}
	for _, n := range fileReads {
		f += n
	}
	report(start, "piped_mib", p>>20, "file_reads", f)
}

// report prints one `fidelity:` line on stdout: the process's CPU time (getrusage: user + system),
// wall time and bytes allocated (MemStats.TotalAlloc), then the program's own counts, so a table can tell a program that kept its pace
// from one the machine starved.
func report(start time.Time, counts ...any) {
	var ru syscall.Rusage
	cpu := -1.0
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	wall := time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("fidelity: cpu_s=%.3f wall_s=%.3f total_alloc_mib=%d", cpu, wall, ms.TotalAlloc>>20)
	for i := 0; i+1 < len(counts); i += 2 {
		fmt.Printf(" %v=%v", counts[i], counts[i+1])
	}
	fmt.Println()
}
