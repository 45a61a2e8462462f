// Package clocktest is a clock for tests of the engine's waits: it sleeps
// for no time and remembers what it was asked to wait, so a test checks a
// retry's delay (Retry-After, backoff) without spending it. It satisfies
// llm.Clock.
package clocktest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a fake clock. The zero value starts at the zero time; it is safe
// for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// At returns a clock that starts at t.
func At(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time, which only Sleep moves.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and moves the clock on by it, at once. Like a real
// sleep, it returns ctx.Err() when ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// Sleeps returns every wait asked for, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}
