package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	w "github.com/llmhost/llmhost/internal/wasmtest"
)

// Hand-encoded guests: each misbehaves in exactly one way, with no
// language runtime to soften or blur it.

func TestTrap(t *testing.T) {
	p := loadBytes(t, w.Native("trap", w.Unreachable))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonTrap, "wasm error: unreachable")
	refused(t, "traps", "hand-written guest executes `unreachable`", err)
	// The instance that trapped was discarded; the next call gets a new one.
	_, err = tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonTrap)
	if st := p.Stats(); st.Discarded != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestOutOfBoundsTrap(t *testing.T) {
	// i64.load at 1 GiB: outside the one-page memory.
	body := w.Seq(w.I32Const(1<<30), []byte{0x29, 0x03, 0x00}) // i64.load align=8 offset=0
	p := loadBytes(t, w.Native("oob", body))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonTrap, "out of bounds memory access")
	refused(t, "memory", "hand-written guest loads from 1 GiB, outside its 64 KiB memory", err)
}

func TestStackOverflow(t *testing.T) {
	// call calls helper 4, which calls itself forever.
	p := loadBytes(t, w.Native("recurse",
		w.Seq(w.Call(w.NativeHelperIndex), w.Unreachable),
		w.Func{Body: w.Call(w.NativeHelperIndex)}))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonStackOverflow, "stack overflow")
	refused(t, "stack", "hand-written guest recurses without end", err)
}

func TestGrowMemoryRaw(t *testing.T) {
	// Grow one page at a time until memory.grow returns -1, then trap.
	body := w.Seq(
		w.Block(), w.Loop(),
		w.I32Const(1), w.MemoryGrow, w.I32Const(-1), w.I32Eq, w.BrIf(1),
		w.Br(0), w.End, w.End,
		w.Unreachable)
	p := loadBytes(t, w.Native("grow", body), host.WithMaxMemory(4<<20))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonMemoryLimit, "4MiB memory limit")
	refused(t, "memory", "hand-written guest runs memory.grow until refused, then traps (limit 4 MiB)", err)
}

func TestLoopRaw(t *testing.T) {
	body := w.Seq(w.Loop(), w.Br(0), w.End, w.Unreachable)
	p := loadBytes(t, w.Native("loop", body), host.WithToolTimeout(100*time.Millisecond))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonTimeout)
	refused(t, "time", "hand-written guest loops with no call inside the loop (timeout 100ms)", err)
}

func TestHugeOutputClaim(t *testing.T) {
	// The reply claims 1 GiB at address 0 of a 64 KiB memory.
	body := w.I64Const(int64(abi.Pack(0, 1<<30, false)))
	p := loadBytes(t, w.Native("liar", body))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonOutputTooLarge, "1GiB", "8MiB output cap")
	refused(t, "output", "reply claims 1 GiB at address 0 of a 64 KiB memory", err)

	// With a cap that allows it, the lie itself is caught.
	p = loadBytes(t, w.Native("liar", body), host.WithMaxOutput(2<<30))
	_, err = tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonMalformedReply, "outside the plugin's 65536-byte memory")
	refused(t, "output", "the same claim with a 2 GiB output cap (the host must not read past the memory)", err)
}

func TestErrorReplyAsPlainText(t *testing.T) {
	// An error reply that is not JSON is taken as the message.
	msg := "plain failure"
	body := w.I64Const(int64(abi.Pack(2048, uint32(len(msg)), true)))
	m := w.Native("plain-err", body)
	p := loadBytes(t, appendData(m, 2048, msg))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonGuestError, "plain failure")
}

func TestMalformedToolReply(t *testing.T) {
	msg := "not json"
	body := w.I64Const(int64(abi.Pack(2048, uint32(len(msg)), false)))
	p := loadBytes(t, appendData(w.Native("bad-json", body), 2048, msg))
	_, err := tool(t, p, "run", `{}`)
	wantError(t, err, host.ReasonMalformedReply, "invalid JSON")
}

// appendData adds an active data segment to a module from w.Native, which
// has exactly one data segment (section 11, the last).
func appendData(m []byte, offset uint32, s string) []byte {
	// Decode the trailing data section, add a segment, re-encode.
	i := len(m)
	for j := 8; j < len(m); {
		id := m[j]
		size, n := uvarint(m[j+1:])
		if id == 11 {
			i = j
			break
		}
		j += 1 + n + int(size)
	}
	_, n := uvarint(m[i+1:])
	body := m[i+1+n:]
	count, cn := uvarint(body)
	seg := w.Seq([]byte{0x00}, w.I32Const(int32(offset)), w.End)
	seg = append(seg, byte(len(s)))
	seg = append(seg, s...)
	newBody := append(append(putUvarint(nil, count+1), body[cn:]...), seg...)
	out := append([]byte{}, m[:i]...)
	out = append(out, 11)
	out = putUvarint(out, uint64(len(newBody)))
	return append(out, newBody...)
}

