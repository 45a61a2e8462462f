package faultserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// body builds a chat-completions request body.
func body(model string, stream bool, messages ...map[string]any) string {
	if len(messages) == 0 {
		messages = []map[string]any{{"role": "user", "content": "What is 4200 + 42?"}}
	}
	b := map[string]any{"model": model, "messages": messages}
	if stream {
		b["stream"] = true
		b["stream_options"] = map[string]any{"include_usage": true}
	}
	return string(must(json.Marshal(b)))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// post sends a chat-completions request the way any OpenAI client would.
func post(t *testing.T, ctx context.Context, s *Server, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	return resp
}

// readAll reads a whole response, returning the read error too.
func readAll(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// sseReader is a minimal SSE reader: it returns each event's data, one event
// at a time, and the read error that ended the stream (nil at a clean end).
type sseReader struct {
	br *bufio.Reader
}

func newSSE(r io.Reader) *sseReader { return &sseReader{br: bufio.NewReader(r)} }

// next returns the next event's data, or an error: io.EOF at a clean end.
func (r *sseReader) next() (string, error) {
	var data []string
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			if err == io.EOF && line != "" {
				// A line without its end: the stream was cut.
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "" && data != nil:
			return strings.Join(data, "\n"), nil
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
}

// all reads every event's data until the stream ends; err is nil at a clean
// end.
func (r *sseReader) all() (events []string, err error) {
	for {
		d, err := r.next()
		if err == io.EOF {
			return events, nil
		}
		if err != nil {
			return events, err
		}
		events = append(events, d)
	}
}

// wireChunk is the subset of a chunk the tests look at.
type wireChunk struct {
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Delta struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			Refusal   *string `json:"refusal"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type wireCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			Refusal   *string `json:"refusal"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage wireUsage `json:"usage"`
}

// streamed is what a stream amounted to, merged as an SDK merges it.
type streamed struct {
	text, refusal string
	calls         []ToolCall
	finish        string
	usage         *wireUsage
	deltas        []string // the content deltas, in order
	done          bool     // data: [DONE] arrived
}

func decodeStream(t *testing.T, events []string) streamed {
	t.Helper()
	var out streamed
	for i, data := range events {
		if data == "[DONE]" {
			out.done = true
			continue
		}
		var c wireChunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %d is not a chunk: %v\n%s", i, err, data)
		}
		if c.Object != "chat.completion.chunk" {
			t.Errorf("event %d: object %q", i, c.Object)
		}
		if c.Usage != nil {
			out.usage = c.Usage
		}
		for _, ch := range c.Choices {
			if d := ch.Delta.Content; d != nil && *d != "" {
				out.text += *d
				out.deltas = append(out.deltas, *d)
			}
			if d := ch.Delta.Refusal; d != nil {
				out.refusal += *d
			}
			for _, tc := range ch.Delta.ToolCalls {
				for len(out.calls) <= tc.Index {
					out.calls = append(out.calls, ToolCall{})
				}
				c := &out.calls[tc.Index]
				if tc.ID != "" {
					c.ID = tc.ID
				}
				c.Name += tc.Function.Name
				c.Arguments += tc.Function.Arguments
			}
			if ch.FinishReason != nil {
				out.finish = *ch.FinishReason
			}
		}
	}
	return out
}

func decodeCompletion(t *testing.T, s string) wireCompletion {
	t.Helper()
	var c wireCompletion
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatalf("not a completion: %v\n%s", err, s)
	}
	if c.Object != "chat.completion" || len(c.Choices) != 1 {
		t.Fatalf("not a one-choice completion: %s", s)
	}
	return c
}

// apiError decodes an OpenAI error body, insisting on all four keys.
func apiError(t *testing.T, s string) (msg, typ string, code any) {
	t.Helper()
	var e struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal([]byte(s), &e); err != nil || e.Error == nil {
		t.Fatalf("not an OpenAI error body: %s", s)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := e.Error[k]; !ok {
			t.Errorf("error body lacks %q: %s", k, s)
		}
	}
	msg, _ = e.Error["message"].(string)
	typ, _ = e.Error["type"].(string)
	return msg, typ, e.Error["code"]
}

func equalJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return bytes.Equal(must(json.Marshal(x)), must(json.Marshal(y)))
}
