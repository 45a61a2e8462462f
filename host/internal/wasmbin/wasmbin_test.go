package wasmbin_test

import (
	"context"
	"errors"
	"testing"

	"github.com/llmhost/llmhost/host/internal/wasmbin"
	"github.com/llmhost/llmhost/internal/wasmtest"
	"github.com/tetratelabs/wazero"
)

const tableModule = `(module
  (import "env" "f" (func $f))
  (table $t 1 funcref)
  (table $u 2 10 funcref)
  (memory 1 2)
  (func (export "grow") (param i32) (result i32)
    (table.grow $t (ref.null func) (local.get 0)))
  (func (export "locals") (local i32 i64 i64) (local f32)))`

func TestParseReadsTheFraming(t *testing.T) {
	m, err := wasmbin.Parse(wasmtest.WAT(t, tableModule))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Imports) != 1 || m.Imports[0].Module != "env" || m.Imports[0].Name != "f" || m.Imports[0].Kind != wasmbin.KindFunc {
		t.Errorf("imports = %+v", m.Imports)
	}
	if len(m.Tables) != 2 || m.Tables[0].Limits != (wasmbin.Limits{Min: 1}) || m.Tables[1].Limits != (wasmbin.Limits{Min: 2, Max: 10, HasMax: true}) {
		t.Errorf("tables = %+v", m.Tables)
	}
	if len(m.Memories) != 1 || m.Memories[0] != (wasmbin.Limits{Min: 1, Max: 2, HasMax: true}) {
		t.Errorf("memories = %+v", m.Memories)
	}
	if m.FuncDecls != 2 || len(m.Funcs) != 2 || m.Funcs[0].Locals != 0 || m.Funcs[1].Locals != 4 {
		t.Errorf("funcs = %d declared, bodies %+v", m.FuncDecls, m.Funcs)
	}
}

func TestParseRefusesBrokenFraming(t *testing.T) {
	good := wasmtest.WAT(t, tableModule)
	for name, wasm := range map[string][]byte{
		"truncated":       good[:len(good)-3],
		"no header":       []byte("\x00asn\x01\x00\x00\x00"),
		"section too big": append(append([]byte{}, good[:8]...), 1, 0xff, 0xff, 0xff, 0x0f),
		"overlong leb":    append(append([]byte{}, good[:8]...), 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
	} {
		if _, err := wasmbin.Parse(wasm); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

// The point of SetTableMax: after it, wazero itself refuses to grow a table
// past the bound, where before it would have grown it to 2^32-1 elements.
func TestSetTableMaxBoundsTableGrow(t *testing.T) {
	ctx := context.Background()
	wasm, err := wasmbin.SetTableMax(wasmtest.WAT(t, tableModule), 100)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wasmbin.Parse(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Tables[0].Limits; got != (wasmbin.Limits{Min: 1, Max: 100, HasMax: true}) {
		t.Errorf("table 0 = %+v, want max 100", got)
	}
	if got := m.Tables[1].Limits; got != (wasmbin.Limits{Min: 2, Max: 10, HasMax: true}) {
		t.Errorf("table 1 = %+v, want its own smaller max kept", got)
	}
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.NewHostModuleBuilder("env").NewFunctionBuilder().WithFunc(func() {}).Export("f").Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	grow := mod.ExportedFunction("grow")
	if r, err := grow.Call(ctx, 99); err != nil || int32(r[0]) != 1 {
		t.Fatalf("grow(99) = %v, %v; want the old size 1", r, err)
	}
	if r, err := grow.Call(ctx, 1); err != nil || int32(r[0]) != -1 {
		t.Fatalf("grow past the bound = %v, %v; want -1", r, err)
	}
}

func TestSetTableMaxRefusesALargerMinimum(t *testing.T) {
	_, err := wasmbin.SetTableMax(wasmtest.WAT(t, `(module (table 1000 funcref))`), 999)
	var te *wasmbin.TableError
	if !errors.As(err, &te) || te.Min != 1000 || te.Limit != 999 {
		t.Fatalf("err = %v, want a TableError", err)
	}
}

func TestRenameImports(t *testing.T) {
	ctx := context.Background()
	wasm, err := wasmbin.RenameImports(wasmtest.WAT(t, tableModule), func(module, name string) (string, bool) {
		return "other", module == "env" && name == "f"
	})
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	c, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	imps := c.ImportedFunctions()
	if len(imps) != 1 {
		t.Fatalf("imports: %d", len(imps))
	}
	if mod, name, _ := imps[0].Import(); mod != "other" || name != "f" {
		t.Errorf("import = %s.%s, want other.f", mod, name)
	}
}
