package anthropic

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/llm"
)

// encoded returns the JSON body the SDK would send for req.
func encoded(t *testing.T, req *llm.Request) map[string]any {
	t.Helper()
	p, err := New(llm.Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	params, _, err := p.encode(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func TestToolChoice(t *testing.T) {
	no := false
	tests := []struct {
		choice   string
		parallel *bool
		want     any
	}{
		{"", nil, nil},
		{"auto", nil, map[string]any{"type": "auto"}},
		{"none", nil, map[string]any{"type": "none"}},
		{"required", nil, map[string]any{"type": "any"}},
		{"lookup", nil, map[string]any{"type": "tool", "name": "lookup"}},
		{"", &no, map[string]any{"type": "auto", "disable_parallel_tool_use": true}},
		{"required", &no, map[string]any{"type": "any", "disable_parallel_tool_use": true}},
		{"lookup", &no, map[string]any{"type": "tool", "name": "lookup", "disable_parallel_tool_use": true}},
	}
	for _, tt := range tests {
		body := encoded(t, &llm.Request{Model: "m", Messages: []llm.Message{llm.User("hi")},
			Tools:      []llm.ToolDefinition{{Name: "lookup", Parameters: json.RawMessage(`{"type":"object"}`)}},
			ToolChoice: tt.choice, ParallelToolCalls: tt.parallel})
		if d := cmp.Diff(tt.want, body["tool_choice"]); d != "" {
			t.Errorf("choice %q parallel %v (-want +got):\n%s", tt.choice, tt.parallel, d)
		}
	}
}

// TestSystemAndTurns: system messages, wherever they are, join into the
// system prompt; a tool turn followed by a user turn is one user turn,
// tool results first, as Anthropic requires after tool calls.
func TestSystemAndTurns(t *testing.T) {
	body := encoded(t, &llm.Request{Model: "m", Messages: []llm.Message{
		llm.System("Be brief."),
		llm.User("Look it up."),
		llm.Assistant(llm.ToolCall{ID: "toolu_1", Name: "lookup", Arguments: json.RawMessage(`{"q":"x"}`)}),
		{Role: llm.RoleTool, Content: []llm.Part{llm.ToolOutput{ID: "toolu_1", Name: "lookup", Result: "found"}}},
		llm.System("Answer in French."),
		llm.User("Summarise."),
	}})
	want := map[string]any{
		"model":      "m",
		"max_tokens": float64(DefaultMaxTokens),
		"system":     []any{map[string]any{"type": "text", "text": "Be brief.\n\nAnswer in French.", "cache_control": map[string]any{"type": "ephemeral"}}},
		"messages": []any{
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Look it up."}}},
			map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": map[string]any{"q": "x"}}}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": "toolu_1", "content": []any{map[string]any{"type": "text", "text": "found"}}},
				map[string]any{"type": "text", "text": "Summarise.", "cache_control": map[string]any{"type": "ephemeral"}},
			}},
		},
	}
	if d := cmp.Diff(want, body); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
}

func TestBadToolArguments(t *testing.T) {
	p, _ := New(llm.Config{APIKey: "k"})
	_, _, err := p.encode(&llm.Request{Model: "m", Messages: []llm.Message{
		llm.User("hi"), llm.Assistant(llm.ToolCall{ID: "t", Name: "f", Arguments: json.RawMessage(`{"cut`)}),
	}})
	if llm.KindOf(err) != llm.KindBadRequest {
		t.Errorf("error %v, want bad_request", err)
	}
}

func TestCapabilities(t *testing.T) {
	strict := llm.Capabilities{DefaultFormat: llm.FormatStrict, Formats: []llm.FormatMode{llm.FormatTool, llm.FormatStrict}}
	tool := llm.Capabilities{DefaultFormat: llm.FormatTool, Formats: []llm.FormatMode{llm.FormatTool}}
	for model, want := range map[string]llm.Capabilities{
		"claude-sonnet-4-5":          strict,
		"claude-sonnet-4-5-20250929": strict,
		"claude-haiku-4-5":           strict,
		"claude-opus-4-1":            strict,
		"claude-opus-4-5":            strict,
		"claude-sonnet-5":            strict,
		"claude-sonnet-4-0":          tool,
		"claude-sonnet-4-20250514":   tool,
		"claude-opus-4-0":            tool,
		"claude-opus-4-20250514":     tool,
		"claude-3-5-haiku-latest":    tool,
		"claude-3-7-sonnet-20250219": tool,
		"my-proxy-alias":             tool,
	} {
		if d := cmp.Diff(want, Capabilities(model)); d != "" {
			t.Errorf("%s (-want +got):\n%s", model, d)
		}
	}
}
