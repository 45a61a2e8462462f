package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Attacks on the promise that every wait ends at the call's deadline: a
// guest blocked in WASI poll_oneoff (Go's time.Sleep, a bare clock
// subscription) must be stopped by the call's timeout, its context and
// Close, wherever it waits, and its late reply must never count.

// shortTimeout is the timeout the attacks run under; toolTimeout is the
// one for tool and raw calls, which also bounds an instance's start-up (so
// it must leave room to instantiate a Go guest under -race on a loaded
// machine); waitBound is how long the host may take to stop them before
// the test fails. The bound is the failure, not a measurement: the guests
// wait an hour.
const (
	shortTimeout = 200 * time.Millisecond
	toolTimeout  = 2 * time.Second
	waitBound    = 30 * time.Second
)

// slowLoad lets Load take what compiling a Go guest takes under -race on a
// loaded machine; the attacks are on calls, not on loading.
var slowLoad = host.WithLoadTimeout(10 * time.Minute)

func sleeperGuest(t testing.TB) string { return wasmtest.BuildGo(t, "host/testdata/guests/sleeper") }
func extismSleeperGuest(t testing.TB) string {
	return wasmtest.BuildGo(t, "host/testdata/guests/extismsleeper")
}

// within runs f and fails the test if it has not returned within waitBound.
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(waitBound):
		t.Fatalf("%s: still waiting after %v: the guest's wait was not stopped", what, waitBound)
		return nil
	}
}

// wantTimeout checks a timeout error that names the limit and its Option.
func wantTimeout(t *testing.T, err error, limit time.Duration, option string) *host.Error {
	t.Helper()
	e := wantError(t, err, host.ReasonTimeout, limit.String(), option)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout error %v does not wrap context.DeadlineExceeded", err)
	}
	return e
}

func TestSleepingToolIsStoppedAtItsTimeout(t *testing.T) {
	p := load(t, sleeperGuest(t), slowLoad, host.WithToolTimeout(toolTimeout))
	var err error
	within(t, "tool sleeping an hour", func() error { _, err = tool(t, p, "sleep", `{"ms":3600000}`); return nil })
	wantTimeout(t, err, toolTimeout, "WithToolTimeout")
	refused(t, "time", "Go guest: time.Sleep(1h) in a tool call (2 s tool timeout)", err)
	if s := p.Stats(); s.Discarded < 1 {
		t.Errorf("the timed-out instance was not discarded: %+v", s)
	}
	if out := mustTool(t, p, "nap", ""); out != `"awake"` {
		t.Errorf("next call: %s", out)
	}
	// A sleep shorter than the timeout still ends normally.
	if out := mustTool(t, p, "sleep", `{"ms":1}`); out != `"awake"` {
		t.Errorf("short sleep: %s", out)
	}
}

func TestSleepingToolIsStoppedByCancel(t *testing.T) {
	p := load(t, sleeperGuest(t), slowLoad) // the default 10 s timeout: the context must do it
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(shortTimeout, cancel)
	var err error
	within(t, "canceled tool", func() error {
		_, err = p.CallTool(ctx, abi.ToolCall{ID: "1", Name: "sleep", Arguments: json.RawMessage(`{"ms":3600000}`)})
		return nil
	})
	wantError(t, err, host.ReasonCanceled, "canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not wrap context.Canceled", err)
	}
	refused(t, "time", "Go guest: time.Sleep(1h) in a tool call, context canceled after 200 ms", err)
	mustTool(t, p, "nap", "")
}

func TestSleepingToolIsStoppedByTheCallersDeadline(t *testing.T) {
	p := load(t, sleeperGuest(t), slowLoad)
	ctx, cancel := context.WithTimeout(context.Background(), shortTimeout)
	defer cancel()
	var err error
	within(t, "tool under a caller deadline", func() error {
		_, err = p.CallTool(ctx, abi.ToolCall{ID: "1", Name: "sleep", Arguments: json.RawMessage(`{"ms":3600000}`)})
		return nil
	})
	wantError(t, err, host.ReasonTimeout, "context's deadline")
	refused(t, "time", "Go guest: time.Sleep(1h) in a tool call, caller's context deadline 200 ms", err)
}

