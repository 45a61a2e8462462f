package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
)

func TestNativeTools(t *testing.T) {
	p := load(t, nativeGuest(t))
	if p.ABI() != host.ABINative || p.Name() != "native" {
		t.Fatalf("ABI %s, name %s", p.ABI(), p.Name())
	}
	if got := mustTool(t, p, "set", `{"name":"hello"}`); got != "true" {
		t.Errorf("set = %s", got)
	}
	if got := mustTool(t, p, "get", `{}`); got != `"hello"` {
		t.Errorf("get = %s, want the state set by the previous call on the same idle instance", got)
	}
	if got := mustTool(t, p, "get", ""); got != `"hello"` {
		t.Errorf("get without arguments = %s", got)
	}
}

func TestToolErrorsBeforeTheGuestRuns(t *testing.T) {
	p := load(t, nativeGuest(t))
	_, err := tool(t, p, "nope", `{}`)
	wantError(t, err, host.ReasonToolNotFound, `no tool "nope"`, "tag")
	_, err = tool(t, p, "tag", `{"id":3}`)
	wantError(t, err, host.ReasonInvalidArguments, "at /: missing property 'spin'", "at /id: got number, want string")
	_, err = tool(t, p, "tag", `{"id":"x","spin":1,"extra":true}`)
	wantError(t, err, host.ReasonInvalidArguments, "additional properties 'extra' not allowed")
	_, err = tool(t, p, "tag", `{"id":`)
	wantError(t, err, host.ReasonInvalidArguments, "not valid JSON")
	if st := p.Stats(); st.Created != 1 || st.Discarded != 0 {
		t.Errorf("stats %+v: a rejected call must not touch an instance", st)
	}
}

func TestGoPanicInToolIsAToolError(t *testing.T) {
	p := load(t, nativeGuest(t))
	_, err := tool(t, p, "panic", `{}`)
	e := wantError(t, err, host.ReasonGuestError)
	if e.Message != "panic: deliberate panic" {
		t.Errorf("message %q, want the panic value", e.Message)
	}
	refused(t, "traps", "Go tool panics (the guest SDK recovers it; the instance is kept)", err)
	if !strings.Contains(e.Stderr, "deliberate panic") || !strings.Contains(e.Stderr, "goroutine") {
		t.Errorf("stderr %q lacks the panic and its stack", e.Stderr)
	}
	// A recovered panic leaves the instance sound: it is reused.
	mustTool(t, p, "get", `{}`)
	if st := p.Stats(); st.Discarded != 0 || st.Created != 1 {
		t.Errorf("stats %+v", st)
	}
	_, err = tool(t, p, "fail", `{}`)
	wantError(t, err, host.ReasonGuestError, "deliberate failure")
}

func TestLoopForeverIsStoppedAtTheTimeout(t *testing.T) {
	p := load(t, nativeGuest(t), host.WithToolTimeout(2*time.Second))
	mustTool(t, p, "set", `{"name":"before"}`)
	_, err := tool(t, p, "loop", `{}`)
	e := wantError(t, err, host.ReasonTimeout, "2s timeout")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", e)
	}
	refused(t, "time", "Go tool loops forever (tool timeout 2s)", err)
	// The host serves the next call, from a fresh instance.
	got := mustTool(t, p, "get", `{}`)
	if got != `""` {
		t.Errorf("get after timeout = %s, want a fresh instance's empty state", got)
	}
	outcome(t, "time", "state set before a timeout, read by the next call", "gone: the next call gets a fresh instance, state "+got)
	if st := p.Stats(); st.Discarded != 1 {
		t.Errorf("stats %+v: the timed-out instance must be discarded", st)
	}
}

func TestCanceledContext(t *testing.T) {
	p := load(t, nativeGuest(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.CallTool(ctx, abi.ToolCall{Name: "loop", Arguments: json.RawMessage(`{}`)})
	wantError(t, err, host.ReasonCanceled)
	refused(t, "time", "Go tool loops forever, called with a canceled context", err)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) = false", err)
	}
	mustTool(t, p, "get", `{}`)
}

