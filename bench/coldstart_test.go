package bench

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/bench/internal/guests"
	"github.com/llmhost/llmhost/bench/internal/smallwasm"
	"github.com/llmhost/llmhost/host"
	"github.com/tetratelabs/wazero"
)

// A coldGuest is a plugin whose start-up is measured, with a tool call
// that exercises it.
type coldGuest struct {
	name       string
	path       string // the .wasm file
	wasm       []byte
	tool, args string
}

func coldGuests(b *testing.B) []coldGuest {
	calc, err := guests.Path("calculator")
	if err != nil {
		b.Fatal(err)
	}
	calcWasm, err := os.ReadFile(calc)
	if err != nil {
		b.Fatal(err)
	}
	small := filepath.Join(b.TempDir(), "small.wasm")
	if err := os.WriteFile(small, smallwasm.Module(), 0o644); err != nil {
		b.Fatal(err)
	}
	return []coldGuest{
		// The bundled calculator: a Go guest, megabytes of code and a
		// runtime to start in every instance.
		{name: "go", path: calc, wasm: calcWasm, tool: "add", args: `{"a":1,"b":2}`},
		// The minimal guest of abi/README.md: the fixed cost of any module.
		{name: "small", path: small, wasm: smallwasm.Module(), tool: "answer", args: `{}`},
	}
}

// wazeroConfig is the runtime configuration the host uses (host.Load's
// runtimeConfig): compiled code is cached per configuration, and
// close-on-context-done changes the code, so compiling with any other
// configuration would measure something else.
func wazeroConfig(cache wazero.CompilationCache) wazero.RuntimeConfig {
	return wazero.NewRuntimeConfig().WithCloseOnContextDone(true).WithDebugInfoEnabled(false).WithCompilationCache(cache)
}

// BenchmarkColdStart measures what it costs to get a plugin ready for its
// first call, for a Go guest and for a small guest:
//
//	compile/nocache    compiling the module to machine code, no cache
//	compile/diskcache  the same module from a populated disk cache, in a
//	                   fresh runtime and cache (as a new process would)
//	process/nocache    a new process (cmd/coldstart) with an empty cache
//	                   directory: host.Load compiles and fills the cache
//	process/diskcache  a new process with the cache filled: the second
//	                   start of a program using the plugin
//	instance/new       a tool call on a new instance (no idle instance is
//	                   kept): instantiation, the guest's start-up, the call
//	instance/pooled    the same call on an instance from the pool
//	pool/empty-call    taking an idle instance, an empty call, giving it
//	                   back: an upper bound on the pool's own cost
//
// The process benchmarks report load-ms (host.Load inside the process) and
// first-call-ms beside ns/op, the wall time of the whole process.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	for _, g := range coldGuests(b) {
		dir := b.TempDir()
		// Fill the disk cache with exactly what the host would write.
		fill := func(dir string) {
			cache, err := wazero.NewCompilationCacheWithDir(dir)
			if err != nil {
				b.Fatal(err)
			}
			rt := wazero.NewRuntimeWithConfig(ctx, wazeroConfig(cache))
			if _, err := rt.CompileModule(ctx, g.wasm); err != nil {
				b.Fatal(err)
			}
			rt.Close(ctx)
			cache.Close(ctx)
		}
		fill(dir)

		b.Run(g.name+"/compile/nocache", func(b *testing.B) {
			for b.Loop() {
				cache := wazero.NewCompilationCache()
				rt := wazero.NewRuntimeWithConfig(ctx, wazeroConfig(cache))
				if _, err := rt.CompileModule(ctx, g.wasm); err != nil {
					b.Fatal(err)
				}
				rt.Close(ctx)
				cache.Close(ctx)
			}
		})
		b.Run(g.name+"/compile/diskcache", func(b *testing.B) {
			for b.Loop() {
				fill(dir)
			}
		})

		b.Run(g.name+"/process/nocache", func(b *testing.B) {
			probe := coldProbe(b)
			var load, call time.Duration
			for b.Loop() {
				b.StopTimer()
				fresh := filepath.Join(b.TempDir(), "cache")
				b.StartTimer()
				r := runProbe(b, probe, g, fresh)
				load += time.Duration(r.Load)
				call += time.Duration(r.FirstCall)
			}
			b.ReportMetric(float64(load.Milliseconds())/float64(b.N), "load-ms")
			b.ReportMetric(float64(call.Microseconds())/1e3/float64(b.N), "first-call-ms")
		})
		b.Run(g.name+"/process/diskcache", func(b *testing.B) {
			probe := coldProbe(b)
			pdir := filepath.Join(b.TempDir(), "cache")
			runProbe(b, probe, g, pdir) // the first start fills the cache
			var load, call time.Duration
			for b.Loop() {
				r := runProbe(b, probe, g, pdir)
				load += time.Duration(r.Load)
				call += time.Duration(r.FirstCall)
			}
			b.ReportMetric(float64(load.Microseconds())/1e3/float64(b.N), "load-ms")
			b.ReportMetric(float64(call.Microseconds())/1e3/float64(b.N), "first-call-ms")
		})

		call := abi.ToolCall{ID: "1", Name: g.tool, Arguments: json.RawMessage(g.args)}
		pooled := func(b *testing.B, opts ...host.Option) {
			p, err := host.Load(ctx, g.path, append([]host.Option{host.WithCacheDir(cacheDir)}, opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(ctx)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.CallTool(ctx, call); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(g.name+"/instance/new", func(b *testing.B) { pooled(b, host.WithMaxIdle(0)) })
		b.Run(g.name+"/instance/pooled", func(b *testing.B) { pooled(b) })
		if g.name == "small" {
			b.Run(g.name+"/pool/empty-call", func(b *testing.B) {
				p, err := host.Load(ctx, g.path, host.WithCacheDir(cacheDir))
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close(ctx)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Call(ctx, abi.ExportCall, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type probeResult struct {
	Load      int64 `json:"load_ns"`
	FirstCall int64 `json:"first_call_ns"`
}

var probe struct {
	once sync.Once
	path string
	err  error
}

// coldProbe builds cmd/coldstart once per run.
func coldProbe(b *testing.B) string {
	probe.once.Do(func() {
		probe.path = filepath.Join(filepath.Dir(cacheDir), "coldstart")
		out, err := exec.Command("go", "build", "-o", probe.path, "./cmd/coldstart").CombinedOutput()
		if err != nil {
			probe.err = &buildError{err, out}
		}
	})
	if probe.err != nil {
		b.Fatal(probe.err)
	}
	return probe.path
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

func runProbe(b *testing.B, probe string, g coldGuest, cache string) probeResult {
	cmd := exec.Command(probe, "-wasm", g.path, "-cache", cache, "-tool", g.tool, "-args", g.args)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v", probe, err)
	}
	var r probeResult
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("%s: %q: %v", probe, out, err)
	}
	return r
}
