package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// alwaysRetry is the hostile strategy of the broken promise: it answers
// "retry" to everything, with the delay it was made with.
type alwaysRetry struct {
	mu    sync.Mutex
	delay time.Duration
	asked int
}

func (a *alwaysRetry) Decide(context.Context, RetryState) (Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked++
	return Decision{Action: ActionRetry, Delay: a.delay}, nil
}

// TestAlwaysRetryStrategyIsBounded: whatever delay a strategy that always
// retries asks for, each model gets exactly MaxRetries+1 attempts, every
// wait asked of the clock is within [MinDelay, MaxDelay], and the call ends
// with an error naming the limit and how to change it.
func TestAlwaysRetryStrategyIsBounded(t *testing.T) {
	const minD, maxD = 100 * time.Millisecond, 60 * time.Second
	for _, c := range []struct {
		name  string
		delay time.Duration
		want  time.Duration
	}{
		{"huge", math.MaxInt64, maxD},
		{"10^12 ms, wrapped by a careless conversion", time.Duration(1e12) * time.Millisecond, maxD},
		{"an hour", time.Hour, maxD},
		{"negative", -time.Hour, minD},
		{"most negative", math.MinInt64, minD},
		{"zero", 0, minD},
		{"within", 3 * time.Second, 3 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, opts := newFake(t) // every request fails: the fake has no step left
			st := &alwaysRetry{delay: c.delay}
			var decisions []Decision
			opts = append(opts, WithRetry(RetryPolicy{MaxRetries: 2}), WithFallbacks("fake/b"), WithRetryStrategy(st),
				WithObserver(func(e Event) {
					if e.Type == EventFailure {
						decisions = append(decisions, e.Decision)
					}
				}))
			_, err := Call(context.Background(), "fake/a", hi, opts...)

			var per []string
			for _, r := range p.sent() {
				per = append(per, r.Model)
			}
			if diff := cmp.Diff([]string{"a", "a", "a", "b", "b", "b"}, per); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			w := c.want
			if diff := cmp.Diff([]time.Duration{w, w, w, w}, clockOf(opts).Sleeps()); diff != "" {
				t.Errorf("waits asked of the clock (-want +got):\n%s", diff)
			}
			var acts []string
			for _, d := range decisions {
				acts = append(acts, fmt.Sprint(d.Action, " ", d.Delay, " ", d.Model))
			}
			wantActs := []string{"retry " + w.String() + " ", "retry " + w.String() + " ", "fallback 0s fake/b",
				"retry " + w.String() + " ", "retry " + w.String() + " ", "fail 0s "}
			if diff := cmp.Diff(wantActs, acts); diff != "" {
				t.Errorf("decisions observers saw (-want +got):\n%s", diff)
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindRetriesExhausted || len(e.Attempts) != 6 {
				t.Fatalf("err = %v, want retries_exhausted after 6 attempts", err)
			}
			for _, s := range []string{"RetryPolicy.MaxRetries", "2 retries", "fake/b"} {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not name %q", e.Message, s)
				}
			}
		})
	}
}

