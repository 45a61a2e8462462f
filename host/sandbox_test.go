package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/host"
)

// Each escape is tried twice: denied by default, allowed when granted.

func TestFilesDeniedUnlessGranted(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("the secret"), 0o644)
	hostPath := fmt.Sprintf(`{"path":%q}`, filepath.Join(dir, "secret.txt"))

	p := load(t, nativeGuest(t))
	_, err := tool(t, p, "read_file", hostPath)
	wantError(t, err, host.ReasonGuestError, "secret.txt")
	_, err = tool(t, p, "read_file", `{"path":"/etc/hostname"}`)
	wantError(t, err, host.ReasonGuestError)

	p = load(t, nativeGuest(t), host.WithAllowedPath(dir, "/data"))
	if got := mustTool(t, p, "read_file", `{"path":"/data/secret.txt"}`); got != `"the secret"` {
		t.Errorf("read of a granted file = %s", got)
	}
	// Only the granted directory, and read-only.
	_, err = tool(t, p, "read_file", hostPath)
	wantError(t, err, host.ReasonGuestError)
	_, err = tool(t, p, "write_file", `{"path":"/data/new.txt"}`)
	wantError(t, err, host.ReasonGuestError, "new.txt")
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Error("a read-only grant let the guest write")
	}

	p = load(t, nativeGuest(t), host.WithWritablePath(dir, "/data"))
	mustTool(t, p, "write_file", `{"path":"/data/new.txt"}`)
	if b, err := os.ReadFile(filepath.Join(dir, "new.txt")); err != nil || string(b) != "written by the guest" {
		t.Errorf("written file = %q, %v", b, err)
	}
}

func TestEnvironmentDeniedUnlessGranted(t *testing.T) {
	t.Setenv("LLMHOST_TEST_SECRET", "hunter2")
	p := load(t, nativeGuest(t))
	if got := mustTool(t, p, "getenv", `{"name":"LLMHOST_TEST_SECRET"}`); got != `""` {
		t.Errorf("getenv without a grant = %s", got)
	}
	if got := mustTool(t, p, "environ", `{}`); got != "[]" && got != "null" {
		t.Errorf("environ without a grant = %s", got)
	}
	p = load(t, nativeGuest(t), host.WithEnv(map[string]string{"GREETING": "hi"}))
	if got := mustTool(t, p, "getenv", `{"name":"GREETING"}`); got != `"hi"` {
		t.Errorf("getenv GREETING = %s", got)
	}
	if got := mustTool(t, p, "getenv", `{"name":"LLMHOST_TEST_SECRET"}`); got != `""` {
		t.Errorf("getenv of an ungranted variable = %s", got)
	}
}

func TestNetworkDeniedToNativeGuests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "reached") }))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	if c, err := net.Dial("tcp", addr); err != nil {
		t.Fatalf("the host itself cannot reach the server: %v", err)
	} else {
		c.Close()
	}
	// No socket is offered to a native guest: even a granted host is out
	// of reach.
	for _, opts := range [][]host.Option{nil, {host.WithAllowedHosts("127.0.0.1")}} {
		p := load(t, nativeGuest(t), opts...)
		_, err := tool(t, p, "dial", fmt.Sprintf(`{"name":%q}`, addr))
		wantError(t, err, host.ReasonGuestError, "dial tcp")
	}
}

func TestNetworkDeniedToExtismGuestsUnlessGranted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "reached") }))
	defer srv.Close()
	ctx := context.Background()

	p := load(t, extismGuest(t))
	_, err := p.Call(ctx, "http_get", []byte(srv.URL))
	wantError(t, err, host.ReasonTrap, "is not allowed")

	p = load(t, extismGuest(t), host.WithAllowedHosts("example.com"))
	_, err = p.Call(ctx, "http_get", []byte(srv.URL))
	wantError(t, err, host.ReasonTrap, "is not allowed")

	p = load(t, extismGuest(t), host.WithAllowedHosts("127.0.0.1"))
	out, err := p.Call(ctx, "http_get", []byte(srv.URL))
	if err != nil || string(out) != "reached" {
		t.Errorf("granted request = %q, %v", out, err)
	}
}

func TestConfigReachesExtismGuest(t *testing.T) {
	ctx := context.Background()
	p := load(t, extismGuest(t))
	_, err := p.Call(ctx, "config", []byte("greeting"))
	wantError(t, err, host.ReasonGuestError, "no such config key")

	p = load(t, extismGuest(t), host.WithConfig(map[string]string{"greeting": "hi"}))
	out, err := p.Call(ctx, "config", []byte("greeting"))
	if err != nil || string(out) != "hi" {
		t.Errorf("config = %q, %v", out, err)
	}
}

func TestSandboxInfo(t *testing.T) {
	p := load(t, nativeGuest(t), host.WithMaxMemory(48<<20))
	b, err := json.Marshal(p.Info())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"limit_bytes":50331648`) {
		t.Errorf("info %s lacks the memory limit", b)
	}
}
