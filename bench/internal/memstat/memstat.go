// Package memstat reads the memory a process holds: its resident set size
// as the kernel counts it (what the machine actually gives the process:
// Go heap, wazero's machine code and guests' linear memories alike) and the
// Go runtime's own view of its heap.
package memstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

// Sample is the memory of the process at one moment.
type Sample struct {
	RSS        int64 // bytes resident (VmRSS)
	HeapInuse  int64 // bytes in in-use heap spans
	HeapAlloc  int64 // bytes of live (and not yet swept) heap objects
	Goroutines int
}

// Take returns the process's memory now. With settle, it first collects
// garbage and returns freed memory to the OS, so that what remains is what
// is actually held rather than what the collector has yet to reclaim.
func Take(settle bool) (Sample, error) {
	if settle {
		runtime.GC()
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := RSS()
	return Sample{RSS: rss, HeapInuse: int64(ms.HeapInuse), HeapAlloc: int64(ms.HeapAlloc), Goroutines: runtime.NumGoroutine()}, err
}

// RSS returns the process's resident set size from /proc/self/status.
func RSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("VmRSS:")) {
			continue
		}
		// "VmRSS:	   12345 kB"
		fields := bytes.Fields(line[len("VmRSS:"):])
		if len(fields) != 2 || string(fields[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("memstat: no VmRSS line in /proc/self/status")
}
