package llm

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// NoRetries, as RetryPolicy.MaxRetries, makes one attempt per model.
const NoRetries = -1

// DefaultRetryKinds are the kinds retried unless a policy says otherwise:
// the failures that a later attempt can cure.
var DefaultRetryKinds = []Kind{KindRateLimit, KindServer, KindTimeout, KindConnection}

// RetryPolicy says which failures are retried, how often and how long to
// wait. Zero fields take the defaults noted on each, so RetryPolicy{} is the
// default policy and RetryPolicy{MaxRetries: 5} changes one thing only.
type RetryPolicy struct {
	// MaxRetries is the number of retries per model after the first
	// attempt: 0 means 3, NoRetries means none.
	MaxRetries int

	// RetryOn lists the kinds to retry; nil means DefaultRetryKinds.
	// authentication, permission, bad_request and not_found are never
	// retried unless listed here.
	RetryOn []Kind

	// Backoff: the n-th retry waits InitialDelay * Multiplier^(n-1), at most
	// MaxDelay, spread by ±Jitter (a fraction) and kept within
	// [MinDelay, MaxDelay]. Defaults: 500ms, 2, 60s, 0.2. A negative Jitter
	// turns it off.
	InitialDelay time.Duration
	Multiplier   float64
	MaxDelay     time.Duration
	Jitter       float64

	// MinDelay is the shortest wait before any retry, whoever chose it: the
	// backoff, a Retry-After, or a RetryStrategy answering 0 or a negative
	// delay. It keeps a buggy strategy from hammering a provider that is
	// already failing. 0 means 100ms, or InitialDelay when that is shorter,
	// so the floor never lengthens the built-in backoff's first wait; a
	// negative value turns the floor off. It is never above MaxDelay.
	MinDelay time.Duration

	// IgnoreRetryAfter stops the engine from waiting what the provider asked
	// for (Retry-After, retry-after-ms). By default it waits exactly that,
	// within [MinDelay, MaxDelay].
	IgnoreRetryAfter bool

	// AttemptTimeout bounds each attempt; 0 means no bound beyond the
	// context's. For a stream it bounds the wait for each chunk, so a stall
	// is caught however long the answer is.
	AttemptTimeout time.Duration

	// Cooldown is how long a model that used up its whole retry budget on
	// retryable failures is skipped by later calls of the process that have
	// another model to try. 0 means 30s; a negative value turns it off.
	Cooldown time.Duration
}

// DefaultRetryPolicy returns the default policy with every field filled in.
func DefaultRetryPolicy() RetryPolicy { return RetryPolicy{}.normalized() }

// normalized fills in the defaults. It is idempotent: "off" settings stay
// negative, and the code that reads them treats negative as none.
func (p RetryPolicy) normalized() RetryPolicy {
	if p.MaxRetries == 0 {
		p.MaxRetries = 3
	}
	if p.RetryOn == nil {
		p.RetryOn = DefaultRetryKinds
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = 500 * time.Millisecond
	}
	if p.Multiplier <= 0 {
		p.Multiplier = 2
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 60 * time.Second
	}
	if p.Jitter == 0 {
		p.Jitter = 0.2
	}
	if p.MinDelay == 0 {
		p.MinDelay = min(100*time.Millisecond, p.InitialDelay)
	}
	p.MinDelay = min(p.MinDelay, p.MaxDelay)
	if p.Cooldown == 0 {
		p.Cooldown = 30 * time.Second
	}
	return p
}

// Retries reports whether the policy retries failures of kind k.
func (p RetryPolicy) Retries(k Kind) bool {
	return slices.Contains(p.normalized().RetryOn, k)
}

