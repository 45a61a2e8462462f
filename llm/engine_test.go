package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var hi = []Message{User("hi")}

func TestRetryFollowsRetryAfter(t *testing.T) {
	p, opts := newFake(t)
	rl := &Error{Kind: KindRateLimit, Status: 429, Message: "slow down", RetryAfter: 7 * time.Second}
	p.script("m", step{err: rl}, text("hello"))

	resp, err := Call(context.Background(), "fake/m", hi, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "hello" {
		t.Errorf("text = %q", resp.Text())
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, clockOf(opts).Sleeps()); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if len(resp.Attempts) != 1 || resp.Attempts[0].Error.Kind != KindRateLimit || resp.Attempts[0].Model != "fake/m" {
		t.Errorf("attempts = %v", resp.Attempts)
	}
}

func TestRetryAfterIsCappedAtMaxDelay(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{err: &Error{Kind: KindRateLimit, Status: 429, RetryAfter: time.Hour}}, text("ok"))
	_, err := Call(context.Background(), "fake/m", hi, append(opts, WithRetry(RetryPolicy{MaxDelay: 5 * time.Second}))...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{5 * time.Second}, clockOf(opts).Sleeps()); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}

func TestBackoffIsExponential(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", fail(KindServer, 500), fail(KindServer, 502), fail(KindServer, 503), text("ok"))
	_, err := Call(context.Background(), "fake/m", hi, append(opts, WithRetry(RetryPolicy{Jitter: -1}))...)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
	if diff := cmp.Diff(want, clockOf(opts).Sleeps()); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}

func TestJitterStaysWithinBounds(t *testing.T) {
	p := RetryPolicy{Jitter: 0.5, InitialDelay: time.Second}
	for i := 0; i < 200; i++ {
		d := p.Delay(1, &Error{Kind: KindServer})
		if d < 500*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("delay %s outside [0.5s, 1.5s]", d)
		}
	}
}

func TestAuthenticationIsNotRetried(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", fail(KindAuthentication, 401), text("never"))
	_, err := Call(context.Background(), "fake/m", hi, opts...)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuthentication || e.Status != 401 {
		t.Fatalf("err = %v, want authentication", err)
	}
	if n := len(p.sent()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
	if len(clockOf(opts).Sleeps()) != 0 {
		t.Errorf("slept %v", clockOf(opts).Sleeps())
	}
	var ae *AuthenticationError
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("errors.As(*AuthenticationError) failed for %v", err)
	}
	if !errors.Is(err, KindAuthentication) {
		t.Error("errors.Is(err, KindAuthentication) = false")
	}
}

func TestAuthenticationRetriedWhenAsked(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", fail(KindAuthentication, 401), text("ok"))
	pol := RetryPolicy{RetryOn: []Kind{KindAuthentication}}
	if _, err := Call(context.Background(), "fake/m", hi, append(opts, WithRetry(pol))...); err != nil {
		t.Fatal(err)
	}
}

func TestExhaustedListsEveryAttempt(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", fail(KindServer, 500), fail(KindServer, 503), fail(KindRateLimit, 429))
	_, err := Call(context.Background(), "fake/m", hi, append(opts, WithMaxRetries(2))...)
	var re *RetriesExhaustedError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want retries_exhausted", err)
	}
	var got []string
	for _, a := range re.Attempts {
		got = append(got, a.String())
	}
	want := []string{"fake/m server 500", "fake/m server 503", "fake/m rate_limit 429"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if re.Status != 429 || !errors.Is(err, KindRateLimit) {
		t.Errorf("exhausted error should carry and wrap the last failure: %v", err)
	}
}

func TestFallbackHasItsOwnBudgetAndNoDelay(t *testing.T) {
	p, opts := newFake(t)
	p.script("a", fail(KindServer, 500), fail(KindServer, 500))
	p.script("b", fail(KindServer, 503), text("from b"))
	resp, err := Call(context.Background(), "fake/a", hi,
		append(opts, WithMaxRetries(1), WithFallbacks("fake/b"), WithRetry(RetryPolicy{MaxRetries: 1, Jitter: -1}))...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "fake/b" || resp.Text() != "from b" {
		t.Errorf("answered by %s: %q", resp.Model, resp.Text())
	}
	if len(resp.Attempts) != 3 {
		t.Errorf("attempts = %v", resp.Attempts)
	}
	// One backoff on a, none for the switch, one backoff on b.
	if diff := cmp.Diff([]time.Duration{500 * time.Millisecond, 500 * time.Millisecond}, clockOf(opts).Sleeps()); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}

func TestMissingKeyMovesToFallback(t *testing.T) {
	p, opts := newFake(t)
	p.script("b", text("ok"))
	resp, err := Call(context.Background(), "nosuch/a", hi, append(opts, WithFallbacks("fake/b"))...)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Attempts) != 1 || resp.Attempts[0].Error.Kind != KindNoProvider {
		t.Errorf("attempts = %v", resp.Attempts)
	}
}

