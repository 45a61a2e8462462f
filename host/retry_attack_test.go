package host_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/wasmtest"
	"github.com/llmhost/llmhost/llm"
)

// retryGuest is an llmhost/1 retry strategy whose decide answers reply,
// whatever it is asked.
func retryGuest(t *testing.T, reply string) []byte {
	t.Helper()
	desc := `{"abi":"llmhost/1","name":"hammer","retry":true}`
	const descAt, replyAt = 1024, 2048
	return wasmtest.WAT(t, fmt.Sprintf(`(module
  (memory (export "memory") 1)
  (data (i32.const %d) %q)
  (data (i32.const %d) %q)
  (func (export %q))
  (func (export %q) (param i32) (result i32) (i32.const 4096))
  (func (export %q) (param i32 i32) (result i64) (i64.const %d))
  (func (export %q) (param i32 i32) (result i64) (i64.const %d)))`,
		descAt, desc, replyAt, reply,
		abi.ExportMarker, abi.ExportAlloc,
		abi.ExportDescribe, int64(abi.Pack(descAt, uint32(len(desc)), false)),
		abi.ExportDecide, int64(abi.Pack(replyAt, uint32(len(reply)), false))))
}

// hammered is a provider that answers every request with a 429, counting
// requests per model: the server a runaway strategy would hammer.
type hammered struct {
	mu   sync.Mutex
	sent map[string]int
}

func (h *hammered) Complete(_ context.Context, req *llm.Request) (*llm.Completion, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent[req.Model]++
	return nil, &llm.Error{Kind: llm.KindRateLimit, Status: 429, Message: "slow down"}
}

func (h *hammered) Stream(ctx context.Context, req *llm.Request) (llm.ChunkReader, error) {
	_, err := h.Complete(ctx, req)
	return nil, err
}

var hammeredServers sync.Map // base URL -> *hammered

func init() {
	llm.Register("hammered", llm.DriverFunc(func(cfg llm.Config) (llm.Provider, error) {
		h, ok := hammeredServers.Load(cfg.BaseURL)
		if !ok {
			return nil, &llm.Error{Kind: llm.KindMissingAPIKey, Message: "no hammered server at " + cfg.BaseURL}
		}
		return h.(*hammered), nil
	}))
}

// TestPluginRetryStrategyIsBounded: a plugin whose decide always answers
// retry, with a delay of 10^12 ms (277,777 h) or 2^62 ms (which wraps a
// time.Duration to a negative or tiny wait), gets exactly MaxRetries+1
// attempts per model, waits clamped to MaxDelay, and an error naming the
// limit. It used to make hundreds of requests.
func TestPluginRetryStrategyIsBounded(t *testing.T) {
	for _, c := range []struct {
		name    string
		delayMS int64
	}{
		{"1e12 ms", 1_000_000_000_000},
		{"2^62 ms", 1 << 62},
		{"max int64 ms", 1<<63 - 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := loadBytes(t, retryGuest(t, fmt.Sprintf(`{"action":"retry","delay_ms":%d}`, c.delayMS)))
			st := p.RetryStrategy()

			// The adapter alone: no wrap to a negative or short wait.
			d, err := st.Decide(context.Background(), llm.RetryState{Attempt: 1, Model: "hammered/a",
				Err: &llm.Error{Kind: llm.KindRateLimit, Status: 429}})
			if err != nil || d.Action != llm.ActionRetry || d.Delay < 277_777*time.Hour {
				t.Fatalf("Decide = %+v, %v; want retry with a delay of at least 277777h", d, err)
			}

			h := &hammered{sent: map[string]int{}}
			base := "http://" + strings.ReplaceAll(t.Name(), " ", "_")
			hammeredServers.Store(base, h)
			t.Cleanup(func() { hammeredServers.Delete(base) })
			clock := clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			const maxDelay = 5 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err = llm.Call(ctx, "hammered/a", []llm.Message{llm.User("hi")},
				llm.WithEndpoint("hammered", llm.Endpoint{BaseURL: base}),
				llm.WithClock(clock), llm.WithCooldowns(llm.NewCooldowns()),
				llm.WithRetry(llm.RetryPolicy{MaxRetries: 2, MaxDelay: maxDelay}),
				llm.WithFallbacks("hammered/b"),
				llm.WithRetryStrategy(st))

			var e *llm.Error
			if !errors.As(err, &e) || e.Kind != llm.KindRetriesExhausted || !strings.Contains(e.Message, "RetryPolicy.MaxRetries") {
				t.Fatalf("err = %v; want retries_exhausted naming RetryPolicy.MaxRetries", err)
			}
			h.mu.Lock()
			sent := fmt.Sprint(h.sent)
			h.mu.Unlock()
			if sent != "map[a:3 b:3]" {
				t.Errorf("requests per model = %s, want map[a:3 b:3]", sent)
			}
			sleeps := clock.Sleeps()
			if len(sleeps) != 4 {
				t.Errorf("waits = %v, want 4 (2 retries on each model)", sleeps)
			}
			for _, s := range sleeps {
				if s != maxDelay {
					t.Errorf("waited %s, want the %s MaxDelay", s, maxDelay)
				}
			}
			outcome(t, "time", fmt.Sprintf("retry strategy always answering retry with delay_ms %d", c.delayMS),
				fmt.Sprintf("bounded: %s requests (MaxRetries 2 per model), every wait clamped to MaxDelay %s; %q",
					sent, maxDelay, e.Kind))
		})
	}
}
