package llm

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"
)

// target is one model of a call, resolved to the provider that serves it.
type target struct {
	id       string // "openai/gpt-4o-mini"
	provider string // "openai"
	model    string // "gpt-4o-mini"
	p        Provider
}

func (s *settings) resolve(id string) (target, error) {
	prov, model, err := SplitModel(id)
	if err != nil {
		return target{}, err
	}
	ep := s.endpoints[prov]
	p, err := openProvider(Config{Provider: prov, BaseURL: ep.BaseURL, APIKey: ep.APIKey, HTTPClient: s.httpClient})
	if err != nil {
		// The driver's error may be a shared value: describe this model on
		// a copy.
		var e *Error
		if errors.As(err, &e) {
			cp := *e
			e = &cp
		} else {
			e = &Error{Kind: KindNoProvider, Message: err.Error(), Err: err}
		}
		e.Provider, e.Model = prov, id
		return target{}, e
	}
	return target{id: id, provider: prov, model: model, p: p}, nil
}

// endpoint returns the endpoint the call set for model id's provider; the
// zero Endpoint means the provider's defaults.
func (s *settings) endpoint(id string) Endpoint {
	prov, _, _ := SplitModel(id)
	return s.endpoints[prov]
}

// models returns the call's models in the order they are tried.
func (s *settings) models(primary string) []string {
	ms := []string{primary}
	for _, f := range s.fallbacks {
		if !slices.Contains(ms, f) {
			ms = append(ms, f)
		}
	}
	return ms
}

// run makes attempts with try until one succeeds or the retry strategy
// gives up, moving through the call's models as it says. It returns the
// target that succeeded and every failed attempt before it. However the
// strategy answers, decide holds it to the policy, so a call makes at most
// MaxRetries+1 attempts on each of its models, each model in its turn.
//
// try reports failures as errors; run classifies them, so a provider that
// returned a bare network error still yields an *Error of the right kind.
//
// For a stream, try does its own timing (a stall is a gap between chunks,
// not a long answer), so the attempt timeout is not applied here.
func (s *settings) run(ctx context.Context, primary string, streaming bool, try func(context.Context, target) error) (target, []Attempt, error) {
	policy := s.retry.normalized()
	models := s.models(primary)
	start := s.clock.Now()
	var attempts []Attempt

	// Models cooling down are moved out of the way, unless all of them are.
	order := make([]string, 0, len(models))
	var cooling []string
	for _, m := range models {
		if until, cause, ok := s.cooldowns.Until(m, s.endpoint(m), start); ok && policy.Cooldown > 0 {
			cooling = append(cooling, m)
			skip := &Error{Kind: cause.Kind, Provider: cause.Provider, Model: m, Status: cause.Status,
				Message: fmt.Sprintf("skipped: cooling down until %s after repeated failures (%s)", until.Format(time.TimeOnly), cause.Message), Err: cause}
			attempts = append(attempts, Attempt{Model: m, Error: skip})
			s.emit(Event{Type: EventSkip, Model: m, Err: skip})
			continue
		}
		order = append(order, m)
	}
	if len(order) == 0 {
		order, attempts = cooling, nil
	}

	for i := 0; i < len(order); {
		id := order[i]
		n := 0
		for {
			n++
			t, err := s.attempt(ctx, id, n, policy, streaming, try)
			if err == errStopped {
				return t, attempts, err
			}
			if err == nil {
				s.cooldowns.succeed(id, s.endpoint(id))
				s.emit(Event{Type: EventSuccess, Model: id, Attempt: n})
				return t, attempts, nil
			}
			attempts = append(attempts, Attempt{Model: id, Error: err})
			if ctx.Err() != nil {
				return target{}, attempts, s.interrupted(ctx, err, attempts)
			}

			dec, capped := s.decide(ctx, RetryState{Attempt: n, Elapsed: s.clock.Now().Sub(start), Model: id, Fallbacks: order[i+1:], Err: err}, policy)
			if ctx.Err() != nil {
				// The context ended while the strategy decided.
				return target{}, attempts, s.interrupted(ctx, err, attempts)
			}
			s.emit(Event{Type: EventFailure, Model: id, Attempt: n, Err: err, Decision: dec})
			switch dec.Action {
			case ActionRetry:
				if err := s.clock.Sleep(ctx, dec.Delay); err != nil {
					return target{}, attempts, s.interrupted(ctx, attempts[len(attempts)-1].Error, attempts)
				}
				continue
			case ActionFallback:
				if policy.Retries(err.Kind) && policy.Cooldown > 0 {
					now := s.clock.Now()
					s.cooldowns.fail(id, s.endpoint(id), now, now.Add(policy.Cooldown), err)
				}
				// decide names a model ahead of this one (the next, should
				// it not), so i only grows and each model is tried once.
				i += 1 + max(slices.Index(order[i+1:], dec.Model), 0)
			default:
				if policy.Retries(err.Kind) && policy.Cooldown > 0 && n > max(policy.MaxRetries, 0) {
					now := s.clock.Now()
					s.cooldowns.fail(id, s.endpoint(id), now, now.Add(policy.Cooldown), err)
				}
				if capped {
					return target{}, attempts, s.spent(err, attempts, policy)
				}
				return target{}, attempts, s.failure(err, attempts, policy)
			}
			break
		}
	}
	last := attempts[len(attempts)-1].Error
	return target{}, attempts, s.failure(last, attempts, policy)
}