func TestSleepingParserAndStrategyAreStopped(t *testing.T) {
	p := load(t, sleeperGuest(t), slowLoad, host.WithParserTimeout(shortTimeout), host.WithRetryTimeout(shortTimeout))
	var err error
	within(t, "parser sleeping an hour", func() error {
		_, err = p.Parse(context.Background(), abi.ParseRequest{Text: "x"})
		return nil
	})
	wantTimeout(t, err, shortTimeout, "WithParserTimeout")
	refused(t, "time", "Go guest: time.Sleep(1h) in parse (200 ms parser timeout)", err)

	within(t, "strategy sleeping an hour", func() error {
		_, err = p.Decide(context.Background(), abi.DecideRequest{Attempt: 1, Model: "m"})
		return nil
	})
	wantTimeout(t, err, shortTimeout, "WithRetryTimeout")
	refused(t, "time", "Go guest: time.Sleep(1h) in decide (200 ms retry timeout)", err)
	mustTool(t, p, "nap", "")
}

func TestSleepingInitializeFailsLoad(t *testing.T) {
	var err error
	within(t, "Load of a guest whose init sleeps", func() error {
		var p *host.Plugin
		p, err = host.Load(context.Background(), sleeperGuest(t), host.WithCacheDir(cacheDir(t)), slowLoad,
			host.WithEnv(map[string]string{"SLEEPER_INIT": "1"}), host.WithToolTimeout(toolTimeout))
		if err == nil {
			p.Close(context.Background())
		}
		return nil
	})
	e := wantError(t, err, host.ReasonTimeout, "start-up", toolTimeout.String(), "WithToolTimeout")
	if e.Function != abi.ExportInitialize {
		t.Errorf("function %q, want %s", e.Function, abi.ExportInitialize)
	}
	refused(t, "time", "Go guest: time.Sleep(1h) in init, i.e. _initialize (2 s tool timeout)", err)
}

// waitGuest is a hand-written llmhost/1 guest whose exports wait in
// poll_oneoff on a one-hour clock subscription: call (in a loop if loop,
// else once, then replying "late"), llmhost_configure if configure, and
// the start function if start.
func waitGuest(t *testing.T, loop, configure, start bool) []byte {
	t.Helper()
	d, _ := json.Marshal(abi.Describe{ABI: abi.Version, Name: "waiter", Version: "0",
		Tools: []abi.Tool{{Name: "run", Description: "waits", Parameters: json.RawMessage(`{"type":"object"}`)}}})
	const descAt, replyAt = 256, 128
	reply := `"late"`
	wait := "(call $sleep)"
	if loop {
		wait = "(loop $again (call $sleep) (br $again))"
	}
	var extra string
	if configure {
		extra += `(func (export "llmhost_configure") (param i32 i32) (result i64) (loop $again (call $sleep) (br $again)) (unreachable))` + "\n"
	}
	if start {
		extra += "(start $sleep)\n"
	}
	src := fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const %d) "%s")
  (data (i32.const %d) "%s")
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "describe") (param i32 i32) (result i64) (i64.const %d))
  ;; one relative clock subscription of an hour at 1024 (userdata 0, tag
  ;; 0 = clock, timeout at +24, flags 0), its event at 2048, nevents at 3072
  (func $sleep
    (i64.store (i32.const 1048) (i64.const 3600000000000))
    (drop (call $poll (i32.const 1024) (i32.const 2048) (i32.const 1) (i32.const 3072))))
  (func (export "call") (param i32 i32) (result i64) %s (i64.const %d))
  %s)`, descAt, watBytes(d), replyAt, watBytes([]byte(reply)), abi.Pack(descAt, uint32(len(d)), false),
		wait, abi.Pack(replyAt, uint32(len(reply)), false), extra)
	return wasmtest.WAT(t, src)
}

// watBytes escapes b for a WebAssembly text string.
func watBytes(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\%02x`, c)
	}
	return s.String()
}

