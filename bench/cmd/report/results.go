package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Results holds the benchmark figures of a run: for each benchmark (its
// name without the GOMAXPROCS suffix) and unit ("ns/op", "MB/s", custom
// units such as "p99-µs"), the values of every repetition.
type Results map[string]map[string][]float64

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseBench reads `go test -bench` output and adds its figures to r.
// Lines that are not benchmark results (headers, PASS, logs) are skipped.
func (r Results) ParseBench(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// Name, iterations, then value-unit pairs.
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			continue
		}
		name := procsSuffix.ReplaceAllString(fields[0], "")
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if r[name] == nil {
				r[name] = map[string][]float64{}
			}
			r[name][fields[i+1]] = append(r[name][fields[i+1]], v)
		}
	}
	return sc.Err()
}

// Median returns the median of a benchmark's figure in unit, and whether
// there is one.
func (r Results) Median(name, unit string) (float64, bool) {
	vs := r[name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(vs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// Runs returns how many repetitions of a benchmark there were.
func (r Results) Runs(name string) int { return len(r[name]["ns/op"]) }