// Delay returns how long to wait before retry number n (1-based) after err.
// A Retry-After from the provider wins over the backoff. Either way the
// wait is within [MinDelay, MaxDelay], for any n: the backoff is computed
// in floating point and capped before it becomes a time.Duration, so a
// large n cannot overflow into a negative (or zero) wait.
func (p RetryPolicy) Delay(n int, err *Error) time.Duration {
	p = p.normalized()
	if err != nil && err.RetryAfter > 0 && !p.IgnoreRetryAfter {
		return p.clamp(err.RetryAfter)
	}
	// Multiplier^(n-1) is +Inf for a large n (or NaN for odd inputs); both
	// fail the comparison below and take the cap.
	d := float64(p.InitialDelay) * math.Pow(p.Multiplier, float64(max(n, 1)-1))
	if !(d < float64(p.MaxDelay)) {
		d = float64(p.MaxDelay)
	}
	if p.Jitter > 0 {
		d *= 1 + p.Jitter*(2*rand.Float64()-1)
	}
	// A Jitter above 1 can take d below zero, a huge one to ±Inf: bound d
	// in float, where nothing overflows, and convert only what fits.
	switch {
	case !(d < float64(p.MaxDelay)):
		return p.MaxDelay
	case d < 0:
		return p.clamp(0)
	}
	return p.clamp(time.Duration(d))
}

// clamp keeps a wait within [MinDelay, MaxDelay] of a normalized policy. A
// negative MinDelay (the floor turned off) still allows no negative wait.
func (p RetryPolicy) clamp(d time.Duration) time.Duration {
	return min(max(d, p.MinDelay, 0), p.MaxDelay)
}

// Decide implements RetryStrategy: retry a retryable failure until the
// model's budget is spent, then fall back to the next model, then fail.
func (p RetryPolicy) Decide(_ context.Context, s RetryState) (Decision, error) {
	p = p.normalized()
	switch {
	case s.Err == nil || !p.Retries(s.Err.Kind):
		return Decision{Action: ActionFail}, nil
	case s.Attempt <= max(p.MaxRetries, 0):
		return Decision{Action: ActionRetry, Delay: p.Delay(s.Attempt, s.Err)}, nil
	case len(s.Fallbacks) > 0:
		return Decision{Action: ActionFallback, Model: s.Fallbacks[0]}, nil
	}
	return Decision{Action: ActionFail}, nil
}

// RetryStrategy decides what happens after a failed attempt. RetryPolicy is
// the built-in one; a retry-strategy plugin is another. When a strategy
// returns an error, or panics, the engine falls back to the call's
// RetryPolicy for that decision: a broken strategy must not break the call.
// Decide gets the call's context and runs on a goroutine of its own; one
// still deciding when the context ends is not waited for: the call ends
// then, as it would in a backoff, and the strategy's late answer is
// dropped.
//
// Every strategy is bounded by the call's RetryPolicy, whatever it answers,
// because a strategy is code the engine does not trust to end (a plugin, a
// bug): a model is retried at most MaxRetries times, after which a retry
// becomes a move to the next fallback, or the end of the call; every wait
// is kept within [MinDelay, MaxDelay]; a fallback goes to a model still
// ahead in the call's order (another one means the next), so each model
// is tried at most once per call and a call makes at most
// (MaxRetries+1) attempts per model.
type RetryStrategy interface {
	Decide(ctx context.Context, s RetryState) (Decision, error)
}

// RetryState is what a RetryStrategy decides on.
type RetryState struct {
	Attempt   int           // failed attempts on this model so far, 1 for the first
	Elapsed   time.Duration // since the call began
	Model     string        // the model that failed
	Fallbacks []string      // models still to try after this one, in order
	Err       *Error        // how it failed
}

// Action is a RetryStrategy's verdict.
type Action string

const (
	ActionRetry    Action = "retry"    // try the same model again after Delay, within the model's budget
	ActionFallback Action = "fallback" // move to Model, or the next fallback; no delay
	ActionFail     Action = "fail"     // give up and return the error
)

// Decision is what to do after a failed attempt.
type Decision struct {
	Action Action
	Delay  time.Duration // for ActionRetry; kept within [MinDelay, MaxDelay]
	Model  string        // for ActionFallback: which of the fallbacks (default: the next)
}

// Clock is the engine's view of time, replaceable so that tests can check
// delays without waiting for them.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx is done, in which case it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
