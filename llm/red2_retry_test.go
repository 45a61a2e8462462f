package llm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/llm"
)

// statusServer answers every request with status, the header given and
// OpenAI's error body, counting the requests.
func statusServer(t *testing.T, status int, header, value string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if header != "" {
			w.Header().Set(header, value)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"error":{"message":"busy","type":"server_error"}}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestHugeRetryAfterIsCappedAndTheDeadlineWins: a 503 asks for a retry in
// ten minutes. The wait is capped at MaxDelay (60 s by default) and, under
// a call deadline of 200 ms, the call ends at the deadline as a timeout
// carrying the 503, after one request: it neither sleeps ten minutes nor a
// minute past its deadline.
func TestHugeRetryAfterIsCappedAndTheDeadlineWins(t *testing.T) {
	srv, n := statusServer(t, http.StatusServiceUnavailable, "Retry-After", "600")
	clock := clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, err := llm.Call(context.Background(), "openai/gpt-4o-mini", []llm.Message{llm.User("hi")},
		llm.WithEndpoint("openai", llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}),
		llm.WithClock(clock), llm.WithCooldowns(llm.NewCooldowns()))
	if llm.KindOf(err) != llm.KindRetriesExhausted {
		t.Fatalf("got %v, want retries_exhausted", err)
	}
	for _, d := range clock.Sleeps() {
		if d != time.Minute {
			t.Errorf("waited %v for Retry-After: 600, want the 60 s MaxDelay", d)
		}
	}
	if len(clock.Sleeps()) != 3 || n.Load() != 4 {
		t.Errorf("%d waits, %d requests; want 3 and 4", len(clock.Sleeps()), n.Load())
	}

	srv, n = statusServer(t, http.StatusServiceUnavailable, "Retry-After", "600")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err = llm.Call(ctx, "openai/gpt-4o-mini", []llm.Message{llm.User("hi")},
			llm.WithEndpoint("openai", llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}), llm.WithCooldowns(llm.NewCooldowns()))
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a call waiting out Retry-After: 600 under a 200 ms deadline is still running after 30 s")
	}
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.KindTimeout {
		t.Fatalf("got %v, want timeout", err)
	}
	if len(e.Attempts) != 1 || e.Attempts[0].Error.Status != http.StatusServiceUnavailable {
		t.Errorf("attempts %v, want the one 503", e.Attempts)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}

// TestRateLimitWithoutRetryAfterBacksOff: a 429 with no Retry-After (nor
// retry-after-ms) is retried on the policy's backoff, never at once: each
// wait at least MinDelay and growing.
func TestRateLimitWithoutRetryAfterBacksOff(t *testing.T) {
	srv, n := statusServer(t, http.StatusTooManyRequests, "", "")
	clock := clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, err := llm.Call(context.Background(), "openai/gpt-4o-mini", []llm.Message{llm.User("hi")},
		llm.WithEndpoint("openai", llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}),
		llm.WithClock(clock), llm.WithCooldowns(llm.NewCooldowns()))
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.KindRetriesExhausted || len(e.Attempts) != 4 {
		t.Fatalf("got %v, want retries_exhausted after 4 attempts", err)
	}
	for _, a := range e.Attempts {
		if a.Error.Kind != llm.KindRateLimit {
			t.Errorf("attempt %v, want rate_limit", a)
		}
	}
	sleeps := clock.Sleeps()
	if len(sleeps) != 3 || n.Load() != 4 {
		t.Fatalf("waits %v, %d requests; want 3 waits, 4 requests", sleeps, n.Load())
	}
	for i, d := range sleeps {
		if d < 100*time.Millisecond || (i > 0 && d <= sleeps[i-1]/2) {
			t.Errorf("waits %v: want each at least 100 ms and backing off", sleeps)
		}
	}
}
