package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Attacks on the Extism path: HTTP that leaves its grant, grants that
// cannot mean anything, and exits that kill an instance the pool would
// otherwise reuse.

// counted is a test server that counts the requests it receives.
type counted struct {
	*httptest.Server
	hits atomic.Int64
}

func newCounted(t *testing.T, h http.HandlerFunc) *counted {
	c := &counted{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// as returns the server's URL with the host name host (the servers listen
// on 127.0.0.1; "localhost" names the same address, so that grants, which
// match host names, can tell two servers apart).
func (c *counted) as(host, path string) string {
	u, _ := url.Parse(c.URL)
	return "http://" + host + ":" + u.Port() + path
}

func TestExtismRedirectToUngrantedHostIsRefused(t *testing.T) {
	ungranted := newCounted(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	granted := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, ungranted.as("127.0.0.1", "/"), http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/ok", http.StatusFound)
		default:
			fmt.Fprint(w, "granted body")
		}
	})
	p := load(t, extismGuest(t), slowLoad, host.WithAllowedHosts("localhost"))
	call := func(u string) (string, error) {
		out, err := p.Call(context.Background(), "http_get", []byte(u))
		return string(out), err
	}

	_, err := call(granted.as("localhost", "/away"))
	wantError(t, err, host.ReasonTrap, "redirect", "127.0.0.1", "not granted", "localhost", "WithAllowedHosts")
	if n := ungranted.hits.Load(); n != 0 {
		t.Fatalf("the ungranted server received %d requests", n)
	}
	refused(t, "network", "Extism http_request to a granted host that redirects to an ungranted one", err)

	_, err = call(ungranted.as("127.0.0.1", "/"))
	wantError(t, err, host.ReasonTrap, "127.0.0.1", "not granted")
	if n := ungranted.hits.Load(); n != 0 {
		t.Fatalf("the ungranted server received %d requests", n)
	}
	refused(t, "network", "Extism http_request to an ungranted host", err)

	_, err = call("file:///etc/passwd")
	wantError(t, err, host.ReasonTrap, "scheme")
	refused(t, "network", "Extism http_request to file:///etc/passwd", err)

	// A redirect that stays on the grant is followed, and the plugin
	// still works after the refusals.
	out, err := call(granted.as("localhost", "/here"))
	if err != nil || out != "granted body" {
		t.Fatalf("granted redirect: %q, %v", out, err)
	}
	outcome(t, "network", "Extism http_request redirected within its grant", "followed: the guest gets the body")
}

func TestExtismHTTPIsCappedAndEndsWithTheCall(t *testing.T) {
	release := make(chan struct{})
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			fmt.Fprint(w, strings.Repeat("x", 2048))
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	defer close(release)
	p := load(t, extismGuest(t), slowLoad, host.WithAllowedHosts("127.0.0.1"), host.WithMaxOutput(1024), host.WithToolTimeout(toolTimeout))

	_, err := p.Call(context.Background(), "http_get", []byte(srv.as("127.0.0.1", "/big")))
	wantError(t, err, host.ReasonTrap, "over the 1KiB output cap", "WithMaxOutput")
	refused(t, "network", "Extism http_request whose response is over the output cap (1 KiB)", err)

	err = within(t, "hanging HTTP request", func() error {
		_, err := p.Call(context.Background(), "http_get", []byte(srv.as("127.0.0.1", "/hang")))
		return err
	})
	wantTimeout(t, err, toolTimeout, "WithToolTimeout")
	refused(t, "network", "Extism http_request to a server that never answers (2 s tool timeout)", err)
}

// The SDK's own HTTP test plugins, against the host's HTTP functions.
func TestExtismSDKHTTPPlugins(t *testing.T) {
	// http.wasm asks for https://jsonplaceholder.typicode.com/todos/1:
	// without a grant, refused before any network.
	p := load(t, sdkPlugin(t, "http.wasm"), slowLoad)
	_, err := p.Call(context.Background(), "run_test", nil)
	wantError(t, err, host.ReasonTrap, "jsonplaceholder.typicode.com", "not granted", "--allow-host")
	refused(t, "network", "go-sdk wasm/http.wasm with no host granted", err)

	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-test")
		w.Header().Add("X-Many", "a")
		w.Header().Add("X-Many", "b")
		fmt.Fprint(w, "hello")
	})
	q := load(t, sdkPlugin(t, "http_headers.wasm"), slowLoad, host.WithAllowedHosts("127.0.0.*"))
	req, _ := json.Marshal(map[string]string{"url": srv.as("127.0.0.1", "/")})
	out, err := q.Call(context.Background(), "http_get", req)
	if err != nil {
		t.Fatal(err)
	}
	var headers map[string]string
	if err := json.Unmarshal(out, &headers); err != nil {
		t.Fatalf("headers %q: %v", out, err)
	}
	if headers["content-type"] != "text/x-test" || headers["x-many"] != "a,b" {
		t.Errorf("headers as the SDK reports them (lower-cased, comma-joined): %v", headers)
	}
	outcome(t, "network", "go-sdk wasm/http_headers.wasm to a host granted by glob", "served; headers lower-cased and comma-joined as with the SDK")
}

