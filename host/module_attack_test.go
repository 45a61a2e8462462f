package host_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// What a module's structure can cost the host: tables that no memory limit
// counts, and modules of a few bytes that take the decoder, validator or
// compiler gigabytes or minutes. Each attack must end in a clear error
// naming the limit and the option that changes it, well within a generous
// bound, with the heap bounded and the host alive.

// tableGuest is a plain module (llmhost/1 convention, no describe) with a
// table of 1 element: "grow" grows it by the u32 its input holds and
// replies table.grow's result then table.size, as two little-endian
// u32; "growloop" grows it by 1024 until table.grow fails and replies the
// same.
const tableGuest = `(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "llmhost_alloc") (param i32) (result i32) i32.const 1024)
  (func $reply (param $r i32) (result i64)
    i32.const 0 local.get $r i32.store
    i32.const 4 table.size $t i32.store
    i64.const 0x800000000) ;; abi.Pack(0, 8, false)
  (func (export "grow") (param $p i32) (param $n i32) (result i64)
    ref.null func local.get $p i32.load table.grow $t
    call $reply)
  (func (export "growloop") (param $p i32) (param $n i32) (result i64)
    (local $r i32)
    (block $done
      (loop $again
        ref.null func i32.const 1024 table.grow $t
        local.tee $r
        i32.const -1 i32.eq br_if $done
        br $again))
    local.get $r call $reply))`

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func TestTableGrowIsBounded(t *testing.T) {
	wasm := wasmtest.WAT(t, tableGuest)
	limit := host.DefaultModuleLimits().TableElements
	call := func(p *host.Plugin, fn string, n uint32) (result int32, size uint32) {
		t.Helper()
		in := binary.LittleEndian.AppendUint32(nil, n)
		out, err := p.Call(context.Background(), fn, in)
		if err != nil {
			t.Fatalf("%s(%d): %v", fn, n, err)
		}
		if len(out) != 8 {
			t.Fatalf("%s(%d) replied %d bytes, want 8", fn, n, len(out))
		}
		return int32(binary.LittleEndian.Uint32(out)), binary.LittleEndian.Uint32(out[4:])
	}
	p := loadBytes(t, wasm)
	before := heapInuse()
	for _, n := range []uint32{1 << 28, 1<<32 - 1, uint32(limit)} {
		r, size := call(p, "grow", n)
		if r != -1 || size != 1 {
			t.Fatalf("table.grow(%d) of a 1-element table = %d, size %d; want -1, size 1 (limit %d)", n, r, size, limit)
		}
		outcome(t, "memory", fmt.Sprintf("table.grow of %d elements (%s of host memory at 8 bytes each)", n, host.FormatSize(int64(n)*8)),
			fmt.Sprintf("table.grow returns -1 in the guest: tables are bounded at %d elements (ModuleLimits.TableElements)", limit))
	}
	r, size := call(p, "growloop", 0)
	if r != -1 || size > uint32(limit) || size+1024 <= uint32(limit) {
		t.Fatalf("growing by 1024 until refused: result %d, size %d; want -1 and a size within 1024 of %d", r, size, limit)
	}
	outcome(t, "memory", "table.grow by 1024 elements in a loop until refused",
		fmt.Sprintf("refused at %d elements (the %d-element limit), the instance alive", size, limit))
	if grew := int64(heapInuse()) - int64(before); grew > 256<<20 {
		t.Errorf("the heap grew by %s during the table attacks, want well under 256MiB", host.FormatSize(grew))
	}

	// The same bound holds on the Extism path, which compiles the same
	// bounded bytes: a plain module without llmhost_alloc runs there.
	// "grow" returns 0 if table.grow(2^28) is refused, and traps if not.
	ext := loadBytes(t, wasmtest.WAT(t, `(module
  (table $t 1 funcref)
  (func (export "grow") (result i32)
    (if (i32.ne (table.grow $t (ref.null func) (i32.const 0x10000000)) (i32.const -1))
      (then unreachable))
    i32.const 0))`))
	if _, err := ext.Call(context.Background(), "grow", nil); err != nil {
		t.Fatalf("table.grow(2^28) through the Extism SDK was not refused: %v", err)
	}
	outcome(t, "memory", "table.grow of 2^28 elements in a plain module run through the Extism SDK",
		"table.grow returns -1 in the guest, as on the native path")

	// The limit is the option's: a smaller one is what table.grow meets.
	p = loadBytes(t, wasm, host.WithModuleLimits(host.ModuleLimits{TableElements: 1000}))
	if r, size := call(p, "grow", 998); r != 1 || size != 999 {
		t.Fatalf("grow(998) under a 1000-element limit = %d, size %d; want 1, 999", r, size)
	}
	if r, size := call(p, "grow", 2); r != -1 || size != 999 {
		t.Fatalf("grow(2) at 999 of 1000 elements = %d, size %d; want -1, 999", r, size)
	}
	// The host is alive and the plugin still callable.
	if r, _ := call(p, "grow", 1); r != 999 {
		t.Fatalf("grow(1) to the limit = %d, want 999", r)
	}
}

