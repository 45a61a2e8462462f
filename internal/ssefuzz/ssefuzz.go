// Package ssefuzz is the harness of the providers' stream fuzz targets: it
// answers a streamed call with arbitrary bytes, as if a server had sent
// them as server-sent events, and checks that the provider's stream
// decoding and the engine behind it hold their contract whatever arrives.
//
// The body reaches the provider through its real HTTP path (the SDK's
// client, the provider's transport wrappers and SSE reader), served by an
// http.RoundTripper instead of a socket, so a fuzz run spends its time on
// decoding rather than on the network.
package ssefuzz

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/llmhost/llmhost/llm"
)

// Client returns an HTTP client that answers every request with status 200
// and body, as a text/event-stream.
func Client(body []byte) *http.Client {
	return &http.Client{Transport: answer(body)}
}

type answer []byte

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"text/event-stream"}},
		Body:          io.NopCloser(bytes.NewReader(a)),
		ContentLength: int64(len(a)),
		Request:       r,
	}, nil
}

// providerKinds are the kinds a provider may report a failure with.
var providerKinds = []llm.Kind{
	llm.KindAuthentication, llm.KindPermission, llm.KindBadRequest, llm.KindNotFound, llm.KindRateLimit,
	llm.KindServer, llm.KindTimeout, llm.KindConnection, llm.KindResponseValidation,
}

// Check streams a call of model (its provider's endpoint set by opts) whose
// answer is body, through the engine with retries off, and reads it to
// the end. It fails t if the stream yields more chunks than body could
// hold, if the text read differs from the text the messages keep, or if it
// ends with an error that is not an *llm.Error of a provider kind. A panic
// fails the fuzz run by itself.
func Check(t *testing.T, model string, body []byte, opts ...llm.Option) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts = append(opts,
		llm.WithHTTPClient(Client(body)),
		llm.WithRetry(llm.RetryPolicy{MaxRetries: llm.NoRetries, Cooldown: -1}),
		llm.WithCooldowns(llm.NewCooldowns()))
	sr, err := llm.Stream(ctx, model, []llm.Message{llm.User("Hi")}, opts...)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	// Every chunk comes from at least one byte of the body, and one event
	// gives a few chunks at most.
	limit := 8*len(body) + 64
	n := 0
	var text []byte
	var end error
	for c, err := range sr.Chunks() {
		if err != nil {
			end = err
			break
		}
		if n++; n > limit {
			t.Fatalf("%d chunks from a %d-byte body: the stream does not end", n, len(body))
		}
		if c.Kind == llm.ChunkText {
			text = append(text, c.Text...)
		}
	}
	if end != nil {
		var e *llm.Error
		if !errors.As(end, &e) {
			t.Fatalf("the stream ended with %v (%T), not an *llm.Error", end, end)
		}
		if !slices.Contains(providerKinds, e.Kind) || e.Message == "" {
			t.Fatalf("the stream ended with %q of kind %q", e.Message, e.Kind)
		}
		if errors.Is(end, context.DeadlineExceeded) {
			t.Fatalf("the stream did not end within its deadline: %v", end)
		}
	}
	// What the reader got is what the conversation keeps, for a resume.
	var kept []byte
	msgs := sr.Messages()
	if last := msgs[len(msgs)-1]; last.Role == llm.RoleAssistant {
		kept = []byte(last.Text())
	}
	if !bytes.Equal(kept, text) {
		t.Fatalf("read %q, but the messages keep %q", text, kept)
	}
}
