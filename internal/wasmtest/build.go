// Package wasmtest builds the WebAssembly guests that tests run: Go packages
// compiled with the standard toolchain (GOOS=wasip1 GOARCH=wasm,
// -buildmode=c-shared), and tiny modules encoded by hand (see Module), so
// that no tool beyond the Go toolchain is needed.
//
// Built files go to a temporary directory made once per test binary and
// removed by Main; nothing is ever written into the source tree.
package wasmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	dirOnce sync.Once
	dir     string
	dirErr  error

	mu     sync.Mutex
	builds = map[string]*build{}
)

type build struct {
	once sync.Once
	path string
	err  error
}

// Main runs the tests of a package that builds guests and removes the
// guests afterwards. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(wasmtest.Main(m)) }
//
// It also points XDG_CACHE_HOME and XDG_CONFIG_HOME into that directory, so
// that code using the default compilation cache (os.UserCacheDir) and its
// key (os.UserConfigDir) writes nothing into the user's real directories
// while testing.
func Main(m *testing.M) int {
	if d, err := tempDir(); err == nil {
		// The go command finds its build cache through the same variable:
		// pin it first, or every guest would build from scratch.
		if os.Getenv("GOCACHE") == "" {
			if c, err := os.UserCacheDir(); err == nil {
				os.Setenv("GOCACHE", filepath.Join(c, "go-build"))
			}
		}
		// A test binary that a test re-executes inherits the directories
		// its parent chose (a test may have pointed them elsewhere on
		// purpose): set them once, in the outermost process.
		if os.Getenv("LLMHOST_WASMTEST_DIRS") == "" {
			os.Setenv("LLMHOST_WASMTEST_DIRS", "1")
			os.Setenv("XDG_CACHE_HOME", filepath.Join(d, "xdg-cache"))
			// The compilation cache's key lives in os.UserConfigDir: keep
			// it out of the user's real configuration too.
			os.Setenv("XDG_CONFIG_HOME", filepath.Join(d, "xdg-config"))
		}
	}
	code := m.Run()
	if d, err := tempDir(); err == nil {
		os.RemoveAll(d)
	}
	return code
}

// Dir returns the per-process directory that holds built guests.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, err := tempDir()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func tempDir() (string, error) {
	dirOnce.Do(func() { dir, dirErr = os.MkdirTemp("", "llmhost-wasmtest-") })
	return dir, dirErr
}

// BuildGo compiles the Go main package pkg (a directory relative to the
// module root, e.g. "plugins/calculator" or "host/testdata/guests/echo")
// into a c-shared wasip1 module and returns the .wasm path. Each package is
// built once per test binary, however many tests ask; concurrent callers
// wait for the same build.
func BuildGo(tb testing.TB, pkg string) string {
	tb.Helper()
	path, err := Build(pkg)
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// Build is BuildGo for code without a testing.TB, such as TestMain or an
// Example's setup.
func Build(pkg string) (string, error) {
	out, err := tempDir()
	if err != nil {
		return "", err
	}
	mu.Lock()
	b, ok := builds[pkg]
	if !ok {
		b = &build{}
		builds[pkg] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.path, b.err = goBuild(pkg, out) })
	if b.err != nil {
		return "", fmt.Errorf("building guest %s: %w", pkg, b.err)
	}
	return b.path, nil
}

// ModuleDir returns the directory of a dependency of the main module in
// the module cache, e.g. ModuleDir("github.com/extism/go-sdk") for the
// Extism SDK's test plugins.
func ModuleDir(modulePath string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(goTool(), "list", "-m", "-f", "{{.Dir}}", modulePath)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", modulePath, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// ModuleRoot returns the directory of the main module's go.mod.
func ModuleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		d = parent
	}
}

func goBuild(pkg, outDir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	name := strings.ReplaceAll(strings.Trim(pkg, "/."), "/", "_") + ".wasm"
	out := filepath.Join(outDir, name)
	cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./"+strings.TrimPrefix(pkg, "./"))
	cmd.Dir = root
	// The test binary may run with -race or other flags in GOFLAGS that a
	// wasm build cannot take.
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, stderr.Bytes())
	}
	return out, nil
}

// goTool finds the go command: go test puts its own GOROOT/bin first on
// PATH, so this is the toolchain that built the test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
