package bench

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/llmhost/llmhost/bench/internal/guests"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// nocheckPath runs the export fn of the native guest the way the host
// does (the llmhost/1 convention: llmhost_alloc, write, call, read the
// packed reply), but on a bare wazero runtime without
// WithCloseOnContextDone. The host cannot run guests so: that option is
// what lets a timeout stop a guest stuck in a loop, and wazero implements
// it by leaving the machine code at every loop header (and a Go guest has
// one in every function) to check whether the module was closed. This path
// measures the price of that check, a reference and not a way to run
// plugins.
func nocheckPath(b *testing.B, fn string) path {
	ctx := context.Background()
	file, err := guests.Path("native")
	if err != nil {
		b.Fatal(err)
	}
	wasm, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithDebugInfoEnabled(false))
	b.Cleanup(func() { rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions("_initialize"))
	if err != nil {
		b.Fatal(err)
	}
	alloc, export := mod.ExportedFunction("llmhost_alloc"), mod.ExportedFunction(fn)
	var region, capacity uint32
	stack := make([]uint64, 2)
	return path{"wasm-nocheck", func(ctx context.Context, in []byte) ([]byte, error) {
		if n := uint32(len(in)); n > capacity {
			stack[0] = uint64(n)
			if err := alloc.CallWithStack(ctx, stack); err != nil {
				return nil, err
			}
			region, capacity = uint32(stack[0]), n
		}
		mod.Memory().Write(region, in)
		stack[0], stack[1] = uint64(region), uint64(len(in))
		if err := export.CallWithStack(ctx, stack); err != nil {
			return nil, err
		}
		return reply(mod.Memory(), stack[0])
	}}
}

// reply copies out the reply a packed llmhost/1 result points at.
func reply(mem api.Memory, packed uint64) ([]byte, error) {
	ptr, n, isErr := uint32(packed), uint32(packed>>32)&0x7fffffff, packed>>63 == 1
	view, ok := mem.Read(ptr, n)
	if !ok {
		return nil, errors.New("reply outside memory")
	}
	out := append([]byte(nil), view...)
	if isErr {
		return nil, errors.New(string(out))
	}
	return out, nil
}