func TestGrowMemoryIsCapped(t *testing.T) {
	p := load(t, nativeGuest(t), host.WithMaxMemory(32<<20))
	_, err := tool(t, p, "grow", `{}`)
	e := wantError(t, err, host.ReasonMemoryLimit, "32MiB memory limit")
	refused(t, "memory", "Go tool allocates without end (limit 32 MiB)", err)
	if !strings.Contains(e.Stderr, "out of memory") {
		t.Errorf("stderr %.200q lacks Go's out of memory report", e.Stderr)
	}
	mustTool(t, p, "get", `{}`)
	if st := p.Stats(); st.Discarded != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestGoStackOverflow(t *testing.T) {
	p := load(t, nativeGuest(t))
	_, err := tool(t, p, "recurse", `{}`)
	e := wantError(t, err, host.ReasonStackOverflow, "stack overflow")
	refused(t, "stack", "Go tool recurses without end", err)
	if !strings.Contains(e.Stderr, "goroutine stack exceeds") {
		t.Errorf("stderr %.200q", e.Stderr)
	}
	mustTool(t, p, "get", `{}`)
}

func TestExit(t *testing.T) {
	p := load(t, nativeGuest(t))
	_, err := tool(t, p, "exit", `{}`)
	e := wantError(t, err, host.ReasonExit, "status 3")
	refused(t, "exit", "Go tool calls os.Exit(3) (WASI proc_exit)", err)
	if e.ExitCode != 3 {
		t.Errorf("ExitCode %d", e.ExitCode)
	}
	mustTool(t, p, "get", `{}`)
}

func TestOutputAndInputCaps(t *testing.T) {
	p := load(t, nativeGuest(t), host.WithMaxOutput(1<<20), host.WithMaxInput(64<<10))
	if got := mustTool(t, p, "big", `{"n":1000}`); len(got) != 1002 {
		t.Errorf("big = %d bytes", len(got))
	}
	_, err := tool(t, p, "big", `{"n":2000000}`)
	wantError(t, err, host.ReasonOutputTooLarge, "over the 1MiB output cap")
	refused(t, "output", "Go tool returns 2 MB (output cap 1 MiB)", err)
	_, err = p.Call(context.Background(), "echo", make([]byte, 65<<10))
	wantError(t, err, host.ReasonInputTooLarge, "65KiB", "64KiB input cap")
	refused(t, "input", "a 65 KiB input (input cap 64 KiB)", err)
	mustTool(t, p, "get", `{}`)
}

func TestStderrIsCapped(t *testing.T) {
	p := load(t, nativeGuest(t), host.WithMaxStderr(1000))
	_, err := tool(t, p, "stderr", `{"n":5000}`)
	e := wantError(t, err, host.ReasonGuestError, "wrote stderr")
	if !strings.HasPrefix(e.Stderr, strings.Repeat("e", 1000)+"\n[... ") || !strings.Contains(e.Stderr, "dropped") {
		t.Errorf("stderr = %.1100q", e.Stderr)
	}
	outcome(t, "output", "Go tool writes 5,000 bytes to stderr (stderr cap 1,000 B)",
		fmt.Sprintf("kept %d bytes on the error, the rest noted: %q", strings.Index(e.Stderr, "\n"), e.Stderr[strings.Index(e.Stderr, "\n")+1:]))
	// Each call starts with empty stderr.
	_, err = tool(t, p, "fail", `{}`)
	if e := wantError(t, err, host.ReasonGuestError); e.Stderr != "" {
		t.Errorf("stderr of the next call = %q", e.Stderr)
	}
}

func TestRawEcho(t *testing.T) {
	p := load(t, nativeGuest(t))
	ctx := context.Background()
	for _, n := range []int{0, 1, 4096, 100 << 10, 3 << 20, 10} {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(i * 7)
		}
		out, err := p.Call(ctx, "echo", in)
		if err != nil || string(out) != string(in) {
			t.Fatalf("echo of %d bytes: %d bytes, %v", n, len(out), err)
		}
	}
	_, err := p.Call(ctx, "nope", nil)
	wantError(t, err, host.ReasonMissingExport, `no function "nope"`, "echo")
	refused(t, "exports", "call a function the module does not export", err)
	_, err = p.Call(ctx, "_initialize", nil)
	wantError(t, err, host.ReasonMissingExport, "(i32, i32) -> i64")
	refused(t, "exports", "call an export without the ABI's signature (_initialize)", err)
}