func TestCooldownSkipsAModelThatKeptFailing(t *testing.T) {
	p, opts := newFake(t)
	opts = append(opts, WithMaxRetries(1), WithFallbacks("fake/b"))
	p.script("a", fail(KindServer, 500), fail(KindServer, 500))
	p.script("b", text("one"), text("two"))
	if _, err := Call(context.Background(), "fake/a", hi, opts...); err != nil {
		t.Fatal(err)
	}
	before := len(p.sent())
	resp, err := Call(context.Background(), "fake/a", hi, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(p.sent()) - before; got != 1 {
		t.Errorf("second call sent %d requests, want 1 (a skipped)", got)
	}
	if len(resp.Attempts) != 1 || !strings.Contains(resp.Attempts[0].Error.Message, "cooling down") {
		t.Errorf("attempts = %v", resp.Attempts)
	}
	// After the cooldown, a is tried again.
	clockOf(opts).Sleep(context.Background(), 31*time.Second)
	p.script("a", text("back"))
	resp, err = Call(context.Background(), "fake/a", hi, opts...)
	if err != nil || resp.Model != "fake/a" {
		t.Fatalf("after cooldown: %v, %v", resp, err)
	}
}

func TestCooldownNeverFailsACallWithoutTrying(t *testing.T) {
	p, opts := newFake(t)
	opts = append(opts, WithMaxRetries(0))
	p.script("a", fail(KindServer, 500), text("recovered"))
	if _, err := Call(context.Background(), "fake/a", hi, opts...); err == nil {
		t.Fatal("want failure")
	}
	resp, err := Call(context.Background(), "fake/a", hi, opts...)
	if err != nil || resp.Text() != "recovered" {
		t.Fatalf("got %v, %v", resp, err)
	}
}

func TestAttemptTimeout(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{chunks: chunks("never"), tail: errStall}, text("ok"))
	// A plain call of a stalling step: the fake's Complete does not block,
	// so use a stream, whose stall detection is the attempt timeout.
	sr, err := Stream(context.Background(), "fake/m", hi, append(opts, WithRetry(RetryPolicy{AttemptTimeout: 500 * time.Millisecond}))...)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for s, err := range sr.TextStream() {
		if err != nil {
			t.Fatal(err)
		}
		got.WriteString(s)
	}
	if got.String() != "neverok" {
		t.Errorf("text = %q", got.String())
	}
	at := sr.Attempts()
	if len(at) != 1 || at[0].Error.Kind != KindTimeout {
		t.Errorf("attempts = %v", at)
	}
}

func TestOverallDeadline(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", fail(KindServer, 500))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Call(ctx, "fake/m", hi, opts...)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled in chain", err)
	}
}

func TestContextModelOverride(t *testing.T) {
	p, opts := newFake(t)
	p.script("x", text("from x"))
	p.script("y", text("from y"), text("again y"))
	resp, err := Call(context.Background(), "fake/x", hi, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := UseModel(context.Background(), "fake/y")
	next, err := resp.Resume(ctx, Text("more"))
	if err != nil {
		t.Fatal(err)
	}
	if next.Model != "fake/y" || next.Text() != "from y" {
		t.Errorf("resume answered by %s: %q", next.Model, next.Text())
	}
	direct, err := Call(ctx, "fake/x", hi, opts...)
	if err != nil || direct.Model != "fake/y" {
		t.Errorf("call under override: %v %v", direct, err)
	}
	last := p.sent()[1]
	wantMsgs := []string{"user:hi", "assistant:from x", "user:more"}
	if diff := cmp.Diff(wantMsgs, roles(last.Messages)); diff != "" {
		t.Errorf("resume messages (-want +got):\n%s", diff)
	}
}

func roles(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Role)+":"+m.Text())
	}
	return out
}

func TestStrategyDecides(t *testing.T) {
	p, opts := newFake(t)
	p.script("a", fail(KindServer, 500))
	p.script("b", text("b"))
	st := strategyFunc(func(s RetryState) (Decision, error) {
		return Decision{Action: ActionFallback, Model: "fake/b"}, nil
	})
	resp, err := Call(context.Background(), "fake/a", hi, append(opts, WithFallbacks("fake/b"), WithRetryStrategy(st))...)
	if err != nil || resp.Model != "fake/b" {
		t.Fatalf("got %v, %v", resp, err)
	}
	if len(p.sent()) != 2 {
		t.Errorf("requests = %d", len(p.sent()))
	}
}

func TestBrokenStrategyFallsBackToPolicy(t *testing.T) {
	p, opts := newFake(t)
	p.script("a", fail(KindRateLimit, 429), text("ok"))
	st := strategyFunc(func(RetryState) (Decision, error) { return Decision{}, errors.New("plugin trapped") })
	if _, err := Call(context.Background(), "fake/a", hi, append(opts, WithRetryStrategy(st))...); err != nil {
		t.Fatal(err)
	}
}

type strategyFunc func(RetryState) (Decision, error)

func (f strategyFunc) Decide(_ context.Context, s RetryState) (Decision, error) { return f(s) }

func TestMalformedModelID(t *testing.T) {
	_, err := Call(context.Background(), "gpt-4o", hi)
	if KindOf(err) != KindNoProvider || !strings.Contains(err.Error(), "provider/model") {
		t.Errorf("err = %v", err)
	}
}

func TestUnknownProviderNamesTheFix(t *testing.T) {
	_, err := Call(context.Background(), "nosuch/m", hi)
	if KindOf(err) != KindNoProvider || !strings.Contains(err.Error(), "providers/all") {
		t.Errorf("err = %v", err)
	}
}