// wantLimit checks that err is a Load error of a *host.ModuleLimitError
// for the limit, naming it and WithModuleLimits.
func wantLimit(t *testing.T, err error, limit string) {
	t.Helper()
	var le *host.ModuleLimitError
	if !errors.As(err, &le) {
		t.Fatalf("Load error %v, want a *host.ModuleLimitError for %s", err, limit)
	}
	if le.Limit != limit || le.Value <= le.Max {
		t.Fatalf("limit error %+v, want %s exceeded", le, limit)
	}
	for _, s := range []string{"load plugin: ", "ModuleLimits." + limit, "WithModuleLimits"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

func TestTableLimitsAtLoad(t *testing.T) {
	ctx := context.Background()
	_, err := host.LoadBytes(ctx, wasmtest.WAT(t, `(module (table 268435456 funcref))`), host.WithoutCache())
	wantLimit(t, err, "TableElements")
	if !strings.Contains(err.Error(), "268435456 elements") || !strings.Contains(err.Error(), "2GiB") {
		t.Errorf("error %q does not say what the table would cost", err)
	}
	refused(t, "memory", "a table declaring 2^28 elements (2 GiB) as its minimum", err)

	_, err = host.LoadBytes(ctx, wasmtest.WAT(t, `(module (table 1 funcref) (table 1 funcref) (table 1 funcref))`),
		host.WithModuleLimits(host.ModuleLimits{Tables: 2}))
	wantLimit(t, err, "Tables")
	refused(t, "memory", "three tables under a limit of two", err)

	for _, mod := range []string{"env", "wasi_snapshot_preview1", "extism:host/env"} {
		src := fmt.Sprintf(`(module (import %q "t" (table 1 funcref)) (memory (export "memory") 1))`, mod)
		_, err = host.LoadBytes(ctx, wasmtest.WAT(t, src))
		if err == nil || !strings.Contains(err.Error(), "llmhost provides no tables") {
			t.Fatalf("module importing a table from %s: Load error %v, want one saying llmhost provides no tables", mod, err)
		}
	}
	refused(t, "loading", "module importing a table (from env, wasi_snapshot_preview1 or extism:host/env)", err)
}

// Encoders of hostile modules too large or too odd for WAT.

func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func section(out []byte, id byte, payload []byte) []byte {
	return append(uleb(append(out, id), uint64(len(payload))), payload...)
}

// vector is a vector of n copies of item.
func vector(n int, item []byte) []byte {
	return append(uleb(nil, uint64(n)), bytes.Repeat(item, n)...)
}

var wasmHeader = []byte("\x00asm\x01\x00\x00\x00")

// funcsModule is a module of n functions of type () -> (); body(i) is the
// i-th body after its size: local declarations, then code ending in end.
func funcsModule(n int, body func(i int) []byte) []byte {
	out := section(wasmHeader, 1, []byte{1, 0x60, 0, 0})
	out = section(out, 3, vector(n, []byte{0}))
	code := uleb(nil, uint64(n))
	for i := range n {
		b := body(i)
		code = append(uleb(code, uint64(len(b))), b...)
	}
	return section(out, 10, code)
}

func oneFunc(body []byte) []byte { return funcsModule(1, func(int) []byte { return body }) }

// nested is a body without locals that nests depth blocks.
func nested(depth int) []byte {
	b := append([]byte{0}, bytes.Repeat([]byte{0x02, 0x40}, depth-1)...)
	return append(b, bytes.Repeat([]byte{0x0b}, depth)...)
}

func TestCompileBombsAreRefused(t *testing.T) {
	bombs := []struct {
		limit, attempt string
		wasm           func() []byte
	}{
		{"Locals", "one function declaring 2^32-1 locals in 7 bytes (4 GiB for wazero's decoder)", func() []byte {
			return oneFunc(append(uleb([]byte{1}, 1<<32-1), 0x7f, 0x0b))
		}},
		{"TotalLocals", "100 functions of 50,000 locals each (5M locals in 1 KB)", func() []byte {
			return funcsModule(100, func(int) []byte { return append(uleb([]byte{1}, 50_000), 0x7f, 0x0b) })
		}},
		{"Nesting", "blocks nested 100,000 deep (84 s of compilation unbounded)", func() []byte { return oneFunc(nested(100_000)) }},
		{"BrTableTargets", "a br_table of 100,000 targets (2.3 s, 265 MB of compilation unbounded)", func() []byte {
			b := append([]byte{0, 0x02, 0x40, 0x41, 0, 0x0e}, vector(100_000, []byte{0})...)
			return oneFunc(append(b, 0, 0x0b, 0x0b))
		}},
		{"FunctionSize", "one function of 2M nops", func() []byte {
			return oneFunc(append(append([]byte{0}, bytes.Repeat([]byte{0x01}, 2<<20)...), 0x0b))
		}},
		{"Functions", "300,000 empty functions", func() []byte {
			return funcsModule(300_000, func(int) []byte { return []byte{0, 0x0b} })
		}},
		{"Types", "200,000 function types", func() []byte { return section(wasmHeader, 1, vector(200_000, []byte{0x60, 0, 0})) }},
		{"Globals", "200,000 globals (28 MB of heap, half of it again in every instance)", func() []byte {
			return section(wasmHeader, 6, vector(200_000, []byte{0x7f, 0, 0x41, 0, 0x0b}))
		}},
		{"Imports", "200,000 imports", func() []byte {
			return section(wasmHeader, 2, vector(200_000, []byte{1, 'm', 1, 'f', 3, 0x7f, 0}))
		}},
		{"Exports", "200,000 exports", func() []byte {
			out := section(wasmHeader, 6, vector(1, []byte{0x7f, 0, 0x41, 0, 0x0b}))
			return section(out, 7, vector(200_000, []byte{1, 'g', 3, 0}))
		}},
		{"DataSegments", "300,000 empty passive data segments", func() []byte {
			return section(wasmHeader, 11, vector(300_000, []byte{1, 0}))
		}},
		{"ElementEntries", "a passive element segment of 2M entries (160 MB of heap)", func() []byte {
			out := section(wasmHeader, 1, []byte{1, 0x60, 0, 0})
			out = section(out, 3, []byte{1, 0})
			out = section(out, 9, append([]byte{1, 1, 0}, vector(2_000_000, []byte{0})...))
			return section(out, 10, []byte{1, 2, 0, 0x0b})
		}},
		{"NameSection", "a 17 MiB name section", func() []byte {
			return section(wasmHeader, 0, append([]byte{4, 'n', 'a', 'm', 'e'}, make([]byte, 17<<20)...))
		}},
		{"Size", "a 65 MiB module", func() []byte {
			return section(wasmHeader, 0, append([]byte{3, 'p', 'a', 'd'}, make([]byte, 65<<20)...))
		}},
	}
	for _, b := range bombs {
		t.Run(b.limit, func(t *testing.T) {
			wasm := b.wasm()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			_, err := host.LoadBytes(context.Background(), wasm, host.WithoutCache())
			took := time.Since(start)
			runtime.ReadMemStats(&m1)
			wantLimit(t, err, b.limit)
			if took > 30*time.Second {
				t.Errorf("refusing took %v, want well within 30s", took)
			}
			// The module itself is up to 65 MiB; what refusing it costs
			// is not gigabytes.
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > uint64(len(wasm))+512<<20 {
				t.Errorf("refusing a %s module allocated %s", host.FormatSize(int64(len(wasm))), host.FormatSize(int64(alloc)))
			}
			refused(t, "loading", fmt.Sprintf("%s (%s module)", b.attempt, host.FormatSize(int64(len(wasm)))), err)
		})
	}
}

func TestHugeModuleFileIsNotRead(t *testing.T) {
	// A sparse 16 GiB file: Load must refuse it by its size, not read it.
	path := filepath.Join(t.TempDir(), "huge.wasm")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(wasmHeader); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(16 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, err = host.Load(context.Background(), path)
	runtime.ReadMemStats(&m1)
	wantLimit(t, err, "Size")
	if !strings.Contains(err.Error(), "16GiB") {
		t.Errorf("error %q does not give the file's size", err)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20 {
		t.Errorf("refusing the file allocated %s: it was read", host.FormatSize(int64(alloc)))
	}
	refused(t, "loading", "a 16 GiB module file", err)
}

func TestModuleLimitsCanBeRaised(t *testing.T) {
	// Just over the default nesting, allowed by the option: it loads.
	wasm := oneFunc(nested(host.DefaultModuleLimits().Nesting + 1))
	_, err := host.LoadBytes(context.Background(), wasm, host.WithoutCache())
	wantLimit(t, err, "Nesting")
	p := loadBytes(t, wasm, host.WithoutCache(), host.WithModuleLimits(host.ModuleLimits{Nesting: host.DefaultModuleLimits().Nesting + 1}))
	if p.ABI() != host.ABIPlain {
		t.Errorf("ABI %s, want plain", p.ABI())
	}
}

func TestLoadTimeout(t *testing.T) {
	// Within every limit, but slow: 400 functions nested 4,000 deep take
	// the compiler a tenth of a second each, or more under the race
	// detector.
	wasm := funcsModule(400, func(int) []byte { return nested(4_000) })
	start := time.Now()
	_, err := host.LoadBytes(context.Background(), wasm, host.WithoutCache(), host.WithLoadTimeout(200*time.Millisecond))
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load error %v, want one wrapping context.DeadlineExceeded", err)
	}
	for _, s := range []string{"200ms load timeout", "WithLoadTimeout"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if took > 30*time.Second {
		t.Errorf("Load stopped after %v, want well within 30s of its 200ms timeout", took)
	}
	refused(t, "loading", "a module within every limit that takes the compiler tens of seconds (load timeout 200ms)", err)

	if _, err := host.LoadBytes(context.Background(), wasm, host.WithLoadTimeout(0)); err == nil || !strings.Contains(err.Error(), "WithLoadTimeout") {
		t.Errorf("WithLoadTimeout(0): error %v, want one naming WithLoadTimeout", err)
	}
}

// The limits must not refuse real plugins, and their tables, now bounded,
// must still work: a bundled Go plugin, the native test guest, and the
// go-sdk's plugins in Rust, Haskell and Go (TestModuleLimitsFitRealModules
// checks the structure of every one of them, without compiling).
func TestRealPluginsWithinModuleLimits(t *testing.T) {
	ctx := context.Background()
	if got := mustTool(t, load(t, wasmtest.BuildGo(t, "plugins/calculator")), "add", `{"a":2,"b":3}`); got != "5" {
		t.Errorf("calculator add = %s, want 5", got)
	}
	load(t, nativeGuest(t))
	out, err := load(t, sdkPlugin(t, "count_vowels.wasm")).Call(ctx, "count_vowels", []byte("hello world"))
	if err != nil || !strings.Contains(string(out), `"count":3`) {
		t.Errorf("count_vowels = %s, %v", out, err)
	}
	for _, name := range []string{"hello_haskell.wasm", "config.wasm"} {
		load(t, sdkPlugin(t, name))
	}
}

// instanceBomb is a module at the default limits of everything each
// instance allocates again beside linear memory: a table of
// TableElements, Globals mutable globals, DataSegments passive data
// segments and a passive element segment of ElementEntries entries. It
// exports memory and llmhost_alloc, so the host instantiates it itself.
func instanceBomb() []byte {
	l := host.DefaultModuleLimits()
	out := section(wasmHeader, 1, []byte{1, 0x60, 1, 0x7f, 1, 0x7f})
	out = section(out, 3, []byte{1, 0})
	out = section(out, 4, uleb([]byte{1, 0x70, 0}, uint64(l.TableElements)))
	out = section(out, 5, []byte{1, 0, 1})
	out = section(out, 6, vector(l.Globals, []byte{0x7f, 1, 0x41, 0, 0x0b}))
	exports := []byte{2, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0, 13}
	exports = append(append(exports, "llmhost_alloc"...), 0, 0)
	out = section(out, 7, exports)
	out = section(out, 9, append([]byte{1, 1, 0}, vector(l.ElementEntries, []byte{0})...))
	out = section(out, 10, []byte{1, 4, 0, 0x41, 0, 0x0b})
	return section(out, 11, vector(l.DataSegments, []byte{1, 0}))
}

func TestInstanceCostIsBounded(t *testing.T) {
	wasm := instanceBomb()
	before := heapInuse()
	p := loadBytes(t, wasm, host.WithoutCache()) // compiled, with one instance
	one := int64(heapInuse()) - int64(before)
	t.Logf("a %s module at the per-instance limits: %s of heap after Load (one instance)", host.FormatSize(int64(len(wasm))), host.FormatSize(max(one, 0)))
	if one > 96<<20 {
		t.Errorf("one instance of a module at the limits takes %s of heap, want under 96MiB", host.FormatSize(one))
	}
	outcome(t, "memory", fmt.Sprintf("module at every per-instance limit (%d-element table, %d globals, %d data segments, %d element entries)",
		host.DefaultModuleLimits().TableElements, host.DefaultModuleLimits().Globals, host.DefaultModuleLimits().DataSegments, host.DefaultModuleLimits().ElementEntries),
		fmt.Sprintf("loads; module and one instance take %s of heap, times at most DefaultMaxInstances live", host.FormatSize(max(one, 0)&^0xfffff)))
	if st := p.Stats(); st.Created != 1 {
		t.Errorf("stats %+v: the measure is of one instance", st)
	}
}
