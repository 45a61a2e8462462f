package host

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmhost/llmhost/host/internal/wasmbin"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// TestModuleLimitsFitRealModules checks every module the repository and
// the go-sdk ship against the default limits, without compiling them, and
// logs how far each is from them: the measurements the defaults rest on.
func TestModuleLimitsFitRealModules(t *testing.T) {
	sdk, err := wasmtest.ModuleDir("github.com/extism/go-sdk")
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(sdk, "wasm", "*.wasm"))
	paths = append(paths, wasmtest.BuildGo(t, "plugins/calculator"), wasmtest.BuildGo(t, "plugins/jsonextract"),
		wasmtest.BuildGo(t, "plugins/files"), wasmtest.BuildGo(t, "plugins/backoff"),
		wasmtest.BuildGo(t, "host/testdata/guests/native"), wasmtest.BuildGo(t, "host/testdata/guests/extism"))
	if len(paths) < 20 {
		t.Fatalf("only %d modules found", len(paths))
	}
	for _, p := range paths {
		wasm, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := boundModule(wasm, DefaultModuleLimits()); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		m, _ := wasmbin.Parse(wasm)
		var depth int
		var locals, br uint64
		for _, f := range m.Funcs {
			c, _ := wasmbin.ScanCode(wasm[f.CodeStart:f.End])
			depth, br, locals = max(depth, c.MaxDepth), max(br, c.BrTableTargets), max(locals, f.Locals)
		}
		var table uint64
		for _, tb := range m.Tables {
			table = max(table, tb.Limits.Min)
		}
		t.Logf("%-22s %8d B, %5d funcs, table %5d, data %5d, max locals %5d, depth %5d, br_table targets %5d",
			filepath.Base(p), len(wasm), len(m.Funcs), table, m.Count(wasm, wasmbin.SectionData), locals, depth, br)
	}
}