func TestParseAndDecide(t *testing.T) {
	p := load(t, nativeGuest(t))
	ctx := context.Background()
	v, err := p.Parse(ctx, abi.ParseRequest{Text: "shout"})
	if err != nil || string(v) != `"SHOUT"` {
		t.Errorf("Parse = %s, %v", v, err)
	}
	_, err = p.Parse(ctx, abi.ParseRequest{Text: "x", Format: "strict"})
	e := wantError(t, err, host.ReasonGuestError, "no JSON found")
	if e.RetryMessage != "Answer with a JSON object only." {
		t.Errorf("RetryMessage %q", e.RetryMessage)
	}
	_, err = p.Parse(ctx, abi.ParseRequest{Text: "x", Format: "yaml"})
	wantError(t, err, host.ReasonUnsupported, `no parser "yaml"`)

	d, err := p.Decide(ctx, abi.DecideRequest{Attempt: 1, Model: "openai/gpt-4o-mini", Error: abi.CallError{Kind: "rate_limit", Status: 429, Message: "slow down", RetryAfterMS: 50}})
	if err != nil || d != (abi.Decision{Action: abi.ActionRetry, DelayMS: 150}) {
		t.Errorf("Decide = %+v, %v", d, err)
	}
	d, err = p.Decide(ctx, abi.DecideRequest{Attempt: 3, Model: "m", Fallbacks: []string{"f1", "f2"}, Error: abi.CallError{Kind: "server", Message: "x"}})
	if err != nil || d != (abi.Decision{Action: abi.ActionFallback, Model: "f1"}) {
		t.Errorf("Decide = %+v, %v", d, err)
	}
	_, err = p.Decide(ctx, abi.DecideRequest{Attempt: 1, Model: "bad/model", Error: abi.CallError{Kind: "server", Message: "x"}})
	wantError(t, err, host.ReasonMalformedReply, `unknown action "later"`)
}

func TestParserAndRetryTimeouts(t *testing.T) {
	// The same module as a parser gets the short timeout, as a tool the
	// long one: the defaults are 1 s and 10 s.
	p := load(t, nativeGuest(t), host.WithParserTimeout(100*time.Millisecond), host.WithRetryTimeout(150*time.Millisecond))
	_, err := p.Parse(context.Background(), abi.ParseRequest{Text: "x", Format: "spin"})
	wantError(t, err, host.ReasonTimeout, "100ms timeout")
	refused(t, "time", "parser loops forever (parser timeout 100ms)", err)
	_, err = p.Decide(context.Background(), abi.DecideRequest{Attempt: 1, Model: "loop/model", Error: abi.CallError{Kind: "server", Message: "x"}})
	wantError(t, err, host.ReasonTimeout, "150ms timeout")
	refused(t, "time", "retry strategy loops forever (decide timeout 150ms)", err)
	if _, err := tool(t, p, "get", `{}`); err != nil {
		t.Errorf("tool after parser timeout: %v", err)
	}
}

func TestConfigReachesNativeGuest(t *testing.T) {
	p := load(t, nativeGuest(t))
	if got := mustTool(t, p, "config", `{"name":"greeting"}`); got != `""` {
		t.Errorf("config without a grant = %s", got)
	}
	p = load(t, nativeGuest(t), host.WithConfig(map[string]string{"greeting": "hi"}))
	if got := mustTool(t, p, "config", `{"name":"greeting"}`); got != `"hi"` {
		t.Errorf("config = %s", got)
	}
}

func TestClose(t *testing.T) {
	p := load(t, nativeGuest(t))
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := tool(t, p, "get", `{}`)
	wantError(t, err, host.ReasonClosed)
	if err := p.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseStopsCallsInFlight(t *testing.T) {
	p := load(t, nativeGuest(t))
	done := make(chan error)
	go func() {
		_, err := tool(t, p, "loop", `{}`)
		done <- err
	}()
	for p.Stats().InUse == 0 {
		time.Sleep(time.Millisecond)
	}
	p.Close(context.Background())
	wantError(t, <-done, host.ReasonClosed, "closed during the call")
}
