package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// instance is one instantiation of a plugin, driven through one ABI. It is
// used by one goroutine at a time: the pool hands it out exclusively.
type instance interface {
	// call runs export fn on input. Errors are *Error without Plugin and
	// Function, which the caller fills in.
	call(ctx context.Context, fn string, input []byte, timeout time.Duration) ([]byte, *Error)
	// broken reports that the instance trapped, timed out, exited or ran
	// out of memory: its state is unknown and it must never run again.
	broken() bool
	close(ctx context.Context)
}

// pool keeps a plugin's idle instances. Each call takes one for itself, so
// concurrent calls never share guest state and never wait on each other
// (unless WithMaxInstances bounds them); a broken instance is closed instead
// of being returned. Idle instances are kept LIFO: the most recently used
// one has the warmest caches.
type pool struct {
	newInstance func(context.Context) (instance, *Error)
	maxIdle     int
	slots       chan struct{} // nil: unbounded

	mu     sync.Mutex
	idle   []instance
	closed bool

	created, discarded, inUse atomic.Int64
}

func newPool(maxIdle, maxLive int, newInstance func(context.Context) (instance, *Error)) *pool {
	p := &pool{newInstance: newInstance, maxIdle: maxIdle}
	if maxLive > 0 {
		p.slots = make(chan struct{}, maxLive)
	}
	return p
}

// get returns an instance for the caller's exclusive use, creating one when
// none is idle.
func (p *pool) get(ctx context.Context) (instance, *Error) {
	if p.slots != nil {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, p.busy(ctx)
		}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.release()
		return nil, &Error{Reason: ReasonClosed, Message: "the plugin is closed"}
	}
	if n := len(p.idle); n > 0 {
		in := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		p.inUse.Add(1)
		return in, nil
	}
	p.mu.Unlock()
	in, err := p.newInstance(ctx)
	if err != nil {
		p.release()
		return nil, err
	}
	p.created.Add(1)
	p.inUse.Add(1)
	return in, nil
}

// busy is the error of a call whose context ended while every instance
// the pool may have (WithMaxInstances) was running another call: a
// deadline is ReasonTimeout, like a call stopped by its deadline, and a
// cancellation ReasonCanceled.
func (p *pool) busy(ctx context.Context) *Error {
	n := cap(p.slots)
	what := fmt.Sprintf("all %d instances", n)
	if n == 1 {
		what = "the 1 instance"
	}
	e := &Error{Reason: ReasonCanceled, Err: ctx.Err(),
		Message: fmt.Sprintf("the call was canceled while waiting for an instance: %s the plugin may have were busy (host.WithMaxInstances sets how many)", what)}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.Reason = ReasonTimeout
		e.Message = fmt.Sprintf("the call's deadline passed while it waited for an instance: %s the plugin may have were busy (host.WithMaxInstances sets how many)", what)
	}
	return e
}

// put gives back an instance obtained from get.
func (p *pool) put(in instance) {
	p.inUse.Add(-1)
	defer p.release()
	if in.broken() {
		p.discarded.Add(1)
		in.close(context.Background())
		return
	}
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, in)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	in.close(context.Background())
}

func (p *pool) release() {
	if p.slots != nil {
		<-p.slots
	}
}

// close closes the idle instances; those in use are closed when put back.
func (p *pool) close(ctx context.Context) {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, in := range idle {
		in.close(ctx)
	}
}

// Stats describes a plugin's instance pool.
type Stats struct {
	Idle      int   `json:"idle"`      // instances waiting for a call
	InUse     int   `json:"in_use"`    // instances running a call
	Created   int64 `json:"created"`   // instances created so far
	Discarded int64 `json:"discarded"` // instances closed because they broke
}

func (p *pool) stats() Stats {
	p.mu.Lock()
	idle := len(p.idle)
	p.mu.Unlock()
	return Stats{Idle: idle, InUse: int(p.inUse.Load()), Created: p.created.Load(), Discarded: p.discarded.Load()}
}
