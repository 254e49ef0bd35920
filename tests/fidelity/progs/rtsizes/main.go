// rtsizes prints the sizes of the runtime's own per-goroutine and per-channel objects, read from
// the DWARF of its own executable (runtime.g, runtime.sudog, runtime.hchan are not exported, so
// unsafe.Sizeof cannot name them): the sizes gmpviz allocates for newproc's g (malg), a blocked
// channel op's sudog (acquireSudog) and makechan's hchan.
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
)

func main() {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		panic(err)
	}
	d, err := f.DWARF()
	if err != nil {
		panic(err)
	}
	want := map[string]bool{"runtime.g": true, "runtime.sudog": true, "runtime.hchan": true}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if want[name] {
			fmt.Printf("rtsizes: %s %d bytes\n", name, e.Val(dwarf.AttrByteSize))
			delete(want, name)
		}
	}
	ch := make(chan int) // keep hchan in the binary
	_ = ch
}
