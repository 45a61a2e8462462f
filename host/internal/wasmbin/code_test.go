package wasmbin_test

import (
	"context"
	"testing"

	"github.com/llmhost/llmhost/host/internal/wasmbin"
	"github.com/llmhost/llmhost/internal/wasmtest"
	"github.com/tetratelabs/wazero"
)

// instructions uses an instruction of every kind of immediate ScanCode
// skips, from each proposal wazero v1.12 implements, so that a wrong skip
// (which would desynchronize the scan and hide blocks from it) fails here.
// (wat2wasm 1.0.32 knows no try_table: TestScanCodeTryTable has it in
// bytes.)
const instructions = `(module
  (type $v (func))
  (import "env" "f" (func $f (param i32)))
  (memory 1 1 shared)
  (table $t 2 funcref)
  (global $g (mut i64) (i64.const 0))
  (data $d "xy")
  (elem $e func $f)
  (elem declare func $all)
  (elem (i32.const 1) funcref (ref.func $f))
  (func $all (param $a i32) (result i32) (local $l i64) (local $v v128)
    (block $b (result i32)
      (loop $l2
        (if (local.get $a) (then (br $l2)) (else nop)))
      (block $c (block $c2
        (br_table $c $c2 $c (i32.const 1))))
      (call $f (i32.const -123456))
      (call_indirect $t (type $v) (i32.const 0))
      (drop (select (i32.const 1) (i32.const 2) (i32.const 0)))
      (drop (select (result i64) (i64.const -1) (i64.const 2) (i32.const 0)))
      (local.set $l (i64.load offset=8 align=4 (i32.const 0)))
      (i64.store8 offset=1000000 (i32.const 0) (local.get $l))
      (global.set $g (global.get $g))
      (drop (memory.grow (memory.size)))
      (drop (f32.const 1.5)) (drop (f64.const -2.25)) (drop (i64.const 0x7fffffffffffffff))
      (drop (ref.is_null (ref.null func))) (drop (ref.func $all))
      (table.set $t (i32.const 0) (table.get $t (i32.const 1)))
      (drop (table.grow $t (ref.null func) (i32.const 1))) (drop (table.size $t))
      (table.fill $t (i32.const 0) (ref.null func) (i32.const 0))
      (table.copy $t $t (i32.const 0) (i32.const 0) (i32.const 0))
      (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 0)) (elem.drop $e)
      (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0)) (data.drop $d)
      (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
      (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
      (drop (i32.trunc_sat_f32_s (f32.const 1))) (drop (i32.extend8_s (i32.const 1)))
      (local.set $v (v128.const i32x4 1 2 3 4))
      (local.set $v (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))
      (drop (i32x4.extract_lane 3 (local.get $v)))
      (local.set $v (v128.load32_lane offset=4 2 (i32.const 0) (local.get $v)))
      (local.set $v (v128.load64_zero (i32.const 0)))
      (v128.store (i32.const 0) (i32x4.add (local.get $v) (local.get $v)))
      (drop (i32.atomic.rmw.add offset=4 (i32.const 0) (i32.const 1)))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (atomic.fence)
      (i32.const 0)))
  (func $tail (param i32) (result i32)
    (return_call $all (local.get 0))))`

func TestScanCodeMeasures(t *testing.T) {
	wasm := wasmtest.WAT(t, instructions, "--enable-all")
	// wazero must accept what ScanCode reads, or the test proves nothing.
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCoreFeatures(0xffffffffffffffff))
	defer rt.Close(ctx)
	if _, err := rt.CompileModule(ctx, wasm); err != nil {
		t.Fatalf("wazero refuses the module: %v", err)
	}
	m, err := wasmbin.Parse(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Funcs) != 2 {
		t.Fatalf("%d bodies", len(m.Funcs))
	}
	var got []wasmbin.Code
	for i, f := range m.Funcs {
		c, err := wasmbin.ScanCode(wasm[f.CodeStart:f.End])
		if err != nil {
			t.Fatalf("function %d: %v", i, err)
		}
		got = append(got, c)
	}
	// $all: function, $b, $l2, if = 4 deep; br_table: 3 targets.
	if got[0].MaxDepth != 4 || got[0].BrTableTargets != 3 {
		t.Errorf("$all: %+v, want depth 4 and 3 br_table targets", got[0])
	}
	if got[1].MaxDepth != 1 || got[1].BrTableTargets != 0 || got[1].Instructions != 3 {
		t.Errorf("$tail: %+v, want depth 1, 3 instructions", got[1])
	}
	if n, err := m.ElementEntries(wasm); err != nil || n != 3 {
		t.Errorf("ElementEntries = %d, %v; want 3", n, err)
	}
	if n := m.Count(wasm, wasmbin.SectionGlobal); n != 1 {
		t.Errorf("Count(globals) = %d, want 1", n)
	}
}

func TestScanCodeTryTable(t *testing.T) {
	// try_table (catch 0 0) (catch_all_ref 0) end; throw_ref in a block.
	code := []byte{0x1f, 0x40, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x40, 0x0a, 0x0b, 0x0b, 0x0b}
	c, err := wasmbin.ScanCode(code)
	if err != nil || c.MaxDepth != 3 || c.Instructions != 6 {
		t.Errorf("ScanCode = %+v, %v; want depth 3, 6 instructions", c, err)
	}
}

func TestScanCodeRefuses(t *testing.T) {
	for name, code := range map[string][]byte{
		"unknown opcode":     {0x06, 0x40, 0x0b, 0x0b}, // legacy try, which wazero does not decode
		"unbalanced":         {0x02, 0x40, 0x0b},
		"bytes after end":    {0x0b, 0x01},
		"truncated br_table": {0x41, 0, 0x0e, 0xff, 0xff, 0x03},
		"unknown 0xfc":       {0xfc, 0x7f, 0x0b},
		"empty":              {},
	} {
		if c, err := wasmbin.ScanCode(code); err == nil {
			t.Errorf("%s: ScanCode accepted it: %+v", name, c)
		}
	}
}

func FuzzScanCode(f *testing.F) {
	f.Add([]byte{0x02, 0x40, 0x0e, 0x01, 0x00, 0x00, 0x0b, 0x0b})
	f.Add([]byte{0xfd, 0x0c, 0x0b})
	f.Fuzz(func(t *testing.T, code []byte) {
		c, err := wasmbin.ScanCode(code)
		if err == nil && (c.MaxDepth < 1 || c.Instructions == 0) {
			t.Fatalf("accepted %x with %+v", code, c)
		}
	})
}
