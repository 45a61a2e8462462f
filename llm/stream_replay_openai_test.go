package llm_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/openai"
)

// partialToolCall streams text (if any) and the first delta of a tool call
// over OpenAI's wire, then drops the connection.
func partialToolCall(text string) faultserver.Step {
	return faultserver.Handle(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		send := func(delta string) {
			w.Write([]byte(`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"))
		}
		send(`{"role":"assistant","content":""}`)
		if text != "" {
			send(`{"content":` + string(must(json.Marshal(text))) + `}`)
		}
		send(`{"tool_calls":[{"index":0,"id":"call_cut","type":"function","function":{"name":"add","arguments":"{\"a\":"}}]}`)
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestOpenAIStreamToolCallNeverJoined: over the OpenAI wire, a stream sends
// the start of a tool call, {"a":, and is cut; the next request answers
// with the whole call. Whether the cut came before any text (the answer is
// retried from the start) or after some (it is resumed), the reader
// appending argument deltas by index gets the whole call's arguments once:
// before, it joined {"a":{"a":1,"b":2}.
func TestOpenAIStreamToolCallNeverJoined(t *testing.T) {
	for _, before := range []string{"", "Let me add. "} {
		t.Run("text="+before, func(t *testing.T) {
			s := faultserver.New()
			defer s.Close()
			s.Script("gpt-4o-mini",
				partialToolCall(before),
				faultserver.ToolCalls([]faultserver.ToolCall{{ID: "call_1", Name: "add", Arguments: `{"a":1,"b":2}`}}),
			)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sr, err := llm.Stream(ctx, "openai/gpt-4o-mini", []llm.Message{llm.User("add 1 and 2")},
				llm.WithEndpoint("openai", llm.Endpoint{BaseURL: s.URL(), APIKey: "sk-fault"}),
				llm.WithClock(clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))),
				llm.WithCooldowns(llm.NewCooldowns()))
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			args := map[int]*strings.Builder{}
			ids := map[int]string{}
			for c, err := range sr.Chunks() {
				if err != nil {
					t.Fatal(err)
				}
				switch c.Kind {
				case llm.ChunkText:
					text.WriteString(c.Text)
				case llm.ChunkToolCall:
					if args[c.ToolCall.Index] == nil {
						args[c.ToolCall.Index] = &strings.Builder{}
					}
					args[c.ToolCall.Index].WriteString(c.ToolCall.Arguments)
					if c.ToolCall.ID != "" {
						ids[c.ToolCall.Index] = c.ToolCall.ID
					}
				}
			}
			if len(args) != 1 || args[0] == nil || args[0].String() != `{"a":1,"b":2}` || ids[0] != "call_1" {
				got := map[int]string{}
				for i, b := range args {
					got[i] = b.String()
				}
				t.Fatalf("tool-call arguments received %q (ids %v), want only call_1 {\"a\":1,\"b\":2}", got, ids)
			}
			resp, err := sr.Response()
			if err != nil {
				t.Fatal(err)
			}
			if text.String() != before || resp.Text() != before {
				t.Errorf("text received %q, answer %q, want %q", text.String(), resp.Text(), before)
			}
			if calls := resp.ToolCalls(); len(calls) != 1 || string(calls[0].Arguments) != `{"a":1,"b":2}` {
				t.Errorf("answer's tool calls %v", calls)
			}
			if n := len(s.Requests("gpt-4o-mini")); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}
