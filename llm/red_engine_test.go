package llm

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A deadline the attacks below are given, and the bound within which the
// call must have ended: the bound is the failure, not a measurement.
const (
	redDeadline = 200 * time.Millisecond
	redBound    = 30 * time.Second
)

// endsWithin runs f and fails the test if it has not returned within
// redBound.
func endsWithin(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(redBound):
		t.Fatalf("%s: still running after %s", what, redBound)
	}
}

type ctxStrategy func(context.Context, RetryState) (Decision, error)

func (f ctxStrategy) Decide(ctx context.Context, s RetryState) (Decision, error) { return f(ctx, s) }

// TestPanickingStrategyIsThePolicy: a RetryStrategy that panics, with an
// error or any other value, or ends its goroutine, is a broken strategy:
// the policy decides for it, and the call goes on.
func TestPanickingStrategyIsThePolicy(t *testing.T) {
	for name, st := range map[string]RetryStrategy{
		"panic(string)": ctxStrategy(func(context.Context, RetryState) (Decision, error) { panic("boom") }),
		"panic(nil)":    ctxStrategy(func(context.Context, RetryState) (Decision, error) { panic(nil) }),
		"panic(error)":  ctxStrategy(func(context.Context, RetryState) (Decision, error) { panic(errors.New("boom")) }),
		"Goexit":        ctxStrategy(func(context.Context, RetryState) (Decision, error) { runtime.Goexit(); return Decision{}, nil }),
	} {
		t.Run(name, func(t *testing.T) {
			p, opts := newFake(t)
			p.script("m", fail(KindServer, 500), fail(KindServer, 500), text("ok"))
			resp, err := Call(context.Background(), "fake/m", []Message{User("hi")}, append(opts, WithRetryStrategy(st))...)
			if err != nil || resp.Text() != "ok" || len(resp.Attempts) != 2 {
				t.Fatalf("got %v, %v; want the policy's retries to reach ok after 2 failed attempts", resp, err)
			}
		})
	}
}

// TestBlockingStrategyEndsAtTheDeadline: a strategy that never answers and
// ignores its context does not hold the call past the call's deadline.
func TestBlockingStrategyEndsAtTheDeadline(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", fail(KindServer, 500))
	release := make(chan struct{})
	var returned atomic.Bool
	st := ctxStrategy(func(context.Context, RetryState) (Decision, error) {
		<-release
		returned.Store(true)
		return Decision{Action: ActionRetry}, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), redDeadline)
	defer cancel()
	var err error
	endsWithin(t, "a call whose strategy blocks", func() {
		_, err = Call(ctx, "fake/m", []Message{User("hi")}, append(opts, WithRetryStrategy(st))...)
	})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a timeout caused by the deadline", err)
	}
	if got := len(p.sent()); got != 1 {
		t.Errorf("%d requests, want 1: the strategy's late answer must not be acted on", got)
	}
	close(release)
	endsWithin(t, "the abandoned strategy", func() {
		for !returned.Load() {
			time.Sleep(time.Millisecond)
		}
	})
	time.Sleep(10 * time.Millisecond) // its late answer, if anything read it, would send a request now
	if got := len(p.sent()); got != 1 {
		t.Errorf("%d requests after the strategy answered, want 1", got)
	}
}

