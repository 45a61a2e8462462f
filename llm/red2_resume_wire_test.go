package llm_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/llm"
)

// cutThenContinue is, per wire, a first answer that thinks, writes
// "Grüße, wö", starts a tool call and is cut inside its arguments, and a
// continuation that writes "rld" and makes the whole call.
var cutThenContinue = map[string][2][]string{
	"anthropic": {{
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-0\",\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"plan\"}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig1\"}}",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Grüße, wö\"}}",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"add\",\"input\":{}}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"\xc3",
	}, {
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-0\",\"id\":\"m2\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"rld\"}}",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"add\",\"input\":{}}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":1,\\\"b\\\":2}\"}}",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}",
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":4}}",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}",
	}},
	"google": {{
		`data: {"candidates":[{"content":{"parts":[{"text":"plan","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1},"modelVersion":"gemini-2.5-flash"}`,
		`data: {"candidates":[{"content":{"parts":[{"text":"Grüße, wö"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3},"modelVersion":"gemini-2.5-flash"}`,
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\xc3",
	}, {
		`data: {"candidates":[{"content":{"parts":[{"text":"rld"},{"functionCall":{"name":"add","args":{"a":1,"b":2}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4},"modelVersion":"gemini-2.5-flash"}`,
	}},
}

// TestStreamCutInsideAThoughtAndACallResumes: over Anthropic's and
// Google's wires, a stream is cut after a thought and some text, inside a
// tool call's arguments and in the middle of a two-byte character. The
// reader gets "Grüße, wörld" once, the tool call once and whole; the
// continuation request carries the partial text exactly once, then the
// engine's continuation prompt.
func TestStreamCutInsideAThoughtAndACallResumes(t *testing.T) {
	for provider, answers := range cutThenContinue {
		t.Run(provider, func(t *testing.T) {
			var mu sync.Mutex
			var bodies []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				n := len(bodies)
				bodies = append(bodies, string(b))
				mu.Unlock()
				if n > 1 {
					http.Error(w, `{"error":{"message":"a third request","type":"server_error"}}`, http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "text/event-stream")
				w.WriteHeader(http.StatusOK)
				for i, ev := range answers[n] {
					if n == 0 && i == len(answers[n])-1 {
						w.Write([]byte(ev)) // the cut: half an event
						http.NewResponseController(w).Flush()
						panic(http.ErrAbortHandler)
					}
					w.Write([]byte(ev + "\n\n"))
				}
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sr, err := llm.Stream(ctx, wires[provider], []llm.Message{llm.User("greet, then add 1 and 2")},
				llm.WithEndpoint(provider, llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}),
				llm.WithClock(clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))),
				llm.WithCooldowns(llm.NewCooldowns()))
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			args := map[int]string{}
			calls := 0
			for c, err := range sr.Chunks() {
				if err != nil {
					t.Fatalf("after %q: %v", text.String(), err)
				}
				switch c.Kind {
				case llm.ChunkText:
					text.WriteString(c.Text)
				case llm.ChunkToolCall:
					if c.ToolCall.ID != "" || c.ToolCall.Name != "" && args[c.ToolCall.Index] == "" {
						calls++
					}
					args[c.ToolCall.Index] += c.ToolCall.Arguments
				}
			}
			if got := text.String(); got != "Grüße, wörld" {
				t.Errorf("reader got %q, want %q", got, "Grüße, wörld")
			}
			resp, err := sr.Response()
			if err != nil {
				t.Fatal(err)
			}
			tc := resp.ToolCalls()
			if len(tc) != 1 || tc[0].Name != "add" {
				t.Fatalf("tool calls %+v, want the one whole call", tc)
			}
			var a, got map[string]any
			json.Unmarshal(tc[0].Arguments, &got)
			json.Unmarshal([]byte(`{"a":1,"b":2}`), &a)
			if got["a"] != a["a"] || got["b"] != a["b"] {
				t.Errorf("arguments %s, want {\"a\":1,\"b\":2}", tc[0].Arguments)
			}
			for i, s := range args {
				if s != "" && !json.Valid([]byte(s)) {
					t.Errorf("reader joined arguments %q at index %d", s, i)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) != 2 {
				t.Fatalf("%d requests, want 2", len(bodies))
			}
			if n := strings.Count(bodies[1], "Grüße, wö"); n != 1 {
				t.Errorf("the continuation request carries the partial text %d times, want once:\n%s", n, bodies[1])
			}
			if n := strings.Count(bodies[1], "cut off by a network error"); n != 1 {
				t.Errorf("the continuation request carries the continuation prompt %d times, want once", n)
			}
			if strings.Contains(bodies[1], `{\"a\":`) || strings.Contains(bodies[1], "\"t1\"") {
				t.Errorf("the continuation request carries the cut tool call:\n%s", bodies[1])
			}
		})
	}
}