func TestRawPollOneoffIsStopped(t *testing.T) {
	for _, loop := range []bool{false, true} {
		t.Run(fmt.Sprintf("loop=%v", loop), func(t *testing.T) {
			p := loadBytes(t, waitGuest(t, loop, false, false), host.WithToolTimeout(toolTimeout))
			var out string
			var err error
			within(t, "raw poll_oneoff", func() error { out, err = tool(t, p, "run", "{}"); return nil })
			if err == nil {
				t.Fatalf("a reply after the deadline counted as success: %s", out)
			}
			wantTimeout(t, err, toolTimeout, "WithToolTimeout")
			attempt := "raw poll_oneoff, 1 h clock subscription, once, then a reply (late: must not count)"
			if loop {
				attempt = "raw poll_oneoff, 1 h clock subscription, in a loop"
			}
			refused(t, "time", attempt+" (2 s tool timeout)", err)
			if s := p.Stats(); s.Discarded < 1 {
				t.Errorf("the timed-out instance was not discarded: %+v", s)
			}
		})
	}
}

func TestSleepingConfigureAndStartFailLoad(t *testing.T) {
	for _, c := range []struct {
		name             string
		configure, start bool
		fn               string
	}{
		{"configure", true, false, abi.ExportConfigure},
		{"start", false, true, "instantiate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wasm := waitGuest(t, false, c.configure, c.start)
			var err error
			within(t, "Load", func() error {
				var p *host.Plugin
				p, err = host.LoadBytes(context.Background(), wasm, host.WithCacheDir(cacheDir(t)), slowLoad, host.WithToolTimeout(toolTimeout),
					host.WithConfig(map[string]string{"k": "v"}), host.WithName("waiter"))
				if err == nil {
					p.Close(context.Background())
				}
				return nil
			})
			e := wantError(t, err, host.ReasonTimeout, "start-up", "WithToolTimeout")
			if e.Function != c.fn {
				t.Errorf("function %q, want %q", e.Function, c.fn)
			}
			refused(t, "time", fmt.Sprintf("raw poll_oneoff, 1 h clock, in %s (2 s tool timeout)", c.fn), err)
		})
	}
}

