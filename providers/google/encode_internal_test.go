package google

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genai"

	"github.com/llmhost/llmhost/llm"
)

func TestToolConfig(t *testing.T) {
	for choice, want := range map[string]*genai.ToolConfig{
		"":         nil,
		"auto":     {FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAuto}},
		"none":     {FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeNone}},
		"required": {FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny}},
		"lookup":   {FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny, AllowedFunctionNames: []string{"lookup"}}},
	} {
		if d := cmp.Diff(want, toolConfig(choice)); d != "" {
			t.Errorf("choice %q (-want +got):\n%s", choice, d)
		}
	}
}

// TestContents: system messages join into the systemInstruction, a tool
// turn and the user turn after it are one user content, and an output
// without a name gets its call's.
func TestContents(t *testing.T) {
	p, err := New(llm.Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	contents, config, err := p.encode(&llm.Request{Model: "m", Messages: []llm.Message{
		llm.System("Be brief."),
		llm.User("Look it up."),
		{Role: llm.RoleAssistant, Model: "google/m", Content: []llm.Part{
			llm.ToolCall{ID: "gemini-call:r:0", Name: "lookup", Arguments: json.RawMessage(`{"q":"x","n":12345678901234567890}`)},
		}},
		{Role: llm.RoleTool, Content: []llm.Part{llm.ToolOutput{ID: "gemini-call:r:0", Result: "found"}}},
		llm.System("Answer in French."),
		llm.User("Summarise."),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []*genai.Content{
		{Role: "user", Parts: []*genai.Part{{Text: "Look it up."}}},
		{Role: "model", Parts: []*genai.Part{{FunctionCall: &genai.FunctionCall{Name: "lookup",
			Args: map[string]any{"q": "x", "n": json.Number("12345678901234567890")}}}}},
		{Role: "user", Parts: []*genai.Part{
			{FunctionResponse: &genai.FunctionResponse{Name: "lookup", Response: map[string]any{"output": "found"}}},
			{Text: "Summarise."},
		}},
	}
	if d := cmp.Diff(want, contents); d != "" {
		t.Errorf("contents (-want +got):\n%s", d)
	}
	if d := cmp.Diff(&genai.Content{Role: "user", Parts: []*genai.Part{{Text: "Be brief.\n\nAnswer in French."}}}, config.SystemInstruction); d != "" {
		t.Errorf("system instruction (-want +got):\n%s", d)
	}
}

func TestRetryDelay(t *testing.T) {
	for _, tt := range []struct {
		details []map[string]any
		want    time.Duration
	}{
		{nil, 0},
		{[]map[string]any{{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}}, 37 * time.Second},
		{[]map[string]any{{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.250s"}}, 250 * time.Millisecond},
		{[]map[string]any{{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED"}}, 0},
	} {
		if got := retryDelay(tt.details); got != tt.want {
			t.Errorf("retryDelay(%v) = %v, want %v", tt.details, got, tt.want)
		}
	}
}

func TestInvalidKey(t *testing.T) {
	withReason := genai.APIError{Code: 400, Message: "whatever", Details: []map[string]any{
		{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}}}
	byMessage := genai.APIError{Code: 400, Message: "API key not valid. Please pass a valid API key."}
	other := genai.APIError{Code: 400, Message: "Request contains an invalid argument."}
	if kindOf(400, withReason) != llm.KindAuthentication || kindOf(400, byMessage) != llm.KindAuthentication {
		t.Error("an invalid key is not authentication")
	}
	if kindOf(400, other) != llm.KindBadRequest {
		t.Error("another 400 is not bad_request")
	}
}