func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

func putUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := w.Native("good", w.I64Const(0))
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	cases := []struct {
		name string
		path string
		opts []host.Option
		want []string
	}{
		{"missing file", filepath.Join(dir, "absent.wasm"), nil, []string{"absent.wasm", "no such file"}},
		{"not wasm", write("text.wasm", []byte("#!/bin/sh\necho hi\n")), nil, []string{"text.wasm is not a WebAssembly module", `"#!/bin/s"`}},
		{"empty", write("empty.wasm", nil), nil, []string{"not a WebAssembly module"}},
		{"component", write("component.wasm", []byte("\x00asm\x0d\x00\x01\x00")), nil, []string{"component"}},
		{"truncated", write("truncated.wasm", good[:len(good)-5]), nil, []string{"truncated.wasm is not a valid module"}},
		{"sha256 mismatch", write("good.wasm", good), []host.Option{host.WithSHA256(strings.Repeat("ab", 32))}, []string{"sha256 mismatch for", "good.wasm", strings.Repeat("ab", 32)}},
		{"bad pin", write("good2.wasm", good), []host.Option{host.WithSHA256("xyz")}, []string{`invalid sha256 pin "xyz"`}},
		{"no alloc", write("noalloc.wasm", w.Module{MemoryMin: 1, Funcs: []w.Func{{Export: abi.ExportMarker}}}.Encode()), nil, []string{"exports llmhost_abi_v1 but no llmhost_alloc"}},
		{"no memory", write("nomem.wasm", w.Module{Funcs: []w.Func{{Export: abi.ExportMarker}}}.Encode()), nil, []string{`no "memory" memory`}},
		{"bad alloc signature", write("badalloc.wasm", w.Module{MemoryMin: 1, Funcs: []w.Func{
			{Export: abi.ExportMarker},
			{Export: abi.ExportAlloc, Params: []byte{w.I64}, Results: []byte{w.I64}, Body: w.I64Const(0)}}}.Encode()), nil,
			[]string{"llmhost_alloc has the signature (i64) -> (i64), want (i32) -> i32"}},
		{"no describe", write("nodescribe.wasm", w.Module{MemoryMin: 1, Funcs: []w.Func{
			{Export: abi.ExportMarker},
			{Export: abi.ExportAlloc, Params: []byte{w.I32}, Results: []byte{w.I32}, Body: w.I32Const(0)}}}.Encode()), nil,
			[]string{"exports llmhost_abi_v1 but no describe"}},
		{"foreign import: env.launch_missiles", write("import.wasm", w.Module{
			Imports: []w.Import{{Module: "env", Name: "launch_missiles"}},
			Funcs:   []w.Func{{Export: "run"}}}.Encode()), nil,
			[]string{"imports env.launch_missiles, which llmhost does not provide"}},
		{"memory over limit: 6400 KiB at start, 1 MiB limit", write("bigmem.wasm", w.Module{MemoryMin: 100, Funcs: []w.Func{{Export: "run"}}}.Encode()),
			[]host.Option{host.WithMaxMemory(1 << 20)}, []string{"starts with 6400KiB of memory, over its 1MiB limit"}},
		{"zero timeout", write("good3.wasm", good), []host.Option{host.WithTimeout(0)}, []string{"timeouts must be positive"}},
		{"allowed path missing", write("good4.wasm", good), []host.Option{host.WithAllowedPath(filepath.Join(dir, "nope"), "/data")}, []string{"allowed path", "nope"}},
	}
	for _, c := range cases {
		opts := append([]host.Option{host.WithCacheDir(cacheDir(t))}, c.opts...)
		p, err := host.Load(ctx, c.path, opts...)
		if err == nil {
			p.Close(ctx)
			t.Errorf("%s: Load succeeded", c.name)
			continue
		}
		for _, want := range c.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q lacks %q", c.name, err, want)
			}
		}
		if what, ok := strings.CutPrefix(c.name, "foreign import: "); ok {
			refused(t, "loading", "module imports a host function llmhost does not offer ("+what+")", err)
		}
		if what, ok := strings.CutPrefix(c.name, "memory over limit: "); ok {
			refused(t, "loading", "module declares more initial memory than its limit ("+what+")", err)
		}
	}
}

func TestBadDescribeFailsLoad(t *testing.T) {
	bad := `{"abi":"llmhost/0","name":"old"}`
	mod := w.Module{MemoryMin: 1, Funcs: []w.Func{
		{Export: abi.ExportMarker},
		{Export: abi.ExportAlloc, Params: []byte{w.I32}, Results: []byte{w.I32}, Body: w.I32Const(1024)},
		{Export: abi.ExportDescribe, Params: []byte{w.I32, w.I32}, Results: []byte{w.I64}, Body: w.I64Const(int64(abi.Pack(4096, uint32(len(bad)), false)))},
	}, Data: []w.Data{{Offset: 4096, Bytes: []byte(bad)}}}
	_, err := host.LoadBytes(context.Background(), mod.Encode(), host.WithCacheDir(cacheDir(t)))
	if err == nil || !strings.Contains(err.Error(), `describe: abi is "llmhost/0", want "llmhost/1"`) {
		t.Errorf("Load = %v", err)
	}
}

