package llm

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
)

// fakeProvider is a scripted Provider: each request takes the next step of
// its model's script. It stands in for the network so the engine's logic
// can be tested in isolation; the providers' own tests replay real traffic.
type fakeProvider struct {
	mu       sync.Mutex
	scripts  map[string][]step
	requests []*Request
	streams  int
}

// step is one scripted answer: an error before anything, a completion, or a
// stream of chunks that may end in an error.
type step struct {
	err    error
	comp   *Completion
	chunks []Chunk
	tail   error // error after chunks
}

var (
	fakesMu sync.Mutex
	fakes   = map[string]*fakeProvider{}
)

func init() {
	Register("fake", DriverFunc(func(cfg Config) (Provider, error) {
		fakesMu.Lock()
		defer fakesMu.Unlock()
		p, ok := fakes[cfg.BaseURL]
		if !ok {
			return nil, &Error{Kind: KindMissingAPIKey, Provider: "fake", Message: "FAKE_API_KEY is not set"}
		}
		return p, nil
	}))
}

// newFake returns a fake provider for this test and the options that reach it.
func newFake(t *testing.T) (*fakeProvider, []Option) {
	p := &fakeProvider{scripts: map[string][]step{}}
	fakesMu.Lock()
	fakes[t.Name()] = p
	fakesMu.Unlock()
	t.Cleanup(func() {
		fakesMu.Lock()
		delete(fakes, t.Name())
		fakesMu.Unlock()
	})
	clock := clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return p, []Option{WithEndpoint("fake", Endpoint{BaseURL: t.Name()}), WithClock(clock), WithCooldowns(NewCooldowns())}
}

func (p *fakeProvider) script(model string, steps ...step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scripts[model] = append(p.scripts[model], steps...)
}

func (p *fakeProvider) next(req *Request) step {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := *req
	cp.Messages = cloneMessages(req.Messages)
	p.requests = append(p.requests, &cp)
	s := p.scripts[req.Model]
	if len(s) == 0 {
		return step{err: &Error{Kind: KindServer, Status: 500, Message: "fake: no step left for " + req.Model}}
	}
	p.scripts[req.Model] = s[1:]
	return s[0]
}

func (p *fakeProvider) sent() []*Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Request(nil), p.requests...)
}

func (p *fakeProvider) Complete(ctx context.Context, req *Request) (*Completion, error) {
	s := p.next(req)
	if s.err != nil {
		return nil, s.err
	}
	if s.comp != nil {
		return s.comp, nil
	}
	// A stream step answers a plain call with its accumulated content.
	var a accumulator
	for _, c := range s.chunks {
		a.add(c)
	}
	if s.tail != nil {
		return nil, s.tail
	}
	return &Completion{Message: a.message(false), Usage: a.usage, FinishReason: a.finish}, nil
}

func (p *fakeProvider) Stream(ctx context.Context, req *Request) (ChunkReader, error) {
	p.mu.Lock()
	p.streams++
	p.mu.Unlock()
	s := p.next(req)
	if s.err != nil {
		return nil, s.err
	}
	chunks := s.chunks
	if s.comp != nil {
		chunks = []Chunk{{Kind: ChunkText, Text: s.comp.Message.Text()}, {Kind: ChunkUsage, Usage: s.comp.Usage}}
	}
	return &fakeReader{ctx: ctx, chunks: chunks, tail: s.tail}, nil
}

type fakeReader struct {
	ctx    context.Context
	chunks []Chunk
	tail   error
}

// errStall, as a tail, makes the reader block until its context ends.
var errStall = &Error{Kind: "stall"}

func (r *fakeReader) Next() (Chunk, error) {
	// Like a real body, reading fails once the request's context is done.
	if err := r.ctx.Err(); err != nil {
		return Chunk{}, TransportError("fake", "", err)
	}
	if len(r.chunks) > 0 {
		c := r.chunks[0]
		r.chunks = r.chunks[1:]
		return c, nil
	}
	if r.tail == errStall {
		<-r.ctx.Done()
		return Chunk{}, TransportError("fake", "", r.ctx.Err())
	}
	if r.tail != nil {
		return Chunk{}, r.tail
	}
	return Chunk{}, io.EOF
}

func (r *fakeReader) Close() error { return nil }

func clockOf(opts []Option) *clocktest.Clock {
	s := newSettings(opts)
	return s.clock.(*clocktest.Clock)
}

func text(s string) step {
	return step{comp: &Completion{Message: Assistant(Text(s)), Usage: Usage{InputTokens: 3, OutputTokens: 5}}}
}

func fail(k Kind, status int) step {
	return step{err: &Error{Kind: k, Status: status, Provider: "fake", Message: string(k) + " from fake"}}
}

func chunks(parts ...string) []Chunk {
	var cs []Chunk
	for _, p := range parts {
		cs = append(cs, Chunk{Kind: ChunkText, Text: p})
	}
	return cs
}
