package main

import (
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/llmhost/llmhost/bench
cpu: AMD EPYC
BenchmarkEcho/native/1KiB-2         	  141691	      1892 ns/op	 541.17 MB/s	    1587 B/op	       9 allocs/op
BenchmarkEcho/native/1KiB-2         	  141691	      1700 ns/op	 600.00 MB/s	    1587 B/op	       9 allocs/op
BenchmarkEcho/native/1KiB-2         	  141691	      2000 ns/op	 500.00 MB/s	    1587 B/op	       9 allocs/op
BenchmarkConcurrency/default/goroutines=16-2    	   10477	    117236 ns/op	      8530 calls/s	        92.11 p50-µs
BenchmarkConcurrency/default/goroutines=16-2    	   10477	    117238 ns/op	      8532 calls/s	        92.13 p50-µs
BenchmarkPoolAcquire              	89606918	        13.68 ns/op
--- FAIL: BenchmarkBroken
PASS
ok  	github.com/llmhost/llmhost/bench	19.333s
`

func TestParseBench(t *testing.T) {
	r := Results{}
	if err := r.ParseBench(strings.NewReader(sample)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, unit string
		want       float64
	}{
		{"BenchmarkEcho/native/1KiB", "ns/op", 1892},
		{"BenchmarkEcho/native/1KiB", "MB/s", 541.17},
		{"BenchmarkEcho/native/1KiB", "allocs/op", 9},
		{"BenchmarkConcurrency/default/goroutines=16", "p50-µs", 92.12},
		{"BenchmarkConcurrency/default/goroutines=16", "calls/s", 8531},
		{"BenchmarkPoolAcquire", "ns/op", 13.68},
	}
	for _, c := range cases {
		got, ok := r.Median(c.name, c.unit)
		if !ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("median %s %s = %v, %v; want %v", c.name, c.unit, got, ok, c.want)
		}
	}
	if n := r.Runs("BenchmarkEcho/native/1KiB"); n != 3 {
		t.Errorf("runs = %d, want 3", n)
	}
	if _, ok := r.Median("BenchmarkBroken", "ns/op"); ok {
		t.Error("a failure line gave a figure")
	}
}
