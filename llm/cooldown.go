package llm

import (
	"sync"
	"time"
)

// Cooldowns remembers models that kept failing, so that later calls skip
// them for a while instead of spending their whole retry budget again on a
// provider that is down.
//
// The policy: a model enters cooldown when a call used up its whole retry
// budget on it with retryable failures. For RetryPolicy.Cooldown (30s by
// default) after that, calls that have another model to try skip it, and
// record the skip among their attempts. A call whose every model is cooling
// down tries them anyway: a call never fails without asking. Any success
// ends a model's cooldown at once.
//
// Calls share one process-wide Cooldowns unless WithCooldowns gives them
// their own.
type Cooldowns struct {
	mu    sync.Mutex
	state map[string]cooldown
}

type cooldown struct {
	until time.Time
	err   *Error
}

// NewCooldowns returns an empty cooldown table.
func NewCooldowns() *Cooldowns { return &Cooldowns{state: map[string]cooldown{}} }

var processCooldowns = NewCooldowns()

// Until returns when model's cooldown ends, and the failure that caused it;
// ok is false if the model is not cooling down at now.
func (c *Cooldowns) Until(model string, now time.Time) (until time.Time, cause *Error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, found := c.state[model]
	if !found || !now.Before(s.until) {
		return time.Time{}, nil, false
	}
	return s.until, s.err, true
}

func (c *Cooldowns) fail(model string, until time.Time, err *Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state[model] = cooldown{until: until, err: err}
}

func (c *Cooldowns) succeed(model string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.state, model)
}