func TestPlainModule(t *testing.T) {
	// No marker, no Extism import: its exports are called the Extism way.
	mod := w.Module{MemoryMin: 1, Funcs: []w.Func{
		{Export: "ok", Results: []byte{w.I32}, Body: w.I32Const(0)},
		{Export: "status", Results: []byte{w.I32}, Body: w.I32Const(7)},
		{Export: "boom", Results: []byte{w.I32}, Body: w.Unreachable},
	}}
	p := loadBytes(t, mod.Encode())
	if p.ABI() != host.ABIPlain {
		t.Fatalf("ABI %s", p.ABI())
	}
	ctx := context.Background()
	if out, err := p.Call(ctx, "ok", []byte("ignored")); err != nil || len(out) != 0 {
		t.Errorf("ok = %q, %v", out, err)
	}
	_, err := p.Call(ctx, "status", nil)
	wantError(t, err, host.ReasonGuestError, "status 7")
	_, err = p.Call(ctx, "boom", nil)
	wantError(t, err, host.ReasonTrap, "unreachable")
	if info := p.Info(); len(info.Kinds) != 0 || info.DescribeError != "" {
		t.Errorf("info %+v", info)
	}
}

// The minimal guest of abi/README.md, section 10, instruction for
// instruction: the specification's example must work.
func TestReadmeMinimalGuest(t *testing.T) {
	describe := `{"abi":"llmhost/1","name":"answer","tools":[{"name":"answer","parameters":{"type":"object"}}]}`
	shl := func(n, at int64) []byte {
		return w.Seq(w.I64Const(n), w.I64Const(32), []byte{0x86}, w.I64Const(at), []byte{0x84}) // i64.shl, i64.or
	}
	mod := w.Module{MemoryMin: 1,
		Funcs: []w.Func{
			{Export: "llmhost_abi_v1"},
			{Export: "llmhost_alloc", Params: []byte{w.I32}, Results: []byte{w.I32}, Body: w.I32Const(1024)},
			{Export: "describe", Params: []byte{w.I32, w.I32}, Results: []byte{w.I64}, Body: shl(94, 256)},
			{Export: "call", Params: []byte{w.I32, w.I32}, Results: []byte{w.I64}, Body: shl(2, 512)},
		},
		Data: []w.Data{{Offset: 256, Bytes: []byte(describe)}, {Offset: 512, Bytes: []byte("42")}},
	}
	if len(describe) != 94 {
		t.Fatalf("the README's describe is %d bytes", len(describe))
	}
	p := loadBytes(t, mod.Encode())
	if p.Name() != "answer" {
		t.Errorf("name %q", p.Name())
	}
	if got := mustTool(t, p, "answer", `{"question":"everything"}`); got != "42" {
		t.Errorf("answer = %s", got)
	}
}

// TestAllocatorLies: the guest's allocator decides where the host writes
// the input. One that points outside the guest's memory must not make the
// host write there; one that has nothing to give fails the call.
func TestAllocatorLies(t *testing.T) {
	d := `{"abi":"llmhost/1","name":"liar","tools":[{"name":"run","parameters":{"type":"object"}}]}`
	guest := func(alloc int32) []byte {
		return w.Module{MemoryMin: 1,
			Funcs: []w.Func{
				{Export: abi.ExportMarker},
				{Export: abi.ExportAlloc, Params: []byte{w.I32}, Results: []byte{w.I32}, Body: w.I32Const(alloc)},
				{Export: abi.ExportDescribe, Params: []byte{w.I32, w.I32}, Results: []byte{w.I64}, Body: w.I64Const(int64(abi.Pack(256, uint32(len(d)), false)))},
				{Export: abi.ExportCall, Params: []byte{w.I32, w.I32}, Results: []byte{w.I64}, Body: w.I64Const(0)},
			},
			Data: []w.Data{{Offset: 256, Bytes: []byte(d)}},
		}.Encode()
	}
	_, err := tool(t, loadBytes(t, guest(0x7fff0000)), "run", `{}`)
	wantError(t, err, host.ReasonMalformedReply, "outside its 65536-byte memory")
	refused(t, "memory", "the guest's allocator hands the host a region at 2 GiB, outside its memory, to write the input to", err)
	_, err = tool(t, loadBytes(t, guest(0)), "run", `{}`)
	wantError(t, err, host.ReasonMemoryLimit, "could not allocate")
	refused(t, "memory", "the guest's allocator has no room for the input (returns 0)", err)
}
