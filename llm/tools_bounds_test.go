package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gate is a tool that counts how many of its calls run at once. The first
// `wait` calls hold until that many run together, so a pool narrower than
// promised fails the test (after 30s) instead of passing by luck.
type gate struct {
	wait             int32
	running, maxSeen atomic.Int32
	calls            atomic.Int32
	goroutines       atomic.Int32
}

func (g *gate) Definition() ToolDefinition { return ToolDefinition{Name: "echo"} }

func (g *gate) Execute(ctx context.Context, args json.RawMessage) (string, error) {
	n := g.calls.Add(1)
	r := g.running.Add(1)
	defer g.running.Add(-1)
	for {
		m := g.maxSeen.Load()
		if r <= m || g.maxSeen.CompareAndSwap(m, r) {
			break
		}
	}
	if gr := int32(runtime.NumGoroutine()); gr > g.goroutines.Load() {
		g.goroutines.Store(gr) // racy max, but only ever an underestimate by a little
	}
	if n <= g.wait {
		deadline := time.Now().Add(30 * time.Second)
		for g.maxSeen.Load() < g.wait {
			if time.Now().After(deadline) {
				return "", fmt.Errorf("only %d of %d calls ran at once", g.maxSeen.Load(), g.wait)
			}
			time.Sleep(time.Millisecond)
		}
	}
	var a struct{ I int }
	if err := json.Unmarshal(args, &a); err != nil {
		return "", err
	}
	return strconv.Itoa(a.I), nil
}

func echoCalls(n int) []ToolCall {
	calls := make([]ToolCall, n)
	for i := range calls {
		calls[i] = ToolCall{ID: "c" + strconv.Itoa(i), Name: "echo", Arguments: json.RawMessage(`{"I":` + strconv.Itoa(i) + `}`)}
	}
	return calls
}

