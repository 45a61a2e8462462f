package google_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// No recording holds thought parts (Mirascope never asked for thoughts), so
// these answers are written here, in the shapes of Google's documentation.

const (
	generateURI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
	streamURI   = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
)

// crafted serves answers written by the test, one interaction each, on
// generateContent (sync) or streamGenerateContent (stream).
func crafted(t *testing.T, kind string, bodies ...string) *session {
	t.Helper()
	uri, ct := generateURI, "application/json; charset=UTF-8"
	if kind == "stream" {
		uri, ct = streamURI, "text/event-stream"
	}
	c := &replay.Cassette{}
	for _, b := range bodies {
		c.Interactions = append(c.Interactions, replay.Interaction{
			Request:  replay.Request{Method: "POST", URI: uri},
			Response: replay.Response{Status: 200, Headers: map[string]string{"content-type": ct}, Body: b},
		})
	}
	return serveCassette(t, replay.Recording{Kind: kind}, c)
}

// sse frames Gemini chunks as streamGenerateContent?alt=sse does.
func sse(chunks ...string) string {
	var s string
	for _, c := range chunks {
		s += "data: " + c + "\r\n\r\n"
	}
	return s
}

const thoughtfulAnswer = `{"candidates": [{"content": {"parts": [
  {"text": "**Adding numbers**\n\n4200 plus 42.", "thought": true},
  {"functionCall": {"name": "add", "args": {"a": 4200, "b": 42}}, "thoughtSignature": "CikB0e2Kbw5tJ9dw"}
], "role": "model"}, "finishReason": "STOP", "index": 0}],
"usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 10, "thoughtsTokenCount": 30, "cachedContentTokenCount": 4},
"modelVersion": "gemini-2.5-flash", "responseId": "resp-1"}`

const finalAnswer = `{"candidates": [{"content": {"parts": [{"text": "4242", "thoughtSignature": "CvACAXLI2nw1"}], "role": "model"}, "finishReason": "STOP", "index": 0}],
"usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 2}, "modelVersion": "gemini-2.5-flash", "responseId": "resp-2"}`

type addArgs struct {
	A int `json:"a"`
	B int `json:"b"`
}

var addTool = llm.NewTool("add", "Adds two numbers.", func(_ context.Context, x addArgs) (int, error) { return x.A + x.B, nil })

// TestThoughtsAndSignatures: a thought part is a Thought, out of Text; the
// signature of a function call is kept beside it and goes back on the
// call's part; the output goes back as a functionResponse by name, without
// the id the provider made up.
func TestThoughtsAndSignatures(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			first, second := thoughtfulAnswer, finalAnswer
			if kind == "stream" {
				first, second = sse(compact(t, thoughtfulAnswer)), sse(compact(t, finalAnswer))
			}
			s := crafted(t, kind, first, second)
			ctx := context.Background()
			resp, err := s.Call(ctx, question, llm.WithTools(addTool))
			if err != nil {
				t.Fatal(err)
			}
			want := llm.Message{Role: llm.RoleAssistant, Model: "google/gemini-2.5-flash", Content: []llm.Part{
				llm.Thought{Text: "**Adding numbers**\n\n4200 plus 42."},
				llm.ToolCall{ID: "gemini-call:resp-1:0", Name: "add", Arguments: json.RawMessage(`{"a":4200,"b":42}`)},
				llm.Thought{Signature: "CikB0e2Kbw5tJ9dw"},
			}}
			if d := cmp.Diff(want, resp.Message()); d != "" {
				t.Errorf("message (-want +got):\n%s", d)
			}
			if resp.Text() != "" {
				t.Errorf("Text() = %q, want no text: thoughts are not text", resp.Text())
			}
			if got, want := resp.Usage, (llm.Usage{InputTokens: 20, OutputTokens: 40, ReasoningTokens: 30, CacheReadTokens: 4}); got != want {
				t.Errorf("Usage = %+v, want %+v", got, want)
			}
			resp = s.Resume(ctx, resp, llm.Parts(resp.ExecuteTools(ctx))...)
			if resp.Text() != "4242" {
				t.Errorf("Text() = %q, want 4242", resp.Text())
			}
			wantSent := []any{
				map[string]any{"role": "user", "parts": []any{map[string]any{"text": "What is 4200 + 42?"}}},
				map[string]any{"role": "model", "parts": []any{
					map[string]any{"text": "**Adding numbers**\n\n4200 plus 42.", "thought": true},
					map[string]any{"functionCall": map[string]any{"name": "add", "args": map[string]any{"a": 4200.0, "b": 42.0}}, "thoughtSignature": "CikB0e2Kbw5tJ9dw"},
				}},
				map[string]any{"role": "user", "parts": []any{
					map[string]any{"functionResponse": map[string]any{"name": "add", "response": map[string]any{"output": "4242"}}},
				}},
			}
			if d := replay.DiffJSON(wantSent, s.Srv.Requests()[1].Body["contents"]); d != "" {
				t.Errorf("resumed request (-want +sent):\n%s", d)
			}
		})
	}
}

// TestCallIDsFromGemini: when Gemini names its calls, the ids are kept and
// sent back with the call and its output.
func TestCallIDsFromGemini(t *testing.T) {
	s := crafted(t, "sync",
		`{"candidates": [{"content": {"parts": [{"functionCall": {"id": "fc-7", "name": "add", "args": {"a": 1, "b": 2}}}], "role": "model"}, "finishReason": "STOP"}], "responseId": "r"}`,
		finalAnswer)
	ctx := context.Background()
	resp, err := s.Call(ctx, question, llm.WithTools(addTool))
	if err != nil {
		t.Fatal(err)
	}
	if calls := resp.ToolCalls(); len(calls) != 1 || calls[0].ID != "fc-7" {
		t.Fatalf("calls = %+v, want Gemini's id fc-7", calls)
	}
	s.Resume(ctx, resp, llm.Parts(resp.ExecuteTools(ctx))...)
	contents := s.Srv.Requests()[1].Body["contents"].([]any)
	call := contents[1].(map[string]any)["parts"].([]any)[0].(map[string]any)["functionCall"].(map[string]any)
	out := contents[2].(map[string]any)["parts"].([]any)[0].(map[string]any)["functionResponse"].(map[string]any)
	if call["id"] != "fc-7" || out["id"] != "fc-7" {
		t.Errorf("ids sent back: call %v, output %v; want fc-7 on both", call["id"], out["id"])
	}
}

// TestForeignThoughtsDropped: another provider's thoughts are not sent.
func TestForeignThoughtsDropped(t *testing.T) {
	s := crafted(t, "sync", finalAnswer)
	msgs := []llm.Message{
		llm.User("What is 4200 + 42?"),
		{Role: llm.RoleAssistant, Model: "anthropic/claude-sonnet-4-5", Content: []llm.Part{
			llm.Thought{Text: "Adding.", Signature: "EqQBCgIYAhIM"}, llm.Text("4242"),
		}},
		llm.User("And in French?"),
	}
	if _, err := s.Call(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"role": "user", "parts": []any{map[string]any{"text": "What is 4200 + 42?"}}},
		map[string]any{"role": "model", "parts": []any{map[string]any{"text": "4242"}}},
		map[string]any{"role": "user", "parts": []any{map[string]any{"text": "And in French?"}}},
	}
	if d := replay.DiffJSON(want, s.Srv.Requests()[0].Body["contents"]); d != "" {
		t.Errorf("contents sent (-want +sent):\n%s", d)
	}
}

// compact puts a JSON document on one line, as an SSE data line needs.
func compact(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
