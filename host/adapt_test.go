package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
	"github.com/llmhost/llmhost/llm"
)

func loadBundled(t *testing.T, name string, opts ...host.Option) *host.Plugin {
	t.Helper()
	p, err := host.Load(context.Background(), wasmtest.BuildGo(t, "plugins/"+name), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func toolNamed(t *testing.T, tools []llm.Tool, name string) llm.Tool {
	t.Helper()
	for _, tl := range tools {
		if tl.Definition().Name == name {
			return tl
		}
	}
	t.Fatalf("no tool %s", name)
	return nil
}

func TestPluginAsTool(t *testing.T) {
	p := loadBundled(t, "calculator")
	tools := p.Tools()
	if len(tools) != 4 {
		t.Fatalf("tools = %d", len(tools))
	}
	divide := toolNamed(t, tools, "divide")
	if def := divide.Definition(); !strings.Contains(string(def.Parameters), `"b"`) {
		t.Errorf("parameters = %s", def.Parameters)
	}
	got, err := divide.Execute(context.Background(), []byte(`{"a": 6, "b": 3}`))
	if err != nil || got != "2" {
		t.Fatalf("6/3 = %q, %v", got, err)
	}
	_, err = divide.Execute(context.Background(), []byte(`{"a": 1, "b": 0}`))
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.KindToolExecution || !strings.Contains(e.Message, "division by zero") {
		t.Fatalf("1/0: %v", err)
	}
	var he *host.Error
	if !errors.As(err, &he) {
		t.Errorf("the host's error is not reachable: %v", err)
	}
	_, err = divide.Execute(context.Background(), []byte(`{"a": "one", "b": 1}`))
	if llm.KindOf(err) != llm.KindToolExecution || !strings.Contains(err.Error(), "/a") {
		t.Errorf("bad arguments: %v", err)
	}
}

func TestPluginAsParser(t *testing.T) {
	p := loadBundled(t, "jsonextract")
	f, err := llm.FormatFromSchema("Book", []byte(`{"type":"object","properties":{"rating":{"type":"integer"}},"required":["rating"]}`))
	if err != nil {
		t.Fatal(err)
	}
	parser := p.Parser("")
	v, err := parser.Parse(context.Background(), "Sure:\n```json\n{\"rating\": 7}\n```", f)
	if err != nil || string(v) != `{"rating":7}` && string(v) != `{"rating": 7}` {
		t.Fatalf("parsed %s, %v", v, err)
	}
	_, err = parser.Parse(context.Background(), `{"rating": "seven"}`, f)
	var pe *llm.ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.RetryMessage(), "rating") {
		t.Fatalf("bad answer: %v", err)
	}
}

func TestPluginAsRetryStrategy(t *testing.T) {
	p := loadBundled(t, "backoff", host.WithConfig(map[string]string{"jitter": "0", "max_attempts": "2"}))
	st := p.RetryStrategy()
	rl := &llm.Error{Kind: llm.KindRateLimit, Status: 429, RetryAfter: 1500 * 1e6}
	d, err := st.Decide(context.Background(), llm.RetryState{Attempt: 1, Model: "openai/a", Fallbacks: []string{"openai/b"}, Err: rl})
	if err != nil || d.Action != llm.ActionRetry || d.Delay != 1500*1e6 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	d, err = st.Decide(context.Background(), llm.RetryState{Attempt: 2, Model: "openai/a", Fallbacks: []string{"openai/b"}, Err: rl})
	if err != nil || d.Action != llm.ActionFallback || d.Model != "openai/b" {
		t.Fatalf("decision %+v, %v", d, err)
	}
	d, err = st.Decide(context.Background(), llm.RetryState{Attempt: 1, Model: "openai/a", Err: &llm.Error{Kind: llm.KindAuthentication, Status: 401}})
	if err != nil || d.Action != llm.ActionFail {
		t.Fatalf("decision %+v, %v", d, err)
	}
}
