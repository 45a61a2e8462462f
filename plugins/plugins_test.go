package plugins_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// These tests build each bundled plugin to WebAssembly, as `make plugins`
// does, and run it through the host.

func TestMain(m *testing.M) { os.Exit(wasmtest.Main(m)) }

func load(t *testing.T, name string, opts ...host.Option) *host.Plugin {
	t.Helper()
	opts = append([]host.Option{host.WithCacheDir(filepath.Join(wasmtest.Dir(t), "cache"))}, opts...)
	p, err := host.Load(context.Background(), wasmtest.BuildGo(t, "plugins/"+name), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	if p.Name() != name || p.ABI() != host.ABINative {
		t.Errorf("name %s, ABI %s", p.Name(), p.ABI())
	}
	return p
}

func call(p *host.Plugin, name, args string) (string, error) {
	out, err := p.CallTool(context.Background(), abi.ToolCall{ID: "1", Name: name, Arguments: json.RawMessage(args)})
	return string(out), err
}

func TestCalculator(t *testing.T) {
	p := load(t, "calculator")
	var names []string
	for _, tl := range p.Describe().Tools {
		names = append(names, tl.Name)
		if !strings.Contains(string(tl.Parameters), `"required":["a","b"]`) {
			t.Errorf("%s parameters %s", tl.Name, tl.Parameters)
		}
	}
	if strings.Join(names, ",") != "add,subtract,multiply,divide" {
		t.Errorf("tools %v", names)
	}
	for args, want := range map[string]string{
		`{"a":7,"b":2}`:    "3.5",
		`{"a":-1,"b":0.5}`: "-2",
	} {
		if got, err := call(p, "divide", args); err != nil || got != want {
			t.Errorf("divide %s = %s, %v", args, got, err)
		}
	}
	_, err := call(p, "divide", `{"a":1,"b":0}`)
	var e *host.Error
	if !errors.As(err, &e) || e.Reason != host.ReasonGuestError || e.Message != "panic: division by zero" {
		t.Fatalf("divide by zero: %#v", err)
	}
	if !strings.Contains(e.Stderr, "division by zero") {
		t.Errorf("stderr %q", e.Stderr)
	}
	if got, err := call(p, "multiply", `{"a":6,"b":7}`); err != nil || got != "42" {
		t.Errorf("multiply after the panic = %s, %v", got, err)
	}
}

func TestJSONExtract(t *testing.T) {
	p := load(t, "jsonextract")
	ctx := context.Background()
	schema := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer"}},"required":["city","population"]}`)
	v, err := p.Parse(ctx, abi.ParseRequest{Text: "The answer:\n```json\n{\"city\": \"Lyon\", \"population\": 522969}\n```", Schema: schema})
	if err != nil || string(v) != `{"city":"Lyon","population":522969}` {
		t.Errorf("Parse = %s, %v", v, err)
	}
	_, err = p.Parse(ctx, abi.ParseRequest{Text: `Sure: {"city": "Lyon", "population": "about half a million"}`, Schema: schema})
	var e *host.Error
	if !errors.As(err, &e) || e.Reason != host.ReasonGuestError {
		t.Fatalf("Parse of a bad answer: %v", err)
	}
	if !strings.Contains(e.RetryMessage, "`population`: got string, want integer") {
		t.Errorf("RetryMessage %q does not name the field", e.RetryMessage)
	}
}

func TestBackoff(t *testing.T) {
	p := load(t, "backoff", host.WithConfig(map[string]string{"jitter": "0", "initial_delay_ms": "200", "max_attempts": "2"}))
	ctx := context.Background()
	req := abi.DecideRequest{Attempt: 1, Model: "openai/gpt-4o-mini", Fallbacks: []string{"anthropic/claude-3-5-haiku-latest"},
		Error: abi.CallError{Kind: "rate_limit", Status: 429, Message: "slow down", Provider: "openai"}}
	if d, err := p.Decide(ctx, req); err != nil || d != (abi.Decision{Action: abi.ActionRetry, DelayMS: 200}) {
		t.Errorf("attempt 1: %+v, %v", d, err)
	}
	req.Error.RetryAfterMS = 1500
	if d, err := p.Decide(ctx, req); err != nil || d != (abi.Decision{Action: abi.ActionRetry, DelayMS: 1500}) {
		t.Errorf("retry-after: %+v, %v", d, err)
	}
	req.Attempt = 2
	if d, err := p.Decide(ctx, req); err != nil || d != (abi.Decision{Action: abi.ActionFallback, Model: "anthropic/claude-3-5-haiku-latest"}) {
		t.Errorf("attempt 2: %+v, %v", d, err)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("remember the milk"), 0o644)

	p := load(t, "files")
	if _, err := call(p, "list", `{"path":"/data"}`); err == nil {
		t.Error("list without a grant succeeded")
	}
	p = load(t, "files", host.WithAllowedPath(dir, "/data"))
	if got, err := call(p, "list", `{"path":"/data"}`); err != nil || got != `[{"name":"notes.txt","dir":false,"size":17}]` {
		t.Errorf("list = %s, %v", got, err)
	}
	if got, err := call(p, "read", `{"path":"/data/notes.txt"}`); err != nil || got != `"remember the milk"` {
		t.Errorf("read = %s, %v", got, err)
	}
	if _, err := call(p, "read", `{"path":"/data/../etc/passwd"}`); err == nil {
		t.Error("read outside the grant succeeded")
	}
}
