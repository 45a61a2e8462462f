package anthropic_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// No recording holds thinking blocks (Mirascope's tests never enabled
// thinking), so these answers are written here, in the shapes of
// Anthropic's documentation.

const messagesURI = "https://api.anthropic.com/v1/messages"

// crafted serves answers written by the test, one interaction each.
func crafted(t *testing.T, kind string, responses ...replay.Response) *session {
	t.Helper()
	c := &replay.Cassette{}
	for _, r := range responses {
		c.Interactions = append(c.Interactions, replay.Interaction{
			Request:  replay.Request{Method: "POST", URI: messagesURI},
			Response: r,
		})
	}
	c.Interactions[0].Request.Body = map[string]any{"model": "claude-sonnet-4-5"}
	return serveCassette(t, replay.Recording{Kind: kind}, c)
}

func jsonResponse(body string) replay.Response {
	return replay.Response{Status: 200, Headers: map[string]string{"content-type": "application/json"}, Body: body}
}

// sseResponse frames events (the JSON data of each) as Anthropic does,
// each under an "event:" line naming its type.
func sseResponse(events ...string) replay.Response {
	var b strings.Builder
	for _, e := range events {
		var head struct{ Type string }
		if err := json.Unmarshal([]byte(e), &head); err != nil {
			panic(err)
		}
		b.WriteString("event: " + head.Type + "\ndata: " + e + "\n\n")
	}
	return replay.Response{Status: 200, Headers: map[string]string{"content-type": "text/event-stream; charset=utf-8"}, Body: b.String()}
}

const thinkingAnswer = `{"model":"claude-sonnet-4-5-20250929","id":"msg_1","type":"message","role":"assistant",
"content":[{"type":"thinking","thinking":"4200 plus 42 is 4242.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB9URj2pLmN3kF8/dW5hR7xJ0aP1oOQ"},
{"type":"text","text":"4200 + 42 = 4242"}],
"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":17,"cache_creation_input_tokens":0,"cache_read_input_tokens":12,"output_tokens":95}}`

const plainAnswer = `{"model":"claude-sonnet-4-5-20250929","id":"msg_2","type":"message","role":"assistant",
"content":[{"type":"text","text":"In French: quatre mille deux cent quarante-deux."}],
"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":90,"output_tokens":12}}`

// TestThinkingKept: thinking blocks become Thoughts kept in the message,
// out of Text, and go back unchanged, signature and redacted data
// included, when the conversation continues.
func TestThinkingKept(t *testing.T) {
	s := crafted(t, "sync", jsonResponse(thinkingAnswer), jsonResponse(plainAnswer))
	ctx := context.Background()
	resp, err := s.Call(ctx, question)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Text(); got != "4200 + 42 = 4242" {
		t.Errorf("Text() = %q, want the answer without thoughts", got)
	}
	want := s.assistant(
		llm.Thought{Text: "4200 plus 42 is 4242.", Signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
		llm.Thought{Redacted: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB9URj2pLmN3kF8/dW5hR7xJ0aP1oOQ"},
		llm.Text("4200 + 42 = 4242"),
	)
	if d := cmp.Diff(want, resp.Message()); d != "" {
		t.Errorf("message (-want +got):\n%s", d)
	}
	if got, want := resp.Usage, (llm.Usage{InputTokens: 17, OutputTokens: 95, CacheReadTokens: 12}); got != want {
		t.Errorf("Usage = %+v, want %+v", got, want)
	}
	if _, err := resp.Resume(ctx, llm.Text("And in French?")); err != nil {
		t.Fatal(err)
	}
	sent := s.Srv.Requests()[1].Body["messages"]
	wantSent := []any{
		map[string]any{"role": "user", "content": "What is 4200 + 42?"},
		map[string]any{"role": "assistant", "content": []any{
			map[string]any{"type": "thinking", "thinking": "4200 plus 42 is 4242.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
			map[string]any{"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB9URj2pLmN3kF8/dW5hR7xJ0aP1oOQ"},
			map[string]any{"type": "text", "text": "4200 + 42 = 4242"},
		}},
		map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": "And in French?", "cache_control": map[string]any{"type": "ephemeral"}},
		}},
	}
	if d := replay.DiffJSON(wantSent, sent, replay.CollapseTextBlocks()); d != "" {
		t.Errorf("resumed request (-want +sent):\n%s", d)
	}
}

// TestThinkingStreamed: thinking_delta and signature_delta add up to one
// signed Thought; the reader's text has none of it.
func TestThinkingStreamed(t *testing.T) {
	s := crafted(t, "stream", sseResponse(
		`{"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_3","type":"message","role":"assistant","content":[],"stop_reason":null,"usage":{"input_tokens":17,"output_tokens":1}}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"4200 plus 42 "}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"is 4242."}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9G"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"4200 + 42 = 4242"}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":60}}`,
		`{"type":"message_stop"}`,
	))
	resp, err := s.Call(context.Background(), question)
	if err != nil {
		t.Fatal(err)
	}
	want := s.assistant(llm.Thought{Text: "4200 plus 42 is 4242.", Signature: "EqQBCgIYAhIM1gbcDa9G"}, llm.Text("4200 + 42 = 4242"))
	if d := cmp.Diff(want, resp.Message()); d != "" {
		t.Errorf("message (-want +got):\n%s", d)
	}
	if got, want := resp.Usage, (llm.Usage{InputTokens: 17, OutputTokens: 60}); got != want {
		t.Errorf("Usage = %+v, want %+v", got, want)
	}
}

// TestForeignThoughtsDropped: thoughts from another provider, and unsigned
// ones, are not sent: Anthropic would reject them.
func TestForeignThoughtsDropped(t *testing.T) {
	s := crafted(t, "sync", jsonResponse(plainAnswer))
	msgs := []llm.Message{
		llm.User("What is 4200 + 42?"),
		{Role: llm.RoleAssistant, Model: "google/gemini-2.5-flash", Content: []llm.Part{
			llm.Thought{Text: "Adding.", Signature: "CikB0e2Kbw5t"}, llm.Text("4242"), llm.Thought{Signature: "CikB0e2Kbw5t"},
		}},
		{Role: llm.RoleAssistant, Model: "anthropic/claude-sonnet-4-5", Content: []llm.Part{llm.Thought{Text: "unsigned"}}},
		llm.User("And in French?"),
	}
	if _, err := s.Call(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"role": "user", "content": "What is 4200 + 42?"},
		map[string]any{"role": "assistant", "content": "4242"},
		map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": "And in French?", "cache_control": map[string]any{"type": "ephemeral"}},
		}},
	}
	if d := replay.DiffJSON(want, s.Srv.Requests()[0].Body["messages"], replay.CollapseTextBlocks()); d != "" {
		t.Errorf("messages sent (-want +sent):\n%s", d)
	}
}