// TestToolCallsPerTurnAreBounded: a model answer with 100,000 tool calls.
// Before, each got a goroutine at once (and, for a plugin tool, an
// instance): gigabytes. Now DefaultMaxToolCalls of them run, on
// max(4, GOMAXPROCS) workers, and each of the rest gets an output the
// model can read that names the limit and the option.
func TestToolCallsPerTurnAreBounded(t *testing.T) {
	const n = 100_000
	workers := max(4, runtime.GOMAXPROCS(0))
	g := &gate{wait: int32(workers)}
	s := newSettings([]Option{WithTools(g)})
	calls := echoCalls(n)
	base := runtime.NumGoroutine()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	outs := s.executeTools(context.Background(), calls)
	runtime.ReadMemStats(&after)

	if len(outs) != n {
		t.Fatalf("%d outputs for %d calls", len(outs), n)
	}
	if got := g.calls.Load(); got != DefaultMaxToolCalls {
		t.Errorf("%d calls executed, want DefaultMaxToolCalls = %d", got, DefaultMaxToolCalls)
	}
	if got := g.maxSeen.Load(); got != int32(workers) {
		t.Errorf("%d calls ran at once, want max(4, GOMAXPROCS) = %d", got, workers)
	}
	if extra := int(g.goroutines.Load()) - base; extra > workers+8 {
		t.Errorf("%d goroutines more than before while tools ran, want about %d workers", extra, workers)
	}
	for i, o := range outs {
		if o.ID != calls[i].ID || o.Name != "echo" {
			t.Fatalf("output %d is for %s %s: outputs must be in call order", i, o.ID, o.Name)
		}
		if i < DefaultMaxToolCalls {
			if o.Error != nil || o.Result != strconv.Itoa(i) {
				t.Fatalf("output %d = %q, %v", i, o.Result, o.Error)
			}
			continue
		}
		if KindOf(o.Error) != KindToolExecution || !strings.Contains(o.Content(), "WithMaxToolCalls") ||
			!strings.Contains(o.Content(), "at most 128") || !strings.Contains(o.Content(), "100000") {
			t.Fatalf("output %d past the limit: %q (%v)", i, o.Content(), KindOf(o.Error))
		}
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("100k calls: %.1f MB allocated, %d goroutines at most", float64(alloc)/1e6, g.goroutines.Load())
	if alloc > 64<<20 {
		t.Errorf("executing a turn of %d calls allocated %d MB, want under 64", n, alloc>>20)
	}
}

func TestToolConcurrencyOption(t *testing.T) {
	for _, c := range []struct{ n, calls, want, ran int }{
		{1, 20, 1, 20},
		{3, 50, 3, 10},
		{64, 64, 64, 64},
	} {
		g := &gate{wait: int32(c.want)}
		opts := []Option{WithTools(g), WithToolConcurrency(c.n)}
		if c.ran != c.calls {
			opts = append(opts, WithMaxToolCalls(c.ran))
		}
		outs := newSettings(opts).executeTools(context.Background(), echoCalls(c.calls))
		if got := g.maxSeen.Load(); got != int32(c.want) {
			t.Errorf("WithToolConcurrency(%d): %d ran at once, want %d", c.n, got, c.want)
		}
		if got := int(g.calls.Load()); got != c.ran {
			t.Errorf("WithMaxToolCalls(%d): %d ran", c.ran, got)
		}
		for i, o := range outs {
			if i < c.ran && o.Result != strconv.Itoa(i) || i >= c.ran && !strings.Contains(o.Content(), fmt.Sprintf("at most %d", c.ran)) {
				t.Errorf("concurrency %d: output %d = %q, %v", c.n, i, o.Result, o.Error)
			}
		}
	}
}

type badTool struct {
	name  string
	def   func()
	exec  func()
	calls atomic.Int32
}

func (b *badTool) Definition() ToolDefinition {
	if b.def != nil {
		b.def()
	}
	return ToolDefinition{Name: b.name}
}

func (b *badTool) Execute(ctx context.Context, args json.RawMessage) (string, error) {
	b.calls.Add(1)
	if b.exec != nil {
		b.exec()
	}
	return "ok", nil
}

// TestHostileToolsBecomeOutputs: a tool that panics in Execute, one whose
// Definition panics, and one that calls runtime.Goexit, on a single
// worker: each becomes its output's Error, the calls after them still run,
// and the caller is alive.
func TestHostileToolsBecomeOutputs(t *testing.T) {
	boom := &badTool{name: "boom", exec: func() { panic("kaboom") }}
	exit := &badTool{name: "exit", exec: runtime.Goexit}
	ok := &badTool{name: "ok"}
	calls := []ToolCall{{ID: "1", Name: "boom"}, {ID: "2", Name: "exit"}, {ID: "3", Name: "exit"}, {ID: "4", Name: "ok"}}
	outs := newSettings([]Option{WithTools(boom, exit, ok), WithToolConcurrency(1)}).executeTools(context.Background(), calls)
	var pe *PanicError
	if !errors.As(outs[0].Error, &pe) || !strings.Contains(outs[0].Content(), "kaboom") {
		t.Errorf("panicking tool: %v", outs[0].Error)
	}
	for _, o := range outs[1:3] {
		if KindOf(o.Error) != KindToolExecution || !strings.Contains(o.Content(), "Goexit") {
			t.Errorf("Goexit tool: %+v", o)
		}
	}
	if outs[3].Result != "ok" || outs[3].Error != nil || ok.calls.Load() != 1 {
		t.Errorf("the call after them: %+v", outs[3])
	}

	def := &badTool{name: "def", def: func() { panic("no definition") }}
	outs = newSettings([]Option{WithTools(def)}).executeTools(context.Background(), []ToolCall{{ID: "1", Name: "x"}})
	if !errors.As(outs[0].Error, &pe) || !strings.Contains(outs[0].Content(), "no definition") {
		t.Errorf("panicking Definition: %+v", outs[0])
	}
}

// TestToolsNotStartedAfterCancel: once the context has ended, the calls
// not yet started are not started; each says why.
func TestToolsNotStartedAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &gate{}
	outs := newSettings([]Option{WithTools(g)}).executeTools(ctx, echoCalls(10))
	if g.calls.Load() != 0 {
		t.Errorf("%d tools ran after the context ended", g.calls.Load())
	}
	for i, o := range outs {
		if !errors.Is(o.Error, context.Canceled) || !strings.Contains(o.Content(), "not run") {
			t.Errorf("output %d: %v", i, o.Error)
		}
	}
}

// TestToolLoopBoundsEachTurn: through the tool loop, an answer of 1000
// calls runs 10 of them (WithMaxToolCalls(10)), and the model is sent all
// 1000 outputs, 990 of them saying the limit, in order.
func TestToolLoopBoundsEachTurn(t *testing.T) {
	p, opts := newFake(t)
	calls := echoCalls(1000)
	parts := make([]Part, len(calls))
	for i, c := range calls {
		parts[i] = c
	}
	p.script("m", step{comp: &Completion{Message: Assistant(parts...)}}, text("done"))
	g := &gate{}
	resp, err := Call(context.Background(), "fake/m", hi, append(opts, WithTools(g), WithToolLoop(), WithMaxToolCalls(10))...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "done" || g.calls.Load() != 10 || len(resp.ToolOutputs) != 1000 {
		t.Fatalf("text %q, %d ran, %d outputs", resp.Text(), g.calls.Load(), len(resp.ToolOutputs))
	}
	sent := p.sent()[1].Messages
	var results []string
	for _, m := range sent {
		for _, part := range m.Content {
			if o, ok := part.(ToolOutput); ok {
				results = append(results, o.Content())
			}
		}
	}
	if len(results) != 1000 || results[9] != "9" || !strings.Contains(results[10], "at most 10") {
		t.Fatalf("sent %d outputs; [9]=%q [10]=%.80q", len(results), results[9], results[10])
	}
}
