package llm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/llm"
)

// wires is a model of each wire format the engine speaks.
var wires = map[string]string{
	"openai":    "openai/gpt-4o-mini",
	"anthropic": "anthropic/claude-sonnet-4-0",
	"google":    "google/gemini-2.5-flash",
}

// failOnce makes one attempt (no retries) against a server answering with
// status and body, streamed or not, and returns its *llm.Error.
func failOnce(t *testing.T, provider string, stream bool, status int, ct, body string) *llm.Error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := []llm.Option{llm.WithEndpoint(provider, llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}), llm.WithMaxRetries(0),
		llm.WithClock(clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), llm.WithCooldowns(llm.NewCooldowns())}
	var err error
	if stream {
		sr, serr := llm.Stream(ctx, wires[provider], []llm.Message{llm.User("hi")}, opts...)
		if serr != nil {
			t.Fatal(serr)
		}
		for _, e := range sr.Chunks() {
			if e != nil {
				err = e
			}
		}
	} else {
		_, err = llm.Call(ctx, wires[provider], []llm.Message{llm.User("hi")}, opts...)
	}
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want an *llm.Error", err, err)
	}
	return e
}

// wantReadable: the message says something, is bounded by
// llm.MaxErrorMessage, and holds no byte a terminal would act on.
func wantReadable(t *testing.T, e *llm.Error) {
	t.Helper()
	if strings.TrimSpace(e.Message) == "" {
		t.Errorf("%v: empty message; an error names what was wrong", e)
	}
	if n := len(e.Message); n > llm.MaxErrorMessage+len("…") {
		t.Errorf("message of %d bytes, want at most llm.MaxErrorMessage (%d)", n, llm.MaxErrorMessage)
	}
	if !utf8.ValidString(e.Message) {
		t.Errorf("message %q is not UTF-8", e.Message)
	}
	for _, r := range e.Message {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			t.Errorf("message %q holds control character %U", e.Message, r)
			break
		}
	}
}

// TestHostileErrorBodies: a server answers 400 or 503 with an error body
// whose message is absent, of the wrong type, garbled (not UTF-8, terminal
// escape sequences), 3 MiB long, 100,000 levels deep, or not the provider's
// shape at all. Every provider gives the kind of the status, the status,
// and a message that is non-empty, bounded and printable: before, Google
// gave an empty message for {"error":{}}, and every provider passed a
// hostile server's ESC sequences on to the CLI's terminal.
func TestHostileErrorBodies(t *testing.T) {
	bodies := map[string]string{
		"absent":  `{"error":{}}`,
		"garbled": "\x00\xff<html>\x1b]0;pwned\x07\x1b[2J oops",
		"escape":  `{"error":{"message":"\u001b]0;pwned\u0007\u001b[2J bad","type":"invalid_request_error","status":"INVALID_ARGUMENT","code":400}}`,
		"numeric": `{"error":{"message":12,"type":["x"]}}`,
		"huge":    `{"error":{"message":"` + strings.Repeat("A", 3<<20) + `"}}`,
		"deep":    strings.Repeat(`{"error":`, 100000),
		"empty":   ``,
		"foreign": `[{"error":{"code":400,"message":"another provider's shape","status":"INVALID_ARGUMENT"}}]`,
	}
	for provider := range wires {
		for name, body := range bodies {
			for _, status := range []int{http.StatusBadRequest, http.StatusServiceUnavailable} {
				for _, stream := range []bool{false, true} {
					e := failOnce(t, provider, stream, status, "application/json", body)
					if e.Kind != llm.KindForStatus(status) || e.Status != status {
						t.Errorf("%s %s %d stream=%v: kind %s status %d, want %s %d", provider, name, status, stream,
							e.Kind, e.Status, llm.KindForStatus(status), status)
					}
					wantReadable(t, e)
				}
			}
		}
	}
}

// TestHostileErrorEvents: a 200 stream whose first event is the provider's
// error event, with a message that is huge, holds escape sequences or is
// absent. It is a server error (retryable, resumable) with no error status,
// and its message is bounded and printable: before, OpenAI's frame kept a
// 3 MiB message and raw ESC bytes.
func TestHostileErrorEvents(t *testing.T) {
	huge := strings.Repeat("B", 3<<20)
	events := map[string][]string{
		"openai": {
			`data: {"error":{"message":"\u001b]0;pwned\u0007 overloaded","type":"server_error"}}`,
			`data: {"error":{"message":"` + huge + `","type":"server_error"}}`,
			`data: {"error":{"message":"ovl","type":"overloaded_error"}}`,
		},
		"anthropic": {
			"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"\\u001b[2J Overloaded\"}}",
			"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"" + huge + "\"}}",
			"event: error\ndata: {\"type\":\"error\",\"error\":{}}",
		},
		"google": {
			`data: {"error":{"code":503,"message":"\u001b[2J overloaded","status":"UNAVAILABLE"}}`,
			`data: {"error":{"code":400,"message":"` + huge + `","status":"INVALID_ARGUMENT"}}`,
			`data: {"error":{}}`,
		},
	}
	for provider, evs := range events {
		for i, ev := range evs {
			e := failOnce(t, provider, true, http.StatusOK, "text/event-stream", ev+"\n\n")
			if e.Kind != llm.KindServer || (e.Status != 0 && e.Status != http.StatusOK) {
				t.Errorf("%s event %d: kind %s status %d, want server, no error status", provider, i, e.Kind, e.Status)
			}
			wantReadable(t, e)
		}
	}
}
