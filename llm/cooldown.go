package llm

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
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
// A cooldown belongs to one way of reaching a model: the provider, the
// endpoint's base URL, the API key and the model id. One tenant's 429 on
// its own key (or its own server) says nothing about another tenant's key,
// so it never makes another tenant skip the model. The key is kept only as
// a SHA-256 digest, never as itself. Calls that leave the endpoint to the
// environment (no WithEndpoint) share the entry of the zero Endpoint, as
// they share the environment.
//
// The table holds an entry per failing (endpoint, key, model) only while
// it cools down: expired entries are swept as new ones arrive, so a
// process serving many tenants keeps at most about twice the entries that
// failed within one Cooldown.
//
// Calls share one process-wide Cooldowns unless WithCooldowns gives them
// their own. The zero value is an empty table, ready to use.
type Cooldowns struct {
	mu      sync.Mutex
	state   map[cooldownKey]cooldown
	sweepAt int // sweep expired entries when the table reaches this size
}

// cooldownKey says which way of reaching a model an entry is about.
type cooldownKey struct {
	provider string
	baseURL  string
	keyHash  string // hex SHA-256 of the API key; "" for no explicit key
	model    string // the model id, "provider/model"
}

// minSweep is the table size below which expired entries are left alone:
// sweeping a small table saves nothing.
const minSweep = 64

func keyOf(model string, ep Endpoint) cooldownKey {
	prov, _, _ := strings.Cut(model, "/")
	k := cooldownKey{provider: prov, baseURL: strings.TrimRight(strings.TrimSpace(ep.BaseURL), "/"), model: model}
	if key := strings.TrimSpace(ep.APIKey); key != "" {
		sum := sha256.Sum256([]byte(key))
		k.keyHash = hex.EncodeToString(sum[:])
	}
	return k
}

type cooldown struct {
	until time.Time
	err   *Error
}

// NewCooldowns returns an empty cooldown table. It is the same as
// new(Cooldowns).
func NewCooldowns() *Cooldowns { return &Cooldowns{} }

var processCooldowns = NewCooldowns()

// Until returns when model's cooldown ends for calls that reach it through
// ep (the Endpoint given to WithEndpoint for the model's provider, the zero
// Endpoint for the provider's defaults), and the failure that caused it; ok
// is false if it is not cooling down at now.
func (c *Cooldowns) Until(model string, ep Endpoint, now time.Time) (until time.Time, cause *Error, ok bool) {
	k := keyOf(model, ep)
	c.mu.Lock()
	defer c.mu.Unlock()
	s, found := c.state[k]
	if !found || !now.Before(s.until) {
		return time.Time{}, nil, false
	}
	return s.until, s.err, true
}

func (c *Cooldowns) fail(model string, ep Endpoint, now, until time.Time, err *Error) {
	k := keyOf(model, ep)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil {
		c.state = map[cooldownKey]cooldown{}
	}
	if len(c.state) >= max(c.sweepAt, minSweep) {
		for k, s := range c.state {
			if !now.Before(s.until) {
				delete(c.state, k)
			}
		}
		// Sweep again when the live entries have doubled, so the work of
		// sweeping is spread over the entries added.
		c.sweepAt = 2 * len(c.state)
	}
	c.state[k] = cooldown{until: until, err: err}
}

func (c *Cooldowns) succeed(model string, ep Endpoint) {
	k := keyOf(model, ep)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.state, k)
}
