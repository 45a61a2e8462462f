package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/pdk"
)

func defaults() policy {
	return policy{initial: 500, multiplier: 2, max: 60000, maxAttempts: 3, jitter: 0.2,
		retryable: map[string]bool{"rate_limit": true, "server": true, "timeout": true, "connection": true}}
}

func TestDecide(t *testing.T) {
	mid := func() float64 { return 0.5 } // no jitter
	low := func() float64 { return 0 }   // jitter all the way down
	req := func(attempt int, kind string, retryAfter int64, fallbacks ...string) abi.DecideRequest {
		return abi.DecideRequest{Attempt: attempt, Model: "openai/gpt-4o-mini", Fallbacks: fallbacks,
			Error: abi.CallError{Kind: kind, Message: "x", RetryAfterMS: retryAfter}}
	}
	cases := []struct {
		name   string
		req    abi.DecideRequest
		random func() float64
		want   abi.Decision
	}{
		{"first retry", req(1, "server", 0), mid, abi.Decision{Action: abi.ActionRetry, DelayMS: 500}},
		{"exponential", req(2, "rate_limit", 0), mid, abi.Decision{Action: abi.ActionRetry, DelayMS: 1000}},
		{"jitter", req(2, "rate_limit", 0), low, abi.Decision{Action: abi.ActionRetry, DelayMS: 800}},
		{"retry-after honoured", req(1, "rate_limit", 7000), low, abi.Decision{Action: abi.ActionRetry, DelayMS: 7000}},
		{"retry-after capped", req(1, "rate_limit", 600000), mid, abi.Decision{Action: abi.ActionRetry, DelayMS: 60000}},
		{"fallback after N", req(3, "server", 0, "anthropic/claude-3-5-haiku-latest", "google/gemini-2.0-flash"), mid,
			abi.Decision{Action: abi.ActionFallback, Model: "anthropic/claude-3-5-haiku-latest"}},
		{"fail after N without fallbacks", req(3, "server", 0), mid, abi.Decision{Action: abi.ActionFail}},
		{"not retryable falls back at once", req(1, "authentication", 0, "ollama/llama3.2"), mid,
			abi.Decision{Action: abi.ActionFallback, Model: "ollama/llama3.2"}},
		{"not retryable fails", req(1, "bad_request", 0), mid, abi.Decision{Action: abi.ActionFail}},
	}
	for _, c := range cases {
		if got := decide(c.req, defaults(), c.random); !cmp.Equal(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	big := defaults()
	if got := decide(req(30, "server", 0), policy{initial: 500, multiplier: 2, max: 60000, maxAttempts: 100, retryable: big.retryable}, mid); got.DelayMS != 60000 {
		t.Errorf("delay not capped: %+v", got)
	}
}

func TestConfigured(t *testing.T) {
	if _, err := pdk.Invoke("llmhost_configure", []byte(`{"initial_delay_ms":"100","multiplier":"3","jitter":"0","max_attempts":"5","retry_kinds":"server"}`)); err != nil {
		t.Fatal(err)
	}
	defer pdk.Invoke("llmhost_configure", []byte(`{}`))
	in, _ := json.Marshal(abi.DecideRequest{Attempt: 3, Model: "m", Fallbacks: []string{"f"}, Error: abi.CallError{Kind: "server", Message: "x"}})
	out, err := pdk.Invoke("decide", in)
	if err != nil || string(out) != `{"action":"retry","delay_ms":900}` {
		t.Errorf("decide = %s, %v", out, err)
	}
	in, _ = json.Marshal(abi.DecideRequest{Attempt: 1, Model: "m", Fallbacks: []string{"f"}, Error: abi.CallError{Kind: "rate_limit", Message: "x"}})
	out, err = pdk.Invoke("decide", in)
	if err != nil || string(out) != `{"action":"fallback","delay_ms":0,"model":"f"}` {
		t.Errorf("decide = %s, %v", out, err)
	}
}
