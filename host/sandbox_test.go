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
	refused(t, "files", "read a host file by its absolute path, no directory granted", err)
	_, err = tool(t, p, "read_file", `{"path":"/etc/hostname"}`)
	wantError(t, err, host.ReasonGuestError)
	refused(t, "files", "read /etc/hostname, no directory granted", err)

	p = load(t, nativeGuest(t), host.WithAllowedPath(dir, "/data"))
	got := mustTool(t, p, "read_file", `{"path":"/data/secret.txt"}`)
	if got != `"the secret"` {
		t.Errorf("read of a granted file = %s", got)
	}
	outcome(t, "files", "read a file of the directory granted read-only (control)", "allowed: read "+got)
	// Only the granted directory, and read-only.
	_, err = tool(t, p, "read_file", hostPath)
	wantError(t, err, host.ReasonGuestError)
	refused(t, "files", "read a file outside the granted directory, by its host path", err)
	_, err = tool(t, p, "write_file", `{"path":"/data/new.txt"}`)
	wantError(t, err, host.ReasonGuestError, "new.txt")
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Error("a read-only grant let the guest write")
	}
	refused(t, "files", "create a file in the directory granted read-only", err)

	p = load(t, nativeGuest(t), host.WithWritablePath(dir, "/data"))
	mustTool(t, p, "write_file", `{"path":"/data/new.txt"}`)
	if b, err := os.ReadFile(filepath.Join(dir, "new.txt")); err != nil || string(b) != "written by the guest" {
		t.Errorf("written file = %q, %v", b, err)
	}
	outcome(t, "files", "create a file in a directory granted writable (control)", "allowed: the file holds what the guest wrote")
}

func TestEnvironmentDeniedUnlessGranted(t *testing.T) {
	t.Setenv("LLMHOST_TEST_SECRET", "hunter2")
	p := load(t, nativeGuest(t))
	got := mustTool(t, p, "getenv", `{"name":"LLMHOST_TEST_SECRET"}`)
	if got != `""` {
		t.Errorf("getenv without a grant = %s", got)
	}
	outcome(t, "environment", "read a variable of the host's environment, none granted", "sees nothing: "+got)
	got = mustTool(t, p, "environ", `{}`)
	if got != "[]" && got != "null" {
		t.Errorf("environ without a grant = %s", got)
	}
	outcome(t, "environment", "list the whole environment, none granted", "sees nothing: "+got)
	p = load(t, nativeGuest(t), host.WithEnv(map[string]string{"GREETING": "hi"}))
	got = mustTool(t, p, "getenv", `{"name":"GREETING"}`)
	if got != `"hi"` {
		t.Errorf("getenv GREETING = %s", got)
	}
	outcome(t, "environment", "read a granted variable (control)", "allowed: "+got)
	got = mustTool(t, p, "getenv", `{"name":"LLMHOST_TEST_SECRET"}`)
	if got != `""` {
		t.Errorf("getenv of an ungranted variable = %s", got)
	}
	outcome(t, "environment", "read a host variable while another is granted", "sees nothing: "+got)
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
	for i, opts := range [][]host.Option{nil, {host.WithAllowedHosts("127.0.0.1")}} {
		p := load(t, nativeGuest(t), opts...)
		_, err := tool(t, p, "dial", fmt.Sprintf(`{"name":%q}`, addr))
		wantError(t, err, host.ReasonGuestError, "dial tcp")
		refused(t, "network", []string{"native guest dials a TCP server on loopback", "native guest dials it with 127.0.0.1 granted (grants are for Extism's HTTP)"}[i], err)
	}
}

func TestNetworkDeniedToExtismGuestsUnlessGranted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "reached") }))
	defer srv.Close()
	ctx := context.Background()

	p := load(t, extismGuest(t))
	_, err := p.Call(ctx, "http_get", []byte(srv.URL))
	wantError(t, err, host.ReasonTrap, "is not allowed")
	refused(t, "network", "Extism guest makes an HTTP request, no host granted", err)

	p = load(t, extismGuest(t), host.WithAllowedHosts("example.com"))
	_, err = p.Call(ctx, "http_get", []byte(srv.URL))
	wantError(t, err, host.ReasonTrap, "is not allowed")
	refused(t, "network", "Extism guest requests 127.0.0.1 with only example.com granted", err)

	p = load(t, extismGuest(t), host.WithAllowedHosts("127.0.0.1"))
	out, err := p.Call(ctx, "http_get", []byte(srv.URL))
	if err != nil || string(out) != "reached" {
		t.Errorf("granted request = %q, %v", out, err)
	}
	outcome(t, "network", "Extism guest requests a granted host (control)", fmt.Sprintf("allowed: %q", out))
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