// TestToolIgnoringItsContextIsAbandoned: a Go tool that blocks and never
// looks at its context does not hold the turn: ExecuteTools returns by the
// deadline plus ToolGrace, its output says so, the other calls' outputs are
// kept, and the tool's goroutine ends when the tool does.
func TestToolIgnoringItsContextIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	var finished atomic.Bool
	stuck := NewTool("stuck", "blocks", func(context.Context, struct{}) (string, error) {
		<-release
		finished.Store(true)
		return "late", nil
	})
	quick := NewTool("quick", "answers", func(context.Context, struct{}) (string, error) { return "fine", nil })
	s := newSettings([]Option{WithTools(stuck, quick)})
	ctx, cancel := context.WithTimeout(context.Background(), redDeadline)
	defer cancel()
	calls := []ToolCall{{ID: "1", Name: "stuck", Arguments: []byte(`{}`)}, {ID: "2", Name: "quick", Arguments: []byte(`{}`)}}
	var outs []ToolOutput
	before := runtime.NumGoroutine()
	endsWithin(t, "a turn whose tool ignores its context", func() { outs = s.executeTools(ctx, calls) })
	var e *Error
	if !errors.As(outs[0].Error, &e) || e.Kind != KindToolExecution || !strings.Contains(e.Message, "llm.ToolGrace") ||
		!errors.Is(outs[0].Error, context.DeadlineExceeded) {
		t.Fatalf("the stuck tool's output: %+v; want a tool_execution error naming llm.ToolGrace, caused by the deadline", outs[0])
	}
	if outs[1].Result != "fine" || outs[1].Error != nil {
		t.Errorf("the quick tool's output was lost: %+v", outs[1])
	}
	close(release)
	endsWithin(t, "the abandoned tool's goroutine", func() {
		// before+1: this check runs on a goroutine of endsWithin's.
		for !finished.Load() || runtime.NumGoroutine() > before+1 {
			time.Sleep(time.Millisecond)
		}
	})
	if outs[0].Result != "" {
		t.Errorf("the abandoned tool's late result reached its output: %+v", outs[0])
	}
}

// TestStreamCutAfterEveryChunkIsBounded: a server that cuts the stream
// after every chunk, for ever, gets MaxRetries+1 attempts per model: each
// resumption is an attempt. The reader receives each piece once.
func TestStreamCutAfterEveryChunkIsBounded(t *testing.T) {
	p, opts := newFake(t)
	cut := &Error{Kind: KindConnection, Provider: "fake", Message: "connection reset"}
	for range 1000 {
		p.script("m", step{chunks: chunks("a"), tail: cut})
		p.script("n", step{chunks: chunks("b"), tail: cut})
	}
	sr, err := Stream(context.Background(), "fake/m", []Message{User("hi")}, append(opts, WithFallbacks("fake/n"))...)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	var last error
	endsWithin(t, "a stream cut after every chunk", func() {
		for s, err := range sr.TextStream() {
			if err != nil {
				last = err
				break
			}
			got.WriteString(s)
		}
	})
	var e *Error
	if !errors.As(last, &e) || e.Kind != KindRetriesExhausted {
		t.Fatalf("got %v, want retries_exhausted", last)
	}
	if got.String() != "aaaabbbb" || len(p.sent()) != 8 || len(sr.Attempts()) != 8 {
		t.Errorf("the reader got %q in %d requests (%d attempts); want aaaabbbb in 8: 4 attempts per model",
			got.String(), len(p.sent()), len(sr.Attempts()))
	}
}

// TestToolCallEveryTurnIsBounded: a model that asks for a tool in every
// answer, for ever, stops at the default of 10 steps, with an error that
// names the bound; a model whose every tool call fails stops after 3
// rounds.
func TestToolCallEveryTurnIsBounded(t *testing.T) {
	ok := NewTool("ok", "", func(context.Context, struct{}) (string, error) { return "fine", nil })
	bad := NewTool("bad", "", func(context.Context, struct{}) (string, error) { return "", errors.New("nope") })
	for _, c := range []struct {
		tool     string
		requests int
		message  string
	}{{"ok", 11, "after 10 steps"}, {"bad", 3, "3 consecutive rounds"}} {
		p, opts := newFake(t)
		for range 1000 {
			p.script("m", step{comp: &Completion{Message: Assistant(ToolCall{ID: "x", Name: c.tool, Arguments: []byte(`{}`)})}})
		}
		var err error
		endsWithin(t, "a tool loop for ever", func() {
			_, err = Call(context.Background(), "fake/m", []Message{User("hi")}, append(opts, WithTools(ok, bad), WithToolLoop())...)
		})
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindToolExecution || !strings.Contains(e.Message, c.message) {
			t.Errorf("%s: got %v, want a tool_execution error saying %q", c.tool, err, c.message)
		}
		if got := len(p.sent()); got != c.requests {
			t.Errorf("%s: %d requests, want %d", c.tool, got, c.requests)
		}
	}
}
