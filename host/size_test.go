package host_test

import (
	"testing"

	"github.com/llmhost/llmhost/host"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "65536": 65536, "64KiB": 64 << 10, "64MiB": 64 << 20, "1GiB": 1 << 30,
		"64M": 64 << 20, "64m": 64 << 20, "64 MiB": 64 << 20, "64MB": 64e6, "2kb": 2000, "1.5MiB": 3 << 19,
		"100B": 100, " 8MiB ": 8 << 20, "1G": 1 << 30, "1gb": 1e9,
	}
	for s, want := range good {
		if got, err := host.ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "MiB", "-1MiB", "64XB", "1e3", "99999999999GiB", "abc"} {
		if got, err := host.ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", s, got)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 100: "100B", 1024: "1KiB", 64 << 20: "64MiB", 1536 << 10: "1536KiB", 1 << 30: "1GiB"} {
		if got := host.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %s, want %s", n, got, want)
		}
		if n > 0 {
			if back, err := host.ParseSize(host.FormatSize(n)); err != nil || back != n {
				t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
			}
		}
	}
}