// The other ways of waiting in WASI do not block: stdin is empty and
// always ready.
func TestPollOnStdinDoesNotBlock(t *testing.T) {
	d, _ := json.Marshal(abi.Describe{ABI: abi.Version, Name: "stdin", Version: "0",
		Tools: []abi.Tool{{Name: "run", Description: "polls stdin", Parameters: json.RawMessage(`{"type":"object"}`)}}})
	src := fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "%s")
  (data (i32.const 128) "\22\72\65\61\64\79\22")
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "describe") (param i32 i32) (result i64) (i64.const %d))
  (func (export "call") (param i32 i32) (result i64)
    ;; subscription 0: fd_read on stdin (tag 1, fd 0); subscription 1: a 1 h clock
    (i32.store8 (i32.const 1032) (i32.const 1))
    (i64.store (i32.const 1096) (i64.const 3600000000000))
    (drop (call $poll (i32.const 1024) (i32.const 2048) (i32.const 2) (i32.const 3072)))
    ;; then read stdin: one iovec of 64 bytes at 3200
    (i32.store (i32.const 3100) (i32.const 3200))
    (i32.store (i32.const 3104) (i32.const 64))
    (drop (call $read (i32.const 0) (i32.const 3100) (i32.const 1) (i32.const 3108)))
    (i64.const %d)))`, watBytes(d), abi.Pack(256, uint32(len(d)), false), abi.Pack(128, 7, false))
	p := loadBytes(t, wasmtest.WAT(t, src), host.WithToolTimeout(waitBound))
	var out string
	var err error
	within(t, "poll on stdin", func() error { out, err = tool(t, p, "run", "{}"); return nil })
	if err != nil || out != `"ready"` {
		t.Fatalf("poll_oneoff on stdin and fd_read: %q, %v", out, err)
	}
	outcome(t, "time", "raw poll_oneoff on stdin with a 1 h clock, then fd_read of stdin", "returns at once: stdin is empty and always ready, reads EOF")
}

func TestCloseWakesASleepingCall(t *testing.T) {
	p, err := host.Load(context.Background(), sleeperGuest(t), host.WithCacheDir(cacheDir(t)), slowLoad, host.WithToolTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(shortTimeout, func() { p.Close(context.Background()) })
	var callErr error
	within(t, "call during Close", func() error { _, callErr = tool(t, p, "sleep", `{"ms":3600000}`); return nil })
	wantError(t, callErr, host.ReasonClosed)
	refused(t, "time", "Go guest: time.Sleep(1h) in a tool call (1 h timeout), plugin closed after 200 ms", callErr)
}

func TestExtismSleepIsStopped(t *testing.T) {
	p := load(t, extismSleeperGuest(t), slowLoad, host.WithToolTimeout(toolTimeout))
	var err error
	within(t, "Extism guest sleeping an hour", func() error {
		_, err = p.Call(context.Background(), "sleep", []byte("3600000"))
		return nil
	})
	wantTimeout(t, err, toolTimeout, "WithToolTimeout")
	refused(t, "time", "Extism Go guest: time.Sleep(1h) in an export (2 s tool timeout)", err)
	if out, err := p.Call(context.Background(), "sleep", []byte("1")); err != nil || string(out) != "awake" {
		t.Fatalf("next call: %q, %v", out, err)
	}

	// The same guest, sleeping in the _initialize the SDK runs before the
	// first call.
	q := load(t, extismSleeperGuest(t), slowLoad, host.WithToolTimeout(toolTimeout), host.WithConfig(map[string]string{"sleep_init": "1"}))
	within(t, "Extism _initialize sleeping an hour", func() error {
		_, err = q.Call(context.Background(), "sleep", []byte("1"))
		return nil
	})
	e := wantTimeout(t, err, toolTimeout, "WithToolTimeout")
	if e.Function != abi.ExportInitialize {
		t.Errorf("function %q, want %s", e.Function, abi.ExportInitialize)
	}
	refused(t, "time", "Extism Go guest: time.Sleep(1h) in init, i.e. _initialize (2 s tool timeout)", err)

	// And the SDK's own sleep plugin, told to sleep an hour.
	r := load(t, sdkPlugin(t, "sleep.wasm"), host.WithToolTimeout(toolTimeout), host.WithConfig(map[string]string{"duration": "3600"}))
	within(t, "go-sdk sleep.wasm", func() error { _, err = r.Call(context.Background(), "run_test", nil); return nil })
	wantTimeout(t, err, toolTimeout, "WithToolTimeout")
	refused(t, "time", "go-sdk wasm/sleep.wasm sleeping 3600 s (2 s tool timeout)", err)
}

func TestStoppedWaitsLeakNoGoroutines(t *testing.T) {
	native, extism := sleeperGuest(t), extismSleeperGuest(t)
	// Warm up what lives for the process (the compilation cache, the
	// runtime's own goroutines), then count.
	runWaits(t, native, extism)
	base := runtime.NumGoroutine()
	for range 3 {
		runWaits(t, native, extism)
	}
	var n int
	for range 300 { // up to 30 s for closed instances' goroutines to end
		if n = runtime.NumGoroutine(); n <= base+2 {
			t.Logf("goroutines: %d after the warm-up, %d after 3 more rounds of stopped waits", base, n)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("%d goroutines after stopped waits, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
}

// runWaits loads both sleepers, has each time out, be canceled and be
// closed asleep, and closes them.
func runWaits(t *testing.T, native, extism string) {
	t.Helper()
	ctx := context.Background()
	for _, path := range []string{native, extism} {
		p, err := host.Load(ctx, path, host.WithCacheDir(cacheDir(t)), slowLoad, host.WithToolTimeout(toolTimeout))
		if err != nil {
			t.Fatal(err)
		}
		call := func(ctx context.Context) error {
			if p.ABI() == host.ABINative {
				_, err := p.CallTool(ctx, abi.ToolCall{ID: "1", Name: "sleep", Arguments: json.RawMessage(`{"ms":3600000}`)})
				return err
			}
			_, err := p.Call(ctx, "sleep", []byte("3600000"))
			return err
		}
		if err := within(t, "timeout", func() error { return call(ctx) }); err == nil {
			t.Fatal("an hour's sleep succeeded")
		}
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		if err := within(t, "cancel", func() error { return call(cctx) }); err == nil {
			t.Fatal("an hour's sleep succeeded")
		}
		time.AfterFunc(50*time.Millisecond, func() { p.Close(ctx) })
		if err := within(t, "close", func() error { return call(ctx) }); err == nil {
			t.Fatal("an hour's sleep succeeded")
		}
		p.Close(ctx)
	}
}