// A granted directory is all the guest reaches: not what a symbolic link
// inside it points to elsewhere, not its parent through "..", and a guest
// allowed to write cannot make a link out of it either. Links that stay
// inside work. (wazero's own directory mount follows any link; the host
// confines the mount to the directory.)
func TestGrantedDirectoryKeepsTheGuestInside(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "outside.txt"), []byte("outside the grant"), 0o644)
	dir := filepath.Join(root, "granted")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "inside.txt"), []byte("inside the grant"), 0o644)
	os.Symlink(filepath.Join(root, "outside.txt"), filepath.Join(dir, "abs-link"))
	os.Symlink("../outside.txt", filepath.Join(dir, "rel-link"))
	os.Symlink(root, filepath.Join(dir, "dir-link"))
	os.Symlink("inside.txt", filepath.Join(dir, "inner-link"))
	read := func(p *host.Plugin, path string) (string, error) {
		return tool(t, p, "read_file", fmt.Sprintf(`{"path":%q}`, path))
	}

	p := load(t, nativeGuest(t), host.WithAllowedPath(dir, "/data"))
	for _, c := range []struct{ path, attempt string }{
		{"/data/abs-link", "follow a link in the granted directory to an absolute path outside it"},
		{"/data/rel-link", "follow a link in the granted directory to ../outside.txt"},
		{"/data/dir-link/outside.txt", "go through a link in the granted directory to a directory outside it"},
	} {
		_, err := read(p, c.path)
		wantError(t, err, host.ReasonGuestError)
		refused(t, "files", c.attempt, err)
	}
	if got, err := read(p, "/data/inner-link"); err != nil || got != `"inside the grant"` {
		t.Errorf("a link inside the grant: %s, %v", got, err)
	} else {
		outcome(t, "files", "follow a link that stays inside the granted directory (control)", "allowed: read "+got)
	}
	// A guest that skips its language's path cleaning and hands WASI a
	// relative path from the granted directory's descriptor.
	for _, path := range []string{"../outside.txt", "inner-link/../../outside.txt"} {
		_, err := tool(t, p, "openat", fmt.Sprintf(`{"path":%q}`, path))
		wantError(t, err, host.ReasonGuestError)
		refused(t, "files", fmt.Sprintf("raw path_open of %q from the granted directory's descriptor", path), err)
	}

	p = load(t, nativeGuest(t), host.WithWritablePath(dir, "/data"))
	for _, c := range []struct{ target, path, attempt string }{
		{"../outside.txt", "/data/made-link", "make a link ../outside.txt in a directory granted writable"},
		{"/etc", "/data/etc", "make a link to /etc in a directory granted writable"},
	} {
		_, err := tool(t, p, "symlink", fmt.Sprintf(`{"target":%q,"path":%q}`, c.target, c.path))
		wantError(t, err, host.ReasonGuestError, "symlink")
		refused(t, "files", c.attempt, err)
	}
	_, err := tool(t, p, "write_file", `{"path":"/data/rel-link"}`)
	wantError(t, err, host.ReasonGuestError)
	refused(t, "files", "write through a link in the writable directory to a file outside it", err)
	if b, _ := os.ReadFile(filepath.Join(root, "outside.txt")); string(b) != "outside the grant" {
		t.Errorf("the file outside the grant now holds %q", b)
	}
	mustTool(t, p, "symlink", `{"target":"inside.txt","path":"/data/sub-link"}`)
	if got, err := read(p, "/data/sub-link"); err != nil || got != `"inside the grant"` {
		t.Errorf("a link made inside the grant: %s, %v", got, err)
	} else {
		outcome(t, "files", "make a link to a file of the writable directory, and read it (control)", "allowed: read "+got)
	}

	// The same directory, granted to an Extism guest.
	ctx := context.Background()
	_, err = load(t, extismGuest(t)).Call(ctx, "read_file", []byte("/data/inside.txt"))
	wantError(t, err, host.ReasonGuestError)
	refused(t, "files", "Extism guest reads a file, no directory granted", err)
	x := load(t, extismGuest(t), host.WithAllowedPath(dir, "/data"))
	if out, err := x.Call(ctx, "read_file", []byte("/data/inside.txt")); err != nil || string(out) != "inside the grant" {
		t.Errorf("Extism read of a granted file: %q, %v", out, err)
	} else {
		outcome(t, "files", "Extism guest reads a file of the granted directory (control)", fmt.Sprintf("allowed: read %q", out))
	}
	_, err = x.Call(ctx, "read_file", []byte("/data/rel-link"))
	wantError(t, err, host.ReasonGuestError)
	refused(t, "files", "Extism guest follows a link in the granted directory to a file outside it", err)
}
