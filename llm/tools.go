package llm

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// WithTools offers tools to the model. Call returns the model's tool calls
// in the Response; run them with ExecuteTools and send the outputs back with
// Resume, or let WithToolLoop do both.
func WithTools(tools ...Tool) Option {
	return func(s *settings) { s.tools = append(s.tools, tools...) }
}

// WithToolLoop makes Call run the tool loop (see Response.RunTools) before
// it returns.
func WithToolLoop() Option { return func(s *settings) { s.toolLoop = true } }

// WithMaxSteps bounds the tool loop: at most n rounds of tool calls
// (default 10).
func WithMaxSteps(n int) Option { return func(s *settings) { s.maxSteps = max(n, 1) } }

// WithMaxToolFailures stops the tool loop after n consecutive rounds in
// which a tool failed (default 3).
func WithMaxToolFailures(n int) Option { return func(s *settings) { s.maxFailures = max(n, 1) } }

// ExecuteTools runs the tool calls of the last assistant message and
// returns their outputs in the order of the calls. Up to
// WithToolConcurrency of them run at once, so tools must be safe to run
// concurrently, like http.Handlers; at most WithMaxToolCalls of them run at
// all, and each call beyond gets an output whose Error says so. It never
// fails: an unknown tool, invalid arguments, a returned error, a panic, a
// context that ended before the call could start, or a tool still running
// ToolGrace after the context ended becomes that output's Error. So
// ExecuteTools returns by ctx's deadline plus ToolGrace, whatever the tools
// do; a panic in a goroutine a tool started, or its os.Exit, cannot be
// contained by anything in the process and ends it.
func (r *Response) ExecuteTools(ctx context.Context) []ToolOutput {
	return r.settings().executeTools(ctx, r.ToolCalls())
}

// ToolGrace is how long ExecuteTools waits, once its context has ended,
// for tools still running to return. A tool that honours its context
// returns well within it, with its own error (a plugin says which timeout
// stopped it); a Go tool that ignores its context would otherwise hold the
// turn, and the call, past its deadline for as long as it runs. After
// ToolGrace such a tool is abandoned: its output's Error says it did not
// return, and its goroutine runs on, unobserved, until the tool returns;
// what it returns then is dropped. Go cannot stop a goroutine, so a tool
// that never returns keeps its goroutine for the life of the process.
const ToolGrace = time.Second

// executeTools runs calls on a pool of workers, not a goroutine per call:
// an answer may hold any number of calls. The workers hand each output to
// the caller through a channel with room for all of them, so a worker the
// caller has stopped waiting for never blocks, nor writes to outs.
func (s *settings) executeTools(ctx context.Context, calls []ToolCall) []ToolOutput {
	outs := make([]ToolOutput, len(calls))
	run := calls
	if limit := s.toolLimits.maxCalls(); len(calls) > limit {
		run = calls[:limit]
		over := tooManyCalls(len(calls), limit)
		for i := limit; i < len(calls); i++ {
			outs[i] = ToolOutput{ID: calls[i].ID, Name: calls[i].Name, Error: over}
		}
	}
	type result struct {
		i   int
		out ToolOutput
	}
	var (
		next    atomic.Int64
		results = make(chan result, len(run))
		work    func()
	)
	work = func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(run) {
				return
			}
			returned := false
			func() {
				defer func() {
					if !returned {
						// Only runtime.Goexit (t.FailNow in a test's tool)
						// gets here: executeTool recovers panics. It ends
						// this worker once the defers have run, so another
						// takes its place.
						results <- result{i, ToolOutput{ID: run[i].ID, Name: run[i].Name, Error: &Error{Kind: KindToolExecution,
							Message: fmt.Sprintf("tool %s ended its goroutine (runtime.Goexit) without returning", run[i].Name)}}}
						go work()
					}
				}()
				out := s.executeTool(ctx, run[i])
				returned = true
				results <- result{i, out}
			}()
		}
	}
	for range min(s.toolLimits.maxConcurrent(), len(run)) {
		go work()
	}
	done := make([]bool, len(run))
	var grace <-chan time.Time
	ctxDone := ctx.Done()
collect:
	for got := 0; got < len(run); got++ {
		select {
		case r := <-results:
			outs[r.i], done[r.i] = r.out, true
			continue
		case <-ctxDone:
			ctxDone, grace = nil, time.After(ToolGrace)
		case <-grace:
			break collect
		}
		got-- // the context ended, or the grace began: no output came
	}
	for i := range run {
		if !done[i] {
			outs[i] = ToolOutput{ID: run[i].ID, Name: run[i].Name, Error: &Error{Kind: KindToolExecution,
				Message: fmt.Sprintf("tool %s did not return within %s of the end of its context (%v); it was abandoned (llm.ToolGrace)",
					run[i].Name, ToolGrace, context.Cause(ctx)), Err: ctx.Err()}}
		}
	}
	// Events go out on the calling goroutine, in order, once every tool has
	// returned or been abandoned; the calls not run for the limit are not
	// events.
	for i := range run {
		s.emit(Event{Type: EventToolCall, Output: &outs[i]})
	}
	return outs
}

