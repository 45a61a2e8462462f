// Package guests builds the WebAssembly guests the benchmarks run, with the
// standard Go toolchain (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared), so
// that a fresh clone needs nothing prebuilt. Nothing built is committed:
// the files go to build/bench/wasm at the repository root (ignored by git),
// or to $LLMHOST_BENCH_WASM.
package guests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// The guests, by name. Each is a main package, given as the module
// directory to build in and the package path within it.
var sources = map[string]struct{ module, pkg string }{
	// The benchmarks' own guests: echo and parse_answer on either ABI.
	"native": {"bench", "./guests/native"},
	"extism": {"bench", "./guests/extism"},
	// The bundled calculator: the Go tool plugin users actually run.
	"calculator": {".", "./plugins/calculator"},
}

var (
	mu      sync.Mutex
	built   = map[string]string{}
	rootMu  sync.Once
	root    string
	rootErr error
)

// Path builds the guest name (once per process) and returns its .wasm path.
func Path(name string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[name]; ok {
		return p, nil
	}
	src, ok := sources[name]
	if !ok {
		return "", fmt.Errorf("guests: no guest %q", name)
	}
	r, err := Root()
	if err != nil {
		return "", err
	}
	dir := os.Getenv("LLMHOST_BENCH_WASM")
	if dir == "" {
		dir = filepath.Join(r, "build", "bench", "wasm")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, name+".wasm")
	// Build beside the target and rename, so that a process reading the
	// file (the cold-start probe) never sees half of it.
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-trimpath", "-o", tmp, src.pkg)
	cmd.Dir = filepath.Join(r, src.module)
	// GOFLAGS may carry flags (-race) a wasm build cannot take.
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("guests: building %s: %v\n%s", name, err, stderr.Bytes())
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	built[name] = out
	return out, nil
}

// Read builds the guest name and returns its bytes.
func Read(name string) ([]byte, error) {
	p, err := Path(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// Root returns the repository root: the directory above the bench module's
// go.mod, found from the working directory (go test runs in the package's
// directory, go run wherever it was started) or from the root itself.
func Root() (string, error) {
	rootMu.Do(func() {
		d, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		isBench := func(dir string) bool {
			b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			return err == nil && strings.Contains(string(b), "module github.com/llmhost/llmhost/bench\n")
		}
		for {
			if isBench(d) {
				root = filepath.Dir(d)
				return
			}
			if isBench(filepath.Join(d, "bench")) {
				root = d
				return
			}
			parent := filepath.Dir(d)
			if parent == d {
				rootErr = fmt.Errorf("guests: run from inside the bench module (no bench/go.mod above %s)", d)
				return
			}
			d = parent
		}
	})
	return root, rootErr
}

// goTool finds the go command: the one on PATH (go test and go run put
// their own toolchain first), else the one that built this binary.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