func TestInvalidHostPatternsFailLoad(t *testing.T) {
	for _, c := range []struct{ pattern, msg string }{
		{"[", "not a valid glob"},
		{"", "empty"},
		{"https://example.com", "URL"},
		{"example.com/path", "URL"},
		{"localhost:8080", "port"},
	} {
		_, err := host.Load(context.Background(), extismGuest(t), host.WithCacheDir(cacheDir(t)), slowLoad, host.WithAllowedHosts(c.pattern))
		if err == nil {
			t.Fatalf("WithAllowedHosts(%q) loaded", c.pattern)
		}
		for _, m := range []string{c.msg, fmt.Sprintf("%q", c.pattern), "--allow-host"} {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("WithAllowedHosts(%q): %v lacks %q", c.pattern, err, m)
			}
		}
		refused(t, "network", fmt.Sprintf("allowed host pattern %q", c.pattern), err)
	}
	// A glob and IPv6 are fine.
	_, err := host.Load(context.Background(), extismGuest(t), host.WithCacheDir(cacheDir(t)), slowLoad, host.WithAllowedHosts("*.example.com", "::1", "{a,b}.example.org"))
	if err != nil {
		t.Fatal(err)
	}
}

func TestExitDiscardsTheInstance(t *testing.T) {
	// go-sdk's exit.wasm exits from _start with the status in its "code"
	// configuration value.
	for _, code := range []string{"0", "3"} {
		p := load(t, sdkPlugin(t, "exit.wasm"), slowLoad, host.WithConfig(map[string]string{"code": code}))
		for i := range 3 {
			_, err := p.Call(context.Background(), "_start", nil)
			if code == "0" {
				// The Extism convention (a WASI command's _start ends in
				// proc_exit(0)): a success, with the output set before it.
				if err != nil {
					t.Fatalf("exit(0), call %d: %v", i, err)
				}
			} else {
				e := wantError(t, err, host.ReasonExit, "status 3")
				if e.ExitCode != 3 {
					t.Fatalf("exit code %d", e.ExitCode)
				}
			}
		}
		if s := p.Stats(); s.Discarded != 3 {
			t.Errorf("exit(%s): %d instances discarded after 3 exits, want 3", code, s.Discarded)
		}
	}
	outcome(t, "exit", "go-sdk wasm/exit.wasm: proc_exit(0) from _start, three calls", "each call succeeds; each exited instance is discarded, the next call gets a fresh one")

	// A native guest's exit(3), then a normal call.
	n := load(t, nativeGuest(t), slowLoad)
	_, err := tool(t, n, "exit", "")
	wantError(t, err, host.ReasonExit, "status 3")
	mustTool(t, n, "get", "")

	// And proc_exit(0) in a native call: the llmhost/1 reply is the
	// export's return value, so a guest that exits has not replied.
	d, _ := json.Marshal(abi.Describe{ABI: abi.Version, Name: "exit0", Version: "0",
		Tools: []abi.Tool{{Name: "run", Description: "exits", Parameters: json.RawMessage(`{"type":"object"}`)}}})
	src := fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "%s")
  (data (i32.const 128) "\22\6f\6b\22")
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "describe") (param i32 i32) (result i64) (i64.const %d))
  ;; a call without input exits with 0
  (func (export "call") (param i32 i32) (result i64)
    (if (i32.eqz (local.get 1)) (then (call $exit (i32.const 0))))
    (i64.const %d)))`, watBytes(d), abi.Pack(256, uint32(len(d)), false), abi.Pack(128, 4, false))
	x := loadBytes(t, wasmtest.WAT(t, src))
	_, err = x.Call(context.Background(), "call", nil)
	e := wantError(t, err, host.ReasonExit, "status 0", "without replying")
	refused(t, "exit", "raw proc_exit(0) during a native call", e)
	// The exited instance was discarded: the next call runs in a fresh one.
	if out, err := x.Call(context.Background(), "call", []byte("x")); err != nil || string(out) != `"ok"` {
		t.Fatalf("call after the exit: %q, %v", out, err)
	}
	if s := x.Stats(); s.Discarded != 1 {
		t.Errorf("%d instances discarded after one exit, want 1", s.Discarded)
	}
}