func (s *settings) executeTool(ctx context.Context, c ToolCall) (out ToolOutput) {
	out = ToolOutput{ID: c.ID, Name: c.Name}
	// First of all: a panic in a tool's Definition would otherwise end the
	// process, on this goroutine.
	defer func() {
		if p := recover(); p != nil {
			out.Result = ""
			out.Error = &Error{Kind: KindToolExecution, Message: fmt.Sprintf("tool %s panicked: %v", c.Name, p),
				Err: &PanicError{Value: p, Stack: debug.Stack()}}
		}
	}()
	if err := ctx.Err(); err != nil {
		out.Error = &Error{Kind: KindToolExecution,
			Message: fmt.Sprintf("tool %s was not run: the context ended first (%v)", c.Name, context.Cause(ctx)), Err: err}
		return out
	}
	i := slices.IndexFunc(s.tools, func(t Tool) bool { return t.Definition().Name == c.Name })
	if i < 0 {
		var names []string
		for _, t := range s.tools {
			names = append(names, t.Definition().Name)
		}
		// The name is the model's: a hostile one may be megabytes long.
		out.Error = &Error{Kind: KindToolNotFound,
			Message: fmt.Sprintf("there is no tool named %q; the tools are: %s", clip(c.Name), strings.Join(names, ", "))}
		return out
	}
	res, err := s.tools[i].Execute(context.WithValue(ctx, toolCallKey{}, c.ID), c.Arguments)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || (e.Kind != KindToolExecution && e.Kind != KindToolNotFound) {
			e = &Error{Kind: KindToolExecution, Message: err.Error(), Err: err}
		}
		if m := s.toolLimits.bound(e.Message); m != e.Message {
			// The tool's own error is its value: bound a copy.
			bounded := *e
			bounded.Message = m
			e = &bounded
		}
		out.Error = e
		return out
	}
	out.Result = s.toolLimits.bound(res)
	return out
}

type toolCallKey struct{}

// ToolCallID returns the model's id for the tool call being executed, for
// tools that pass it on (a tool plugin's input carries it).
func ToolCallID(ctx context.Context) string {
	id, _ := ctx.Value(toolCallKey{}).(string)
	return id
}

// PanicError is the cause of a tool_execution error raised by a panic.
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// RunTools runs the tool loop: while the model asks for tools, run them,
// send their outputs back, and read the next answer. It stops when the
// model answers without tool calls, after the WithMaxSteps bound, or after
// WithMaxToolFailures consecutive rounds with a failing tool, in which case
// the error is the last tool error. The Response returned holds every
// message and every ToolOutput, also when there is an error.
func (r *Response) RunTools(ctx context.Context) (*Response, error) {
	s := r.settings()
	resp := r
	outputs := slices.Clone(r.ToolOutputs)
	failing := 0
	for step := 0; ; step++ {
		calls := resp.ToolCalls()
		if len(calls) == 0 {
			resp.ToolOutputs = outputs
			return resp, nil
		}
		if step >= s.maxSteps {
			resp.ToolOutputs = outputs
			return resp, &Error{Kind: KindToolExecution, Provider: providerOf(resp.Model), Model: resp.Model,
				Message: fmt.Sprintf("the tool loop stopped after %d steps with tool calls still pending", s.maxSteps)}
		}
		outs := s.executeTools(ctx, calls)
		outputs = append(outputs, outs...)
		msgs := append(cloneMessages(resp.Messages), messagesFor(Parts(outs))...)
		var last error
		for _, o := range outs {
			if o.Error != nil {
				last = o.Error
			}
		}
		if last != nil {
			failing++
		} else {
			failing = 0
		}
		if failing >= s.maxFailures {
			resp.Messages, resp.ToolOutputs = msgs, outputs
			var e *Error
			errors.As(last, &e)
			out := *e
			out.Message = fmt.Sprintf("tools failed in %d consecutive rounds; last: %s", failing, e.Message)
			out.Err = last
			return resp, &out
		}
		model := resp.Model
		if m, ok := ModelOverride(ctx); ok {
			model = m
		}
		next, err := s.complete(ctx, model, msgs)
		if err != nil {
			resp.Messages, resp.ToolOutputs = msgs, outputs
			return resp, err
		}
		next.Attempts = append(slices.Clip(resp.Attempts), next.Attempts...)
		next.Usage.add(resp.Usage)
		resp = next
	}
}
