package host

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a size in bytes as people write it: "65536", "64KiB",
// "64MiB", "1GiB" (powers of 1024), "64K", "64M", "1G" (also 1024), and
// "64KB", "64MB", "1GB" (powers of 1000). Case and a space before the unit
// are ignored; fractions ("1.5MiB") are allowed.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if !ok || num == "" || strings.Trim(num, "0123456789.") != "" || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("invalid size %q: want a number with an optional unit such as KiB, MiB, GiB, KB, MB, GB", s)
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n < 0 || (n > 0 && mult > (1<<63-1)/n) {
			return 0, fmt.Errorf("invalid size %q: out of range", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*float64(mult) >= 1<<63 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(f * float64(mult)), nil
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "ki": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mi": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gi": 1 << 30, "gib": 1 << 30, "gb": 1e9,
}

// FormatSize writes bytes the way ParseSize reads them, in the largest
// binary unit that divides it evenly ("64MiB", "1536KiB", "100B").
func FormatSize(bytes int64) string {
	for _, u := range []struct {
		n    int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if bytes != 0 && bytes%u.n == 0 {
			return strconv.FormatInt(bytes/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(bytes, 10) + "B"
}
