package google_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/llmhost/llmhost/llm"

	"github.com/llmhost/llmhost/providers/internal/hostile"
)

// TestDecodingBombsAreBounded: answers within every size limit that
// decode into far more than their size (candidates, parts, function-call
// arguments) fail with the error of ResponseLimits.MaxValues, the heap
// within hostile.Bound.
func TestDecodingBombsAreBounded(t *testing.T) {
	hostile.RunBombs(t, googleWire, []hostile.Bomb{
		{Name: "candidates", Prefix: `{"candidates":[`, Item: `{},`, Suffix: `{}]}`},
		{Name: "parts", Prefix: `{"candidates":[{"content":{"role":"model","parts":[`, Item: `{"text":""},`, Suffix: `{"text":""}]}}]}`},
		{Name: "function-call arguments", Prefix: `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":[`,
			Item: `[],`, Suffix: `[]]}}}]}}]}`},
		{Name: "stream event of parts", Stream: true, Prefix: `data: {"candidates":[{"content":{"role":"model","parts":[`, Item: `{"text":""},`, Suffix: `{"text":""}]}}]}`},
	})
}

// TestModelIDLeavingThePathIsABadRequest: a model id that would climb out
// of /models/ ("../../admin") is refused before anything is sent, as
// bad_request (it was response_validation, "the response could not be
// decoded", though no response existed).
func TestModelIDLeavingThePathIsABadRequest(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	for _, m := range []string{"google/../../../admin?x=1#", "google/a%2F..%2F..%2Fadmin"} {
		_, err := llm.Call(context.Background(), m, []llm.Message{llm.User("hi")},
			llm.WithRetry(llm.RetryPolicy{MaxRetries: llm.NoRetries}),
			llm.WithEndpoint("google", llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}), llm.WithCooldowns(llm.NewCooldowns()))
		var e *llm.Error
		if !errors.As(err, &e) || e.Kind != llm.KindBadRequest {
			t.Errorf("%q: got %v, want bad_request", m, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}
