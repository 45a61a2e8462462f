package llm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/anthropic"
	_ "github.com/llmhost/llmhost/providers/google"
	_ "github.com/llmhost/llmhost/providers/openai"
)

// finishedThenCut is, per wire format, a stream that says everything an
// answer has (its text "Grüße, wörld", a finish reason of max_tokens and
// its usage) but not the terminator: OpenAI's [DONE], Anthropic's
// message_stop. Google has no terminator; its last chunk is the one with
// the finish reason.
var finishedThenCut = map[string]struct {
	model  string
	events []string
}{
	"openai": {"openai/gpt-4o-mini", []string{
		`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Grüße, "},"finish_reason":null}]}`,
		`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"wörld"},"finish_reason":null}]}`,
		`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`,
		`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`,
	}},
	"anthropic": {"anthropic/claude-sonnet-4-0", []string{
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-0\",\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Grüße, \"}}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"wörld\"}}",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":7,\"output_tokens\":3}}",
	}},
	"google": {"google/gemini-2.5-flash", []string{
		`data: {"candidates":[{"content":{"parts":[{"text":"Grüße, "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":2,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash"}`,
		`data: {"candidates":[{"content":{"parts":[{"text":"wörld"}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3,"totalTokenCount":10},"modelVersion":"gemini-2.5-flash"}`,
	}},
}

// TestFinishedStreamCutBeforeItsTerminator: a hostile (or merely flaky)
// server sends a whole answer, finish reason and usage included, then drops
// the connection (or closes it cleanly) before OpenAI's [DONE] or
// Anthropic's message_stop. Nothing of the answer is missing, so the stream
// must end as that answer: its text once, its finish reason kept, its usage
// counted once, and no second request asking a finished model to continue
// (which would append to, or repeat, an answer the reader already has).
func TestFinishedStreamCutBeforeItsTerminator(t *testing.T) {
	for provider, wire := range finishedThenCut {
		for _, abort := range []bool{true, false} {
			name := provider + "/clean-close"
			if abort {
				name = provider + "/reset"
			}
			t.Run(name, func(t *testing.T) {
				var requests atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if requests.Add(1) > 1 {
						http.Error(w, `{"error":{"message":"a second request","type":"server_error"}}`, http.StatusInternalServerError)
						return
					}
					w.Header().Set("Content-Type", "text/event-stream")
					w.WriteHeader(http.StatusOK)
					for _, ev := range wire.events {
						w.Write([]byte(ev + "\n\n"))
					}
					http.NewResponseController(w).Flush()
					if abort {
						panic(http.ErrAbortHandler)
					}
				}))
				defer srv.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				sr, err := llm.Stream(ctx, wire.model, []llm.Message{llm.User("greet")},
					llm.WithEndpoint(provider, llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}),
					llm.WithClock(clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))),
					llm.WithCooldowns(llm.NewCooldowns()))
				if err != nil {
					t.Fatal(err)
				}
				var text strings.Builder
				for s, err := range sr.TextStream() {
					if err != nil {
						t.Fatalf("after %q: %v", text.String(), err)
					}
					text.WriteString(s)
				}
				if got := text.String(); got != "Grüße, wörld" {
					t.Errorf("reader got %q, want the answer once", got)
				}
				if n := requests.Load(); n != 1 {
					t.Errorf("%d requests; a finished answer is not resumed", n)
				}
				resp, err := sr.Response()
				if err != nil {
					t.Fatal(err)
				}
				if resp.FinishReason != llm.FinishMaxTokens {
					t.Errorf("finish reason %q, want %q", resp.FinishReason, llm.FinishMaxTokens)
				}
				if resp.Text() != "Grüße, wörld" {
					t.Errorf("response text %q", resp.Text())
				}
				if provider != "openai" || !abort {
					// OpenAI sends usage after the finish reason: a reset
					// right after the finish may lose it, never double it.
					if resp.Usage.InputTokens != 7 || resp.Usage.OutputTokens != 3 {
						t.Errorf("usage %+v, want 7 in, 3 out, counted once", resp.Usage)
					}
				}
			})
		}
	}
}
