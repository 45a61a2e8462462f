// Command backoff is the bundled retry strategy: exponential backoff with
// jitter on the error kinds worth retrying, the provider's Retry-After when
// it gave one, and a move to the next fallback model after max_attempts
// failures (or at once, on an error that retrying cannot fix).
//
// Configuration (all optional, granted with llmhost's WithConfig):
//
//	initial_delay_ms  first delay                    500
//	multiplier        growth per attempt             2
//	max_delay_ms      cap on any delay               60000
//	max_attempts      failures per model, then move  3
//	jitter            fraction of a delay randomised 0.2
//	retry_kinds       comma-separated kinds          rate_limit,server,timeout,connection
package main

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/pdk"
)

func init() {
	pdk.Info("backoff", "1.0.0")
	pdk.Retry(func(req abi.DecideRequest) (abi.Decision, error) {
		return decide(req, settings(), rand.Float64), nil
	})
}

type policy struct {
	initial, max float64 // ms
	multiplier   float64
	maxAttempts  int
	jitter       float64
	retryable    map[string]bool
}

func settings() policy {
	p := policy{
		initial:     num("initial_delay_ms", 500),
		multiplier:  num("multiplier", 2),
		max:         num("max_delay_ms", 60000),
		maxAttempts: int(num("max_attempts", 3)),
		jitter:      math.Min(math.Max(num("jitter", 0.2), 0), 1),
		retryable:   map[string]bool{},
	}
	kinds := "rate_limit,server,timeout,connection"
	if v, ok := pdk.Config("retry_kinds"); ok {
		kinds = v
	}
	for _, k := range strings.Split(kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			p.retryable[k] = true
		}
	}
	return p
}

func num(key string, def float64) float64 {
	if v, ok := pdk.Config(key); ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
			return f
		}
	}
	return def
}

// decide is the strategy; random is injected so tests are exact.
func decide(req abi.DecideRequest, p policy, random func() float64) abi.Decision {
	next := func() abi.Decision {
		if len(req.Fallbacks) > 0 {
			// Switching model has no delay: the new model has its own budget.
			return abi.Decision{Action: abi.ActionFallback, Model: req.Fallbacks[0]}
		}
		return abi.Decision{Action: abi.ActionFail}
	}
	if !p.retryable[req.Error.Kind] || req.Attempt >= p.maxAttempts {
		return next()
	}
	if ra := req.Error.RetryAfterMS; ra > 0 {
		// The provider knows best when it will serve again; honour it,
		// within the cap, without jitter.
		return abi.Decision{Action: abi.ActionRetry, DelayMS: int64(math.Min(float64(ra), p.max))}
	}
	d := math.Min(p.initial*math.Pow(p.multiplier, float64(max(req.Attempt, 1)-1)), p.max)
	// Jitter spreads the clients that failed together: up to jitter*d
	// either way.
	d *= 1 + p.jitter*(2*random()-1)
	return abi.Decision{Action: abi.ActionRetry, DelayMS: int64(math.Round(math.Min(math.Max(d, 0), p.max)))}
}

func main() {}
