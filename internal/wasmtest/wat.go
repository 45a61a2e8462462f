package wasmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// WAT compiles WebAssembly text to a binary module with wabt's wat2wasm,
// for hostile guests that need more of the format than Module encodes
// (tables, table.grow, many locals, raw WASI calls). wat2wasm is a test
// dependency that `make test` and .ci/run install (Debian package wabt);
// without it the test fails, because an attack not tried is not a pass.
//
// flags go to wat2wasm as they are, e.g. "--enable-threads".
func WAT(tb testing.TB, src string, flags ...string) []byte {
	tb.Helper()
	bin, err := exec.LookPath("wat2wasm")
	if err != nil {
		tb.Fatalf("wasmtest.WAT: wat2wasm is not installed (apt-get install wabt; make test does it): %v", err)
	}
	d := tb.TempDir()
	in, out := filepath.Join(d, "m.wat"), filepath.Join(d, "m.wasm")
	if err := os.WriteFile(in, []byte(src), 0o600); err != nil {
		tb.Fatal(err)
	}
	args := append(append([]string{}, flags...), in, "-o", out)
	if msg, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		tb.Fatalf("wat2wasm: %v\n%s\nsource:\n%s", err, strings.TrimSpace(string(msg)), src)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return wasm
}
