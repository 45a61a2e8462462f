package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/llmhost/llmhost/bench/internal/parsework"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/llm"
)

// A path is one way of running a workload: through a plugin of either ABI,
// or as a Go function in the host's process.
type path struct {
	name string
	call func(ctx context.Context, in []byte) ([]byte, error)
}

// pluginPaths returns the three paths of the workload fn: the export fn
// of the native guest and of the Extism guest, both Go compiled to wasm
// from the same source, and goFn, the same code compiled natively.
func pluginPaths(b *testing.B, fn string, goFn func(context.Context, []byte) ([]byte, error)) []path {
	native := load(b, "native")
	extism := load(b, "extism")
	if native.ABI() != host.ABINative || extism.ABI() != host.ABIExtism {
		b.Fatalf("guests run as %s and %s, want native and extism", native.ABI(), extism.ABI())
	}
	return []path{
		{"native", func(ctx context.Context, in []byte) ([]byte, error) { return native.Call(ctx, fn, in) }},
		{"extism", func(ctx context.Context, in []byte) ([]byte, error) { return extism.Call(ctx, fn, in) }},
		{"go", goFn},
	}
}

var sizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"100KiB", 100 << 10}, {"1MiB", 1 << 20}}

// goEcho is the in-process echo. Like Plugin.Call it returns bytes the
// caller owns, so it copies, as the host copies a guest's reply out of
// guest memory.
//
//go:noinline
func goEcho(_ context.Context, in []byte) ([]byte, error) { return bytes.Clone(in), nil }

// goParse is the in-process parse: the guests' code, and a copy of the
// value for the same reason.
//
//go:noinline
func goParse(_ context.Context, in []byte) ([]byte, error) {
	v, err := parsework.Parse(in)
	return bytes.Clone(v), err
}

// BenchmarkEcho sends bytes to a function that returns them: the cost of
// the call itself, and of moving the data across, on each path.
func BenchmarkEcho(b *testing.B) {
	for _, p := range pluginPaths(b, "echo", goEcho) {
		for _, size := range sizes {
			b.Run(p.name+"/"+size.name, func(b *testing.B) {
				in := bytes.Repeat([]byte("llmhost!"), size.n/8)
				measure(b, p, in, func(out []byte) bool { return bytes.Equal(out, in) })
			})
		}
	}
}

// BenchmarkParse finds and validates the JSON of a model's answer: 4 KiB
// as a typical structured answer, and 100 KiB, about the longest answer a
// model writes (some 25,000 tokens). Beside the three paths it runs two
// references: go-llm, the engine's own parse (llm.ExtractJSON and
// Format.Validate), and wasm-nocheck, the native guest on a bare wazero
// runtime without close-on-context-done, which shows what the host's
// always-on timeouts cost code that computes (see nocheckPath).
func BenchmarkParse(b *testing.B) {
	answers := []struct {
		name string
		n    int
	}{{"4KiB", 4 << 10}, {"100KiB", 100 << 10}}
	paths := pluginPaths(b, "parse_answer", goParse)
	// The engine's own parse, for reference: llm.ExtractJSON and
	// Format.Validate, what llm.Call does with a Format and no parser.
	f, err := llm.FormatFromSchema("forecast", []byte(parsework.Schema))
	if err != nil {
		b.Fatal(err)
	}
	paths = append(paths, path{"go-llm", func(_ context.Context, in []byte) ([]byte, error) {
		raw, err := llm.ExtractJSON(string(in))
		if err != nil {
			return nil, err
		}
		return raw, f.Validate(raw)
	}})
	paths = append(paths, nocheckPath(b, "parse_answer"))
	for _, p := range paths {
		for _, a := range answers {
			b.Run(p.name+"/"+a.name, func(b *testing.B) {
				in := parsework.Answer(a.n)
				want, err := parsework.Extract(in)
				if err != nil {
					b.Fatal(err)
				}
				measure(b, p, in, func(out []byte) bool { return len(out) == len(want) })
			})
		}
	}
}

// measure runs p on in, checking the first output, and reports ns/op, MB/s
// of input and the host's allocations.
func measure(b *testing.B, p path, in []byte, ok func([]byte) bool) {
	ctx := context.Background()
	if out, err := p.call(ctx, in); err != nil || !ok(out) {
		b.Fatalf("%s: %d bytes out, %v", p.name, len(out), err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.call(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