// attempt makes one try on model id, bounded by the policy's attempt
// timeout, and returns its failure as an *Error.
func (s *settings) attempt(ctx context.Context, id string, n int, policy RetryPolicy, streaming bool, try func(context.Context, target) error) (target, *Error) {
	t, err := s.resolve(id)
	if err != nil {
		return t, err.(*Error)
	}
	s.emit(Event{Type: EventAttempt, Model: id, Attempt: n})
	actx, cancel := ctx, context.CancelFunc(func() {})
	if policy.AttemptTimeout > 0 && !streaming {
		actx, cancel = context.WithTimeoutCause(ctx, policy.AttemptTimeout, errAttemptTimeout)
	}
	defer cancel()
	err = try(actx, t)
	if err == nil {
		return t, nil
	}
	if err == error(errStopped) {
		return t, errStopped
	}
	e := classify(t, err)
	if ctx.Err() == nil && context.Cause(actx) == errAttemptTimeout {
		e = &Error{Kind: KindTimeout, Provider: t.provider, Model: id,
			Message: fmt.Sprintf("attempt took longer than %s", policy.AttemptTimeout), Err: err}
	}
	return t, e
}

var errAttemptTimeout = errors.New("llm: attempt timeout")

// classify makes err an *Error about t. It never writes to an *Error it
// did not make: a provider may return one error value from many calls at
// once (a sentinel, a cached failure), so the model is set on a copy.
func classify(t target, err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		e = TransportError(t.provider, t.id, err)
	}
	cp := *e
	if cp.Provider == "" {
		cp.Provider = t.provider
	}
	cp.Model = t.id
	return &cp
}

// decide asks the call's strategy, falling back to the policy when there is
// none or it fails, and then holds the answer to the policy's budget,
// whatever the strategy said: a retry past MaxRetries becomes a fallback,
// or a failure when there is no model left (capped reports that case, so
// the error can name the limit); a retry's delay is kept within [MinDelay,
// MaxDelay]; a fallback names a model still ahead, the next one unless the
// strategy named another of them. The decision returned is the one the
// engine carries out, and the one observers see.
func (s *settings) decide(ctx context.Context, st RetryState, policy RetryPolicy) (dec Decision, capped bool) {
	// Configuration failures are about this model only and sent nothing:
	// move on if there is somewhere to go, never retry.
	if st.Err.Kind == KindMissingAPIKey || st.Err.Kind == KindNoProvider {
		if len(st.Fallbacks) > 0 {
			return Decision{Action: ActionFallback, Model: st.Fallbacks[0]}, false
		}
		return Decision{Action: ActionFail}, false
	}
	var err error = errNoStrategy
	if s.strategy != nil {
		// The strategy gets its own copies: what it does to them must not
		// change the order the engine holds it to, nor the attempts.
		view, cause := st, *st.Err
		view.Fallbacks, view.Err = slices.Clone(st.Fallbacks), &cause
		dec, err = s.ask(ctx, view)
	}
	if err != nil {
		dec, _ = policy.Decide(ctx, st)
	}
	if dec.Action == ActionRetry && st.Attempt > max(policy.MaxRetries, 0) {
		dec, capped = Decision{Action: ActionFallback}, true
	}
	switch dec.Action {
	case ActionRetry:
		return Decision{Action: ActionRetry, Delay: policy.clamp(dec.Delay)}, false
	case ActionFallback:
		if len(st.Fallbacks) == 0 {
			return Decision{Action: ActionFail}, capped
		}
		if !slices.Contains(st.Fallbacks, dec.Model) {
			dec.Model = st.Fallbacks[0]
		}
		return Decision{Action: ActionFallback, Model: dec.Model}, false
	}
	return Decision{Action: ActionFail}, false
}

