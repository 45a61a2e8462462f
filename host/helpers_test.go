package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

func TestMain(m *testing.M) {
	code := wasmtest.Main(m)
	// The sandbox table is whole only when every test ran, and true only
	// when every test passed.
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if err := recordEscapes(); err != nil {
			fmt.Fprintln(os.Stderr, "recording the sandbox table:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Test guests, built once per test binary.
func nativeGuest(t testing.TB) string { return wasmtest.BuildGo(t, "host/testdata/guests/native") }
func extismGuest(t testing.TB) string { return wasmtest.BuildGo(t, "host/testdata/guests/extism") }

// cacheDir is shared by every test of the binary, so each module is
// compiled once (compiling a Go guest under -race takes seconds).
func cacheDir(t testing.TB) string { return filepath.Join(wasmtest.Dir(t), "cache") }

// load loads a plugin with the test cache and closes it after the test.
func load(t testing.TB, path string, opts ...host.Option) *host.Plugin {
	t.Helper()
	p, err := host.Load(context.Background(), path, append([]host.Option{host.WithCacheDir(cacheDir(t))}, opts...)...)
	if err != nil {
		t.Fatalf("Load(%s): %v", filepath.Base(path), err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// loadBytes loads a hand-encoded module.
func loadBytes(t testing.TB, wasm []byte, opts ...host.Option) *host.Plugin {
	t.Helper()
	p, err := host.LoadBytes(context.Background(), wasm, append([]host.Option{host.WithCacheDir(cacheDir(t))}, opts...)...)
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// sdkPlugin returns the path of one of extism/go-sdk's own test plugins.
func sdkPlugin(t testing.TB, name string) string {
	t.Helper()
	dir, err := wasmtest.ModuleDir("github.com/extism/go-sdk")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "wasm", name)
}

func tool(t testing.TB, p *host.Plugin, name, args string) (string, error) {
	t.Helper()
	var raw json.RawMessage
	if args != "" {
		raw = json.RawMessage(args)
	}
	out, err := p.CallTool(context.Background(), abi.ToolCall{ID: "call_1", Name: name, Arguments: raw})
	return string(out), err
}

// mustTool calls a tool that must succeed.
func mustTool(t testing.TB, p *host.Plugin, name, args string) string {
	t.Helper()
	out, err := tool(t, p, name, args)
	if err != nil {
		t.Fatalf("tool %s(%s): %v", name, args, err)
	}
	return out
}

// wantError checks that err is a *host.Error with reason r whose message
// contains each of msg, and returns it.
func wantError(t testing.TB, err error, r host.Reason, msg ...string) *host.Error {
	t.Helper()
	var e *host.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *host.Error with reason %s", err, err, r)
	}
	if e.Reason != r {
		t.Fatalf("reason %s, want %s: %v\nstderr: %.300s", e.Reason, r, err, e.Stderr)
	}
	for _, m := range msg {
		if !strings.Contains(e.Message, m) {
			t.Errorf("message %q lacks %q", e.Message, m)
		}
	}
	if e.Plugin == "" || e.Function == "" {
		t.Errorf("error without plugin or function: %#v", e)
	}
	return e
}
