package llm

import (
	"net/http"
	"slices"
)

// Option configures a call. Options given to Call or Stream are kept by the
// Response, so Resume continues with the same tools, format, retry policy
// and endpoints.
type Option func(*settings)

type settings struct {
	params     Params
	retry      RetryPolicy
	strategy   RetryStrategy
	fallbacks  []string
	endpoints  map[string]Endpoint
	httpClient *http.Client
	clock      Clock
	cooldowns  *Cooldowns
	observers  []func(Event)

	tools        []Tool
	format       *Format
	parseRetries int
	maxSteps     int
	maxFailures  int
	toolLoop     bool
	toolLimits   toolLimits // see tooloptions.go
}

func newSettings(opts []Option) *settings {
	s := &settings{clock: systemClock{}, cooldowns: processCooldowns, parseRetries: 2, maxSteps: 10, maxFailures: 3}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *settings) clone() *settings {
	c := *s
	c.fallbacks = slices.Clone(s.fallbacks)
	c.tools = slices.Clone(s.tools)
	c.observers = slices.Clone(s.observers)
	return &c
}

// WithRetry sets the retry policy. See RetryPolicy for its defaults.
func WithRetry(p RetryPolicy) Option { return func(s *settings) { s.retry = p } }

// WithMaxRetries sets the retries per model, keeping the rest of the policy.
// n = 0 means none.
func WithMaxRetries(n int) Option {
	if n <= 0 {
		n = NoRetries
	}
	return func(s *settings) { s.retry.MaxRetries = n }
}

// WithRetryStrategy hands retry decisions to st, such as a retry-strategy
// plugin. The RetryPolicy still sets timeouts and cooldowns, decides
// whenever st fails, and bounds whatever st answers: at most MaxRetries
// retries per model, every wait within [MinDelay, MaxDelay]. See
// RetryStrategy.
func WithRetryStrategy(st RetryStrategy) Option { return func(s *settings) { s.strategy = st } }

// WithFallbacks names models to try, in order, when the model of the call
// has used up its retries. Each gets its own retry budget; switching has no
// delay.
func WithFallbacks(models ...string) Option {
	return func(s *settings) { s.fallbacks = append(s.fallbacks, models...) }
}

// WithEndpoint overrides the base URL and/or key of one provider, by its
// registered name ("openai", "ollama", ...). Empty fields keep what an
// earlier WithEndpoint set, else the provider's default.
func WithEndpoint(provider string, e Endpoint) Option {
	return func(s *settings) {
		m := make(map[string]Endpoint, len(s.endpoints)+1)
		for k, v := range s.endpoints {
			m[k] = v
		}
		// The option may be applied by many calls at once: fill a copy of
		// e, never e itself.
		ep, old := e, m[provider]
		if ep.BaseURL == "" {
			ep.BaseURL = old.BaseURL
		}
		if ep.APIKey == "" {
			ep.APIKey = old.APIKey
		}
		m[provider] = ep
		s.endpoints = m
	}
}

// WithHTTPClient sets the HTTP client providers use; middleware goes in its
// Transport, as with any net/http client.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.httpClient = c } }

// WithClock replaces the engine's clock, for tests that check delays.
func WithClock(c Clock) Option { return func(s *settings) { s.clock = c } }

// WithCooldowns gives calls their own cooldown table instead of the
// process-wide one; nil means the process-wide one. RetryPolicy.Cooldown
// turns cooldowns off.
func WithCooldowns(c *Cooldowns) Option {
	return func(s *settings) {
		if c == nil {
			c = processCooldowns
		}
		s.cooldowns = c
	}
}

// WithObserver calls f for every event of a call: each attempt, each
// failure and the decision taken on it. f must be quick; it runs on the
// calling goroutine (a stream's reader's), with no lock of the engine held,
// so it may call the Stream's methods. A panic in f is not recovered: like
// a panic in the caller's own code, it reaches the caller of Call, or the
// reader of the stream.
func WithObserver(f func(Event)) Option {
	return func(s *settings) { s.observers = append(s.observers, f) }
}

func (s *settings) emit(e Event) {
	for _, f := range s.observers {
		f(e)
	}
}

// EventType names what happened in an Event.
type EventType string

const (
	EventAttempt  EventType = "attempt" // a request is about to be sent
	EventFailure  EventType = "failure" // an attempt failed; Decision says what comes next
	EventSkip     EventType = "skip"    // a model in cooldown was skipped
	EventResume   EventType = "resume"  // a stream that failed after content is being resumed
	EventSuccess  EventType = "success" // an attempt succeeded
	EventParse    EventType = "parse"   // an answer failed to parse; the model is asked again
	EventToolCall EventType = "tool"    // a tool ran; Output holds what it returned
)

// Event is one step of a call, for logging and narration.
type Event struct {
	Type     EventType
	Model    string
	Attempt  int // on this model, 1-based
	Err      error
	Decision Decision
	Output   *ToolOutput
}