var errNoStrategy = errors.New("no strategy")

// ask runs the call's strategy on a goroutine of its own, so that neither
// its panic nor its blocking can break the call: a panic (or
// runtime.Goexit) is an error, which makes the policy decide; a strategy
// that has not answered when ctx ends is left behind, and the call ends
// with ctx as it would in a backoff. Its goroutine runs on until Decide
// returns, and its answer is dropped.
func (s *settings) ask(ctx context.Context, st RetryState) (Decision, error) {
	type answer struct {
		dec Decision
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		returned := false
		defer func() {
			if !returned {
				p := recover()
				ch <- answer{err: &PanicError{Value: p, Stack: debug.Stack()}}
			}
		}()
		dec, err := s.strategy.Decide(ctx, st)
		returned = true
		ch <- answer{dec, err}
	}()
	select {
	case a := <-ch:
		return a.dec, a.err
	case <-ctx.Done():
		return Decision{Action: ActionFail}, ctx.Err()
	}
}

// failure is the error a call returns when it gives up after attempts.
// Running out of retries on retryable failures is KindRetriesExhausted; a
// failure that is not retried is returned as itself, with the attempts
// before it.
func (s *settings) failure(last *Error, attempts []Attempt, policy RetryPolicy) error {
	if policy.Retries(last.Kind) && len(attempts) > 1 {
		return &Error{Kind: KindRetriesExhausted, Provider: last.Provider, Model: last.Model, Status: last.Status,
			RetryAfter: last.RetryAfter,
			Message:    fmt.Sprintf("%d attempts failed; last: %s", len(attempts), last.Message),
			Attempts:   attempts, Err: last}
	}
	out := *last
	out.Attempts = attempts[:len(attempts)-1]
	return &out
}

// spent is the error of a call whose strategy still asked to retry when the
// last model's budget was spent: the engine stopped it, and says by which
// limit.
func (s *settings) spent(last *Error, attempts []Attempt, policy RetryPolicy) error {
	n := 0
	for _, a := range attempts {
		if a.Model == last.Model {
			n++
		}
	}
	return &Error{Kind: KindRetriesExhausted, Provider: last.Provider, Model: last.Model, Status: last.Status,
		RetryAfter: last.RetryAfter,
		Message: fmt.Sprintf("%d attempts failed; the retry strategy asked for another, but %s has had its %d retries "+
			"(RetryPolicy.MaxRetries bounds every strategy; raise it with WithRetry or WithMaxRetries); last: %s",
			len(attempts), last.Model, n-1, last.Message),
		Attempts: attempts, Err: last}
}

// interrupted is the error of a call whose context ended: a passed deadline
// is KindTimeout; a cancellation keeps the last failure and wraps
// context.Canceled.
func (s *settings) interrupted(ctx context.Context, last *Error, attempts []Attempt) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Provider: last.Provider, Model: last.Model,
			Message: fmt.Sprintf("the call's deadline passed after %d attempts", len(attempts)), Attempts: attempts,
			Err: errors.Join(ctx.Err(), last)}
	}
	out := *last
	out.Attempts = attempts
	out.Err = errors.Join(ctx.Err(), last.Err)
	return &out
}
