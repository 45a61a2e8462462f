package scenario

import (
	"context"
	"errors"
	"time"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

// Retry is "retrying calls": the provider answers 429 with Retry-After,
// the engine waits exactly that long and asks again.
var Retry = Scenario{
	Name:  "retry",
	Title: "Rate limit, then success",
	Stage: func(s *faultserver.Server, env Env) {
		s.Script(bare(env.Model), faultserver.RateLimit(time.Second), faultserver.Text("4200 + 42 = 4242."))
	},
	Run: func(ctx context.Context, env Env) error {
		// The default policy retries rate_limit, server, timeout and
		// connection errors 3 times, with backoff, honouring Retry-After.
		resp, err := llm.Call(ctx, env.Model, []llm.Message{llm.User("What is 4200 + 42?")}, env.opts()...)
		if err != nil {
			return err
		}
		env.say("answer: %s", resp.Text())
		env.say("failed attempts before it: %d", len(resp.Attempts))
		return nil
	},
	Check: func(sent func(string) []faultserver.Request, env Env) error {
		reqs := sent(bare(env.Model))
		if err := expect(len(reqs) == 2, "want 2 requests (429, then the retry), got %d", len(reqs)); err != nil {
			return err
		}
		gap := reqs[1].Time.Sub(reqs[0].Time)
		return expect(gap >= time.Second, "the retry came %s after the 429, before Retry-After (1s)", gap)
	},
}

// RetrySpecific is "retrying only specific errors": an authentication
// failure is not one a retry can cure, so it is sent once and reported.
var RetrySpecific = Scenario{
	Name:  "retry-specific",
	Title: "Authentication error, not retried",
	Stage: func(s *faultserver.Server, env Env) {
		s.Script(bare(env.Model), faultserver.Fail(401))
	},
	Run: func(ctx context.Context, env Env) error {
		provider, _, _ := llm.SplitModel(env.Model)
		policy := llm.RetryPolicy{
			MaxRetries: 5,
			RetryOn:    []llm.Kind{llm.KindRateLimit, llm.KindServer},
		}
		_, err := llm.Call(ctx, env.Model, []llm.Message{llm.User("Hello?")},
			env.opts(llm.WithRetry(policy), llm.WithEndpoint(provider, llm.Endpoint{APIKey: "sk-invalid-on-purpose"}))...)
		var ae *llm.AuthenticationError
		if !errors.As(err, &ae) {
			return expect(false, "want an authentication error, got %v", err)
		}
		env.say("reported at once: %s (HTTP %d): %s", ae.Kind, ae.Status, ae.Message)
		return nil
	},
	Check: func(sent func(string) []faultserver.Request, env Env) error {
		n := len(sent(bare(env.Model)))
		return expect(n == 1, "an authentication error must be sent once, was sent %d times", n)
	},
}

// Fallback is "provider fallbacks": the primary stays down, so after its
// retries the engine moves, at once, to a model of another provider.
var Fallback = Scenario{
	Name:  "fallback",
	Title: "Provider down, then fallback",
	Stage: func(s *faultserver.Server, env Env) {
		s.Script(bare(env.Model), faultserver.Always(faultserver.Fail(503)))
		s.Script(bare(env.Fallback), faultserver.Text("Bonjour ! (from the fallback model)"))
	},
	Run: func(ctx context.Context, env Env) error {
		resp, err := llm.Call(ctx, env.Model, []llm.Message{llm.User("Say hello in French.")},
			env.opts(llm.WithMaxRetries(1), llm.WithFallbacks(env.Fallback))...)
		if err != nil {
			return err
		}
		env.say("answered by %s: %s", resp.Model, resp.Text())
		for _, a := range resp.Attempts {
			env.say("failed attempt: %s", a)
		}
		return nil
	},
	Check: func(sent func(string) []faultserver.Request, env Env) error {
		p, f := len(sent(bare(env.Model))), len(sent(bare(env.Fallback)))
		return expect(p == 2 && f == 1, "want 2 requests to the primary and 1 to the fallback, got %d and %d", p, f)
	},
}
