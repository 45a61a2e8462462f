package host

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmhost/llmhost/internal/wasmtest"
	"github.com/tetratelabs/wazero"
)

// The benchmarks of issue 6's "plugin calls" and "cold start" sections.
// Run them with:
//
//	go test -run '^$' -bench . -benchtime 2s ./host/

func benchPlugin(b *testing.B, pkg string, opts ...Option) *Plugin {
	b.Helper()
	opts = append([]Option{WithCacheDir(filepath.Join(wasmtest.Dir(b), "cache"))}, opts...)
	p, err := Load(context.Background(), wasmtest.BuildGo(b, pkg), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// goEcho is the in-process baseline: the same contract as Plugin.Call,
// returning bytes of its own.
//
//go:noinline
func goEcho(_ context.Context, in []byte) ([]byte, error) { return bytes.Clone(in), nil }

// BenchmarkEcho sends the same bytes through the three paths a plugin call
// can take: a native (llmhost/1) guest, an Extism guest, and a plain Go
// function. Both guests are Go, so the difference is the ABI.
func BenchmarkEcho(b *testing.B) {
	native := benchPlugin(b, "host/testdata/guests/native")
	extism := benchPlugin(b, "host/testdata/guests/extism")
	paths := []struct {
		name string
		call func(context.Context, []byte) ([]byte, error)
	}{
		{"native", func(ctx context.Context, in []byte) ([]byte, error) { return native.Call(ctx, "echo", in) }},
		{"extism", func(ctx context.Context, in []byte) ([]byte, error) { return extism.Call(ctx, "echo", in) }},
		{"go", goEcho},
	}
	for _, path := range paths {
		for _, size := range []struct {
			name string
			n    int
		}{{"1KiB", 1 << 10}, {"100KiB", 100 << 10}} {
			b.Run(path.name+"/"+size.name, func(b *testing.B) {
				ctx := context.Background()
				in := bytes.Repeat([]byte("llmhost!"), size.n/8)
				if out, err := path.call(ctx, in); err != nil || !bytes.Equal(out, in) {
					b.Fatalf("echo: %d bytes, %v", len(out), err)
				}
				b.SetBytes(int64(size.n))
				b.ReportAllocs()
				for b.Loop() {
					out, err := path.call(ctx, in)
					if err != nil || len(out) != len(in) {
						b.Fatalf("echo: %d bytes, %v", len(out), err)
					}
				}
			})
		}
	}
}

// BenchmarkPoolAcquire measures taking an idle instance from a plugin's
// pool and giving it back: the overhead every call pays before the guest
// runs.
func BenchmarkPoolAcquire(b *testing.B) {
	p := benchPlugin(b, "host/testdata/guests/native")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		in, e := p.pool.get(ctx)
		if e != nil {
			b.Fatal(e)
		}
		p.pool.put(in)
	}
}

// BenchmarkColdStart measures what a first call costs, for a Go guest (the
// bundled calculator) and a small hand-written guest:
//
//	compile/nocache    compiling the module to machine code
//	compile/diskcache  loading machine code from a populated disk cache,
//	                   as a second process does
//	load/diskcache     all of Load in a second process: compile from disk,
//	                   first instance, describe
//	instance/new       one more instance of a loaded plugin (for a Go
//	                   guest, this runs the Go runtime's initialisation)
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	guests := []struct {
		name string
		wasm func(b *testing.B) []byte
	}{
		{"go", func(b *testing.B) []byte {
			w, err := os.ReadFile(wasmtest.BuildGo(b, "plugins/calculator"))
			if err != nil {
				b.Fatal(err)
			}
			return w
		}},
		{"small", func(*testing.B) []byte { return wasmtest.Native("small", wasmtest.I64Const(0)) }},
	}
	for _, g := range guests {
		wasm := g.wasm(b)
		dir := b.TempDir()
		// Populate the disk cache.
		if p, err := LoadBytes(ctx, wasm, WithCacheDir(dir)); err != nil {
			b.Fatal(err)
		} else {
			p.Close(ctx)
		}
		forget := func() {
			// A new process has no compiled code in memory.
			caches.Lock()
			delete(caches.byDir, dir)
			caches.Unlock()
		}

		b.Run(g.name+"/compile/nocache", func(b *testing.B) {
			for b.Loop() {
				cache := wazero.NewCompilationCache()
				rt := wazero.NewRuntimeWithConfig(ctx, runtimeConfig(cache))
				if _, err := rt.CompileModule(ctx, wasm); err != nil {
					b.Fatal(err)
				}
				rt.Close(ctx)
				cache.Close(ctx)
			}
		})
		b.Run(g.name+"/compile/diskcache", func(b *testing.B) {
			for b.Loop() {
				cache, err := wazero.NewCompilationCacheWithDir(dir)
				if err != nil {
					b.Fatal(err)
				}
				rt := wazero.NewRuntimeWithConfig(ctx, runtimeConfig(cache))
				if _, err := rt.CompileModule(ctx, wasm); err != nil {
					b.Fatal(err)
				}
				rt.Close(ctx)
				cache.Close(ctx)
			}
		})
		b.Run(g.name+"/load/diskcache", func(b *testing.B) {
			for b.Loop() {
				forget()
				p, err := LoadBytes(ctx, wasm, WithCacheDir(dir))
				if err != nil {
					b.Fatal(err)
				}
				p.Close(ctx)
			}
			forget()
		})
		b.Run(g.name+"/instance/new", func(b *testing.B) {
			p, err := LoadBytes(ctx, wasm, WithCacheDir(dir))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(ctx)
			b.ReportAllocs()
			for b.Loop() {
				in, e := p.pool.newInstance(ctx)
				if e != nil {
					b.Fatal(e)
				}
				in.close(ctx)
			}
		})
	}
}
