package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmhost/llmhost/bench/internal/guests"
	"github.com/llmhost/llmhost/host"
)

// cacheDir is this run's compilation cache: empty when the run starts, so
// no figure depends on what an earlier run left behind.
var cacheDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	d, err := os.MkdirTemp("", "llmhost-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(d)
	cacheDir = filepath.Join(d, "cache")
	// Build every guest before the first benchmark, so that no figure
	// includes a go build; without -bench there is nothing to build for.
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() == "" {
		return m.Run()
	}
	for _, g := range []string{"native", "extism", "calculator"} {
		if _, err := guests.Path(g); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// load loads a guest with the run's compilation cache and closes it when
// the benchmark ends.
func load(b *testing.B, guest string, opts ...host.Option) *host.Plugin {
	b.Helper()
	path, err := guests.Path(guest)
	if err != nil {
		b.Fatal(err)
	}
	p, err := host.Load(context.Background(), path, append([]host.Option{host.WithCacheDir(cacheDir)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(context.Background()) })
	return p
}
