package host_test

import (
	"context"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/host"
	w "github.com/llmhost/llmhost/internal/wasmtest"
)

// A module built for another version of the ABI is refused by name, not run
// as a plain module that happens to export functions.
func TestOtherABIVersionIsRefused(t *testing.T) {
	wasm := w.Module{MemoryMin: 1, Funcs: []w.Func{{Export: "llmhost_abi_v2"}}}.Encode()
	_, err := host.LoadBytes(context.Background(), wasm, host.WithCacheDir(cacheDir(t)))
	if err == nil || !strings.Contains(err.Error(), "llmhost_abi_v2") || !strings.Contains(err.Error(), "llmhost/1") {
		t.Fatalf("Load = %v, want an error naming llmhost_abi_v2 and llmhost/1", err)
	}
	refused(t, "loading", "a module exporting llmhost_abi_v2 (another ABI version)", err)
}