// TestAlwaysRetryDefaultBudget: with the default policy (MaxRetries 0
// meaning 3) an always-retry strategy gets 4 attempts, not thousands.
func TestAlwaysRetryDefaultBudget(t *testing.T) {
	p, opts := newFake(t)
	_, err := Call(context.Background(), "fake/a", hi, append(opts, WithRetryStrategy(&alwaysRetry{}))...)
	if KindOf(err) != KindRetriesExhausted {
		t.Fatalf("err = %v", err)
	}
	if n := len(p.sent()); n != 4 {
		t.Errorf("requests = %d, want 4", n)
	}
	if diff := cmp.Diff([]time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}, clockOf(opts).Sleeps()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// TestMinDelayOff: a negative MinDelay lets a strategy retry at once.
func TestMinDelayOff(t *testing.T) {
	p, opts := newFake(t)
	_, _ = Call(context.Background(), "fake/a", hi, append(opts, WithRetry(RetryPolicy{MaxRetries: 1, MinDelay: -1}), WithRetryStrategy(&alwaysRetry{delay: -time.Second}))...)
	if n := len(p.sent()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
	if diff := cmp.Diff([]time.Duration{0}, clockOf(opts).Sleeps()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// chaos answers at random: retries with any delay, fallbacks to models
// already tried, to unknown models, to none; it also scribbles over the
// state it is given.
type chaos struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

func (c *chaos) Decide(_ context.Context, s RetryState) (Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(s.Fallbacks) > 0 {
		s.Fallbacks[0] = "fake/a" // must not change the engine's order
	}
	s.Err.Model = "scribbled"
	names := []string{"", "fake/a", "fake/b", "fake/c", "fake/d", "nosuch/x"}
	switch c.rnd.IntN(4) {
	case 0:
		return Decision{Action: ActionRetry, Delay: time.Duration(c.rnd.Int64() - c.rnd.Int64())}, nil
	case 1:
		return Decision{Action: ActionFallback, Model: names[c.rnd.IntN(len(names))]}, nil
	case 2:
		return Decision{Action: "later"}, nil
	}
	return Decision{Action: ActionRetry, Delay: time.Duration(c.rnd.Int64())}, nil
}

// TestChaoticStrategyIsBounded: a strategy answering anything at all still
// gets each model at most MaxRetries+1 attempts, in the call's order, each
// model once, and every wait within bounds.
func TestChaoticStrategyIsBounded(t *testing.T) {
	const maxRetries = 3
	pol := RetryPolicy{MaxRetries: maxRetries, MinDelay: 50 * time.Millisecond, MaxDelay: 2 * time.Second}
	order := []string{"a", "b", "c", "d"}
	for seed := range uint64(200) {
		p, opts := newFake(t)
		st := &chaos{rnd: rand.New(rand.NewPCG(seed, 1))}
		_, err := Call(context.Background(), "fake/a", hi,
			append(opts, WithRetry(pol), WithFallbacks("fake/b", "fake/c", "fake/d"), WithRetryStrategy(st))...)
		if err == nil {
			t.Fatalf("seed %d: a call with no healthy model succeeded", seed)
		}
		last, count := -1, map[string]int{}
		for _, r := range p.sent() {
			i := slices.Index(order, r.Model)
			if i < last {
				t.Fatalf("seed %d: went back to %s after %s", seed, r.Model, order[last])
			}
			last = i
			if count[r.Model]++; count[r.Model] > maxRetries+1 {
				t.Fatalf("seed %d: %d attempts on %s", seed, count[r.Model], r.Model)
			}
		}
		for _, d := range clockOf(opts).Sleeps() {
			if d < pol.MinDelay || d > pol.MaxDelay {
				t.Fatalf("seed %d: waited %s, outside [%s, %s]", seed, d, pol.MinDelay, pol.MaxDelay)
			}
		}
		var e *Error
		if errors.As(err, &e) {
			for _, a := range e.Attempts {
				if a.Error.Model == "scribbled" {
					t.Fatalf("seed %d: the strategy rewrote a recorded attempt", seed)
				}
			}
		}
	}
}

// TestBackoffIsBoundedForAnyN: the default backoff for n = 1..200 (and
// beyond) is monotone without jitter, never negative, and within
// [MinDelay, MaxDelay] with any jitter; it used to overflow from n = 36.
func TestBackoffIsBoundedForAnyN(t *testing.T) {
	ns := []int{math.MaxInt, math.MaxInt32, 1 << 40, -5, 0}
	for n := 1; n <= 200; n++ {
		ns = append(ns, n)
	}
	for _, pol := range []RetryPolicy{
		{Jitter: -1},
		{},
		{Jitter: 0.9},
		{Jitter: 5}, // more than 1: a naive spread goes negative
		{Jitter: math.MaxFloat64},
		{Jitter: math.Inf(1)},
		{InitialDelay: time.Millisecond, Multiplier: 1e300, MaxDelay: time.Second},
		{InitialDelay: math.MaxInt64, Multiplier: math.MaxFloat64},
		{MaxDelay: math.MaxInt64, Multiplier: 10},
		{InitialDelay: 10 * time.Millisecond, MinDelay: time.Second, MaxDelay: 500 * time.Millisecond},
	} {
		np := pol.normalized()
		prev := time.Duration(0)
		for _, n := range ns {
			d := pol.Delay(n, &Error{Kind: KindServer})
			if d < 0 || d < np.MinDelay || d > np.MaxDelay {
				t.Fatalf("%+v: Delay(%d) = %s, outside [%s, %s]", pol, n, d, np.MinDelay, np.MaxDelay)
			}
			if pol.Jitter < 0 && n >= 1 && n <= 200 {
				if d < prev {
					t.Fatalf("%+v: Delay(%d) = %s < Delay(%d) = %s", pol, n, d, n-1, prev)
				}
				prev = d
			}
		}
	}
	def := RetryPolicy{Jitter: -1}
	if d := def.Delay(36, nil); d != 60*time.Second {
		t.Errorf("Delay(36) = %s, want the 60s cap", d)
	}
	if d := def.Delay(1, nil); d != 500*time.Millisecond {
		t.Errorf("Delay(1) = %s, want 500ms", d)
	}
}

// TestMinDelayDefault: the floor is 100ms, or InitialDelay when shorter,
// and never above MaxDelay; the built-in backoff's waits are untouched.
func TestMinDelayDefault(t *testing.T) {
	for _, c := range []struct {
		pol  RetryPolicy
		want time.Duration
	}{
		{RetryPolicy{}, 100 * time.Millisecond},
		{RetryPolicy{InitialDelay: 10 * time.Millisecond}, 10 * time.Millisecond},
		{RetryPolicy{MinDelay: time.Minute, MaxDelay: time.Second}, time.Second},
		{RetryPolicy{MinDelay: -1}, -1},
	} {
		if got := c.pol.normalized().MinDelay; got != c.want {
			t.Errorf("%+v: MinDelay = %s, want %s", c.pol, got, c.want)
		}
	}
	// Retry-After is held to the same bounds.
	pol := RetryPolicy{}
	if d := pol.Delay(1, &Error{RetryAfter: time.Millisecond}); d != 100*time.Millisecond {
		t.Errorf("Retry-After 1ms: waits %s, want the 100ms floor", d)
	}
	if d := pol.Delay(1, &Error{RetryAfter: 277_777 * time.Hour}); d != 60*time.Second {
		t.Errorf("Retry-After 277777h: waits %s, want the 60s cap", d)
	}
}

// TestClassifyDoesNotWriteSharedErrors: a provider that returns one *Error
// value from many concurrent calls (on different models) gets it back
// untouched; each call's error names its own model. Under -race, a write
// to the shared value is a reported race.
func TestClassifyDoesNotWriteSharedErrors(t *testing.T) {
	p, opts := newFake(t)
	shared := &Error{Kind: KindBadRequest, Status: 400, Message: "shared"}
	const calls = 16
	for _, m := range []string{"a", "b"} {
		for range calls {
			p.script(m, step{err: shared})
		}
	}
	opts = append(opts, WithMaxRetries(0))
	var wg sync.WaitGroup
	errs := make([]error, 2*calls)
	for i := range errs {
		model := []string{"fake/a", "fake/b"}[i%2]
		wg.Go(func() {
			_, errs[i] = Call(context.Background(), model, hi, opts...)
		})
	}
	wg.Wait()
	for i, err := range errs {
		var e *Error
		if !errors.As(err, &e) || e.Model != []string{"fake/a", "fake/b"}[i%2] || e.Provider != "fake" {
			t.Errorf("call %d: %v", i, err)
		}
		if e == shared {
			t.Errorf("call %d returned the provider's own value", i)
		}
	}
	if shared.Model != "" || shared.Provider != "" {
		t.Errorf("the provider's error was written to: %+v", shared)
	}
}

// sharedOpenErr is what the "sharederr" driver fails to open with, every
// time.
var sharedOpenErr = &Error{Kind: KindMissingAPIKey, Message: "SHARED_API_KEY is not set"}

func init() {
	Register("sharederr", DriverFunc(func(Config) (Provider, error) { return nil, sharedOpenErr }))
}

// TestResolveDoesNotWriteSharedErrors: the same for a driver's Open error.
func TestResolveDoesNotWriteSharedErrors(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		model := fmt.Sprintf("sharederr/m%d", i)
		wg.Go(func() {
			_, err := Call(context.Background(), model, hi, WithCooldowns(NewCooldowns()))
			var e *Error
			if !errors.As(err, &e) || e.Model != model || e.Kind != KindMissingAPIKey {
				t.Errorf("%s: %v", model, err)
			}
		})
	}
	wg.Wait()
	if sharedOpenErr.Model != "" || sharedOpenErr.Provider != "" {
		t.Errorf("the driver's error was written to: %+v", sharedOpenErr)
	}
}
