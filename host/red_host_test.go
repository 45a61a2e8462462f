package host_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Round two of the hostile review (issue 9): attacks on the plugin host
// that the first round did not try. Each asserts the promise, then records
// the attempt in the sandbox table.

// nativeWAT is a minimal llmhost/1 guest in WebAssembly text: extra holds
// its other fields (functions, data, a start section), and describe
// replies with the 64-byte describe at offset 0 unless extra defines a
// $describe of its own.
func nativeWAT(extra string) string {
	return `(module
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi\":\"llmhost/1\",\"name\":\"red\",\"tools\":[{\"name\":\"t\"}]}")
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "describe") (param i32 i32) (result i64) (i64.const 0x0000003700000000))
` + extra + `)`
}

// A start section runs when the module is instantiated: the host calls no
// start function of its own, but the WebAssembly one cannot be skipped.
// One that loops forever must fail Load at the start-up timeout, not hang.
func TestRedStartSectionLoopIsStopped(t *testing.T) {
	spin := `(func $spin (loop $l (br $l))) (start $spin)`
	for _, c := range []struct{ name, src string }{
		{"llmhost/1", nativeWAT(spin)},
		{"Extism", extismWAT(spin + `(func (export "run") (result i32) (i32.const 0))`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			wasm := wasmtest.WAT(t, c.src)
			var err error
			within(t, "Load of a module whose start function loops", func() error {
				_, err = host.LoadBytes(context.Background(), wasm, host.WithoutCache(), host.WithToolTimeout(shortTimeout))
				return nil
			})
			e := wantError(t, err, host.ReasonTimeout, shortTimeout.String(), "WithToolTimeout")
			if !strings.Contains(e.Message, "start-up") {
				t.Errorf("message %q does not say the start-up timed out", e.Message)
			}
			refused(t, "time", c.name+" guest: wasm start section loops forever (200 ms tool timeout)", err)
		})
	}
}

// Features wazero does not run are refused at Load with wazero's reason,
// never half-run: shared memory (and with it memory.atomic.wait, a
// blocking wait outside the waiter), memory64 and multiple memories.
func TestRedUnsupportedMemoriesRefusedAtLoad(t *testing.T) {
	for _, c := range []struct {
		name, src, flag, want string
	}{
		{"shared memory and memory.atomic.wait32", `(module
  (memory (export "memory") 1 1 shared)
  (func (export "wait") (result i32)
    (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))`, "--enable-threads", "threads"},
		{"memory64", `(module (memory (export "memory") i64 1) (func (export "f") (result i32) (i32.const 0)))`, "--enable-memory64", "memory"},
		{"two memories", `(module (memory (export "memory") 1) (memory $b 1) (func (export "f") (result i32) (i32.const 0)))`, "--enable-multi-memory", "memor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wasm := wasmtest.WAT(t, c.src, c.flag)
			_, err := host.LoadBytes(context.Background(), wasm, host.WithoutCache())
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), "load plugin") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say why (want %q)", err, c.want)
			}
			refused(t, "loading", "module with "+c.name, err)
		})
	}
}

// A guest that traps inside llmhost_alloc fails the call it was
// allocating for, with the trap; its instance is discarded and the next
// call gets a fresh one.
func TestRedTrapInAlloc(t *testing.T) {
	wasm := wasmtest.WAT(t, `(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 0) "{\"abi\":\"llmhost/1\",\"name\":\"red\",\"tools\":[{\"name\":\"t\"}]}")
  (data (i32.const 100) "\"ok\"")
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32)
    ;; the first allocation of every instance traps
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.eq (global.get $calls) (i32.const 1)) (then unreachable))
    (i32.const 4096))
  (func (export "describe") (param i32 i32) (result i64) (i64.const 0x0000003700000000))
  (func (export "call") (param i32 i32) (result i64) (i64.const 0x0000000400000064)))`)
	p := loadBytes(t, wasm)
	_, err := tool(t, p, "t", `{}`)
	wantError(t, err, host.ReasonTrap, "unreachable")
	refused(t, "traps", "llmhost_alloc traps", err)
	if s := p.Stats(); s.Discarded != 1 {
		t.Errorf("the instance that trapped in llmhost_alloc was not discarded: %+v", s)
	}
	// The next instance traps in its first allocation too: the host
	// survives every one, and the plugin stays loaded.
	_, err = tool(t, p, "t", `{}`)
	wantError(t, err, host.ReasonTrap, "unreachable")
}

// An already canceled context fails the call before any guest runs, and
// costs no instance: a warm one is not thrown away for it.
func TestRedCanceledContextCostsNoInstance(t *testing.T) {
	wasm := wasmtest.WAT(t, nativeWAT(`
  (data (i32.const 100) "\"ok\"")
  (func (export "call") (param i32 i32) (result i64) (i64.const 0x0000000400000064))`))
	p := loadBytes(t, wasm)
	mustTool(t, p, "t", `{}`)
	before := p.Stats()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		_, err := p.Call(ctx, "call", []byte(`{}`))
		wantError(t, err, host.ReasonCanceled)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("errors.Is(%v, context.Canceled) = false", err)
		}
	}
	after := p.Stats()
	if after.Created != before.Created || after.Discarded != before.Discarded {
		t.Errorf("calls with a canceled context cost instances: before %+v, after %+v", before, after)
	}
	_, err := p.Call(ctx, "call", nil)
	refused(t, "concurrency", "20 calls with a context canceled before the call", err)
}

// spinner is a native guest whose tool loops forever.
func spinner(t *testing.T) []byte {
	return wasmtest.WAT(t, nativeWAT(`
  (func (export "call") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0))`))
}

// With one instance, a call that never ends holds it: the calls waiting
// for it end at their own deadline, with an error that names the bound
// and the Option that changes it, and wraps context.DeadlineExceeded.
func TestRedWaitersForABusyInstanceEndAtTheirDeadline(t *testing.T) {
	p := loadBytes(t, spinner(t), host.WithMaxInstances(1), host.WithToolTimeout(10*time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	busy := make(chan error, 1)
	go func() {
		close(started)
		_, err := p.Call(ctx, "call", []byte(`{}`))
		busy <- err
	}()
	<-started
	// Wait until the spinning call holds the instance.
	for deadline := time.Now().Add(waitBound); p.Stats().InUse != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the spinning call never started: %+v", p.Stats())
		}
	}
	var err error
	within(t, "a call waiting for the one busy instance", func() error {
		wctx, wcancel := context.WithTimeout(context.Background(), shortTimeout)
		defer wcancel()
		_, err = p.Call(wctx, "call", []byte(`{}`))
		return nil
	})
	e := wantError(t, err, host.ReasonTimeout, "WithMaxInstances", "1 instance")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", e)
	}
	refused(t, "concurrency", "a call waits for the one instance a never-ending call holds (WithMaxInstances(1))", err)
	cancel()
	within(t, "the spinning call, canceled", func() error { err = <-busy; return nil })
	wantError(t, err, host.ReasonCanceled)
}

// Close while 100 calls wait for the one instance a never-ending call
// holds: every call, the running one and the waiting ones, ends with
// ReasonClosed, and Close returns.
func TestRedCloseReleasesEveryWaiter(t *testing.T) {
	p, err := host.LoadBytes(context.Background(), spinner(t), host.WithoutCache(), host.WithMaxInstances(1), host.WithToolTimeout(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	const waiters = 100
	errs := make(chan error, waiters+1)
	var wg sync.WaitGroup
	for range waiters + 1 {
		wg.Go(func() {
			_, err := p.Call(context.Background(), "call", []byte(`{}`))
			errs <- err
		})
	}
	for deadline := time.Now().Add(waitBound); p.Stats().InUse != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the spinning call never started: %+v", p.Stats())
		}
	}
	within(t, "Close with 100 calls waiting", func() error { return p.Close(context.Background()) })
	within(t, "the calls after Close", func() error { wg.Wait(); return nil })
	close(errs)
	n := 0
	for err := range errs {
		wantError(t, err, host.ReasonClosed)
		n++
	}
	if n != waiters+1 {
		t.Fatalf("%d calls returned, want %d", n, waiters+1)
	}
	if s := p.Stats(); s.InUse != 0 {
		t.Errorf("after Close: %+v", s)
	}
	outcome(t, "concurrency", fmt.Sprintf("Close while %d calls wait for the one instance a never-ending call holds", waiters), "refused: every call ends with `closed`, Close returns")
}

// extismWAT is an Extism guest in WebAssembly text, importing the kernel
// functions the attacks use.
func extismWAT(body string) string {
	return `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (memory (export "memory") 1)
` + body + `)`
}

// An Extism guest's error_set message is its reply: it is held to the
// output cap, like a native guest's error reply, and never becomes an
// error message of tens of megabytes.
func TestRedExtismHugeErrorSetIsCapped(t *testing.T) {
	wasm := wasmtest.WAT(t, extismWAT(`
  (func (export "fail") (result i32)
    (call $error_set (call $alloc (i64.const 0x2000000))) ;; 32 MiB, never written
    (i32.const 1))`))
	p := loadBytes(t, wasm, host.WithMaxOutput(1<<20))
	_, err := p.Call(context.Background(), "fail", nil)
	e := wantError(t, err, host.ReasonOutputTooLarge, "32MiB", "1MiB output cap", "WithMaxOutput")
	if len(e.Message) > 4096 || len(err.Error()) > 4096 {
		t.Errorf("the error is %d bytes (message %d)", len(err.Error()), len(e.Message))
	}
	refused(t, "output", "Extism guest sets a 32 MiB error (1 MiB output cap)", err)
}

// output_set of more than the cap fails the call and names the cap.
func TestRedExtismHugeOutputSetIsCapped(t *testing.T) {
	wasm := wasmtest.WAT(t, extismWAT(`
  (func (export "big") (result i32)
    (call $output_set (call $alloc (i64.const 0x2000000)) (i64.const 0x2000000))
    (i32.const 0))
  (func (export "lie") (result i32)
    ;; claims 1 GiB at a 16-byte block
    (call $output_set (call $alloc (i64.const 16)) (i64.const 0x40000000))
    (i32.const 0))`))
	p := loadBytes(t, wasm, host.WithMaxOutput(1<<20))
	_, err := p.Call(context.Background(), "big", nil)
	wantError(t, err, host.ReasonOutputTooLarge, "1MiB output cap", "WithMaxOutput")
	refused(t, "output", "Extism guest output_set of 32 MiB (1 MiB output cap)", err)
	_, err = p.Call(context.Background(), "lie", nil)
	if err == nil {
		t.Fatal("output_set claiming 1 GiB past its block succeeded")
	}
	refused(t, "output", "Extism guest output_set claims 1 GiB from a 16-byte block", err)
}

// The Extism kernel bounds what a guest reads of its input and allocates.
func TestRedExtismKernelBounds(t *testing.T) {
	wasm := wasmtest.WAT(t, extismWAT(`
  (func (export "oob") (result i32)
    (drop (call $input_load_u64 (i64.const 0x7ffffffffffffff0)))
    (drop (call $input_load_u8 (i64.const -1)))
    (i32.const 0))
  (func (export "huge") (result i32)
    ;; 2^40 bytes from the kernel: it must say no (0), not grow the host
    (if (i64.ne (call $alloc (i64.const 0x10000000000)) (i64.const 0)) (then (return (i32.const 9))))
    (i32.const 0))
  (func (export "vars") (result i32) (local $i i32) (local $k i64)
    ;; a var store flood: 1,000 values of 4 KiB each (the store holds 1 MiB)
    (loop $l
      (local.set $k (call $alloc (i64.const 8)))
      (call $store_u8 (local.get $k) (i32.add (i32.const 65) (i32.rem_u (local.get $i) (i32.const 26))))
      (call $store_u8 (i64.add (local.get $k) (i64.const 1)) (i32.add (i32.const 65) (i32.div_u (local.get $i) (i32.const 26))))
      (call $store_u8 (i64.add (local.get $k) (i64.const 2)) (i32.add (i32.const 65) (i32.div_u (local.get $i) (i32.const 676))))
      (call $var_set (local.get $k) (call $alloc (i64.const 4096)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
    (i32.const 0))
  (func (export "logs") (result i32) (local $i i32) (local $m i64)
    (local.set $m (call $alloc (i64.const 0x100000)))
    (loop $l
      (call $log_error (local.get $m))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 200))))
    (i32.const 0))
  (func (export "config") (result i32) (local $k i64)
    (local.set $k (call $alloc (i64.const 4)))
    (call $store_u8 (local.get $k) (i32.const 72)) ;; "HOME"
    (call $store_u8 (i64.add (local.get $k) (i64.const 1)) (i32.const 79))
    (call $store_u8 (i64.add (local.get $k) (i64.const 2)) (i32.const 77))
    (call $store_u8 (i64.add (local.get $k) (i64.const 3)) (i32.const 69))
    (if (i64.ne (call $config_get (local.get $k)) (i64.const 0)) (then (return (i32.const 7))))
    (i32.const 0))`))
	p := loadBytes(t, wasm, host.WithConfig(map[string]string{"granted": "yes"}))
	ctx := context.Background()
	_, err := p.Call(ctx, "oob", []byte("tiny"))
	if err != nil {
		var e *host.Error
		if !errors.As(err, &e) || (e.Reason != host.ReasonTrap && e.Reason != host.ReasonGuestError) {
			t.Fatalf("input_load out of bounds: %v", err)
		}
	}
	outcome(t, "input", "Extism guest input_load_u64/u8 far past its 4-byte input", fmt.Sprintf("contained: %v", errOrOK(err)))
	if _, err := p.Call(ctx, "huge", nil); err != nil {
		t.Errorf("alloc of 1 TiB: %v", err)
	}
	outcome(t, "memory", "Extism guest asks the kernel for 1 TiB", "refused: the kernel's alloc returns 0")
	_, err = p.Call(ctx, "vars", nil)
	if err == nil {
		t.Fatal("a 4 MiB var store flood succeeded")
	}
	refused(t, "memory", "Extism guest var_set flood: 1,000 values of 4 KiB", err)
	if _, err := p.Call(ctx, "logs", nil); err != nil {
		t.Errorf("log flood: %v", err)
	}
	outcome(t, "output", "Extism guest logs 200 messages of 1 MiB", "contained: dropped (the SDK's log level is off)")
	if _, err := p.Call(ctx, "config", nil); err != nil {
		t.Errorf("config_get of an ungranted key: %v", err)
	}
	outcome(t, "environment", "Extism guest config_get of the ungranted key HOME", "refused: no value (0)")
}

func errOrOK(err error) string {
	if err == nil {
		return "the reads return 0"
	}
	return err.Error()
}

// A guest that writes 1 GiB to stdout and 1 GiB to stderr, then fails:
// stdout is discarded, the error keeps the first 64 KiB of stderr and says
// how much was dropped, and the host's memory holds neither.
func TestRedOutputFloods(t *testing.T) {
	wasm := wasmtest.WAT(t, `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 17)
  (data (i32.const 0) "{\"abi\":\"llmhost/1\",\"name\":\"red\",\"tools\":[{\"name\":\"t\"}]}")
  (data (i32.const 100) "boom")
  ;; an iovec at 200: 1 MiB at 65536
  (data (i32.const 200) "\00\00\01\00\00\00\10\00")
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "describe") (param i32 i32) (result i64) (i64.const 0x0000003700000000))
  (func $flood (param $fd i32) (local $i i32)
    (loop $l
      (drop (call $fd_write (local.get $fd) (i32.const 200) (i32.const 1) (i32.const 300)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1024)))))
  (func (export "call") (param i32 i32) (result i64)
    (call $flood (i32.const 1))
    (call $flood (i32.const 2))
    ;; and a descriptor never opened
    (drop (call $fd_write (i32.const 99) (i32.const 200) (i32.const 1) (i32.const 300)))
    ;; an error reply: "boom"
    (i64.const 0x8000000400000064)))`)
	p := loadBytes(t, wasm, host.WithToolTimeout(time.Minute))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var err error
	within(t, "a call writing 2 GiB", func() error { _, err = tool(t, p, "t", `{}`); return nil })
	runtime.ReadMemStats(&after)
	e := wantError(t, err, host.ReasonGuestError, "boom")
	if len(e.Stderr) > host.DefaultMaxStderr+100 || !strings.Contains(e.Stderr, "of stderr dropped") {
		t.Errorf("stderr kept: %d bytes, ending %q", len(e.Stderr), e.Stderr[max(0, len(e.Stderr)-60):])
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("writing 2 GiB cost the host %d MB", got>>20)
	}
	outcome(t, "output", "guest writes 1 GiB to stdout and 1 GiB to stderr, then fails", "contained: stdout discarded, 64 KiB of stderr kept in the error, the rest counted")
}

// Exports with the right names and the wrong signatures: a native guest
// is refused at Load, naming the export and the signature wanted; an
// Extism or plain export that takes parameters cannot be called the
// Extism way, and the call fails without blaming the guest's own error.
func TestRedWrongSignatures(t *testing.T) {
	wasm := wasmtest.WAT(t, `(module
  (memory (export "memory") 1)
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "describe") (param i32 i32) (result i64) (i64.const 0))
  (func (export "call") (param i32 i32) (result i32) (i32.const 0)))`)
	_, err := host.LoadBytes(context.Background(), wasm, host.WithoutCache())
	if err == nil || !strings.Contains(err.Error(), "call has the signature (i32, i32) -> (i32), want (i32, i32) -> i64") {
		t.Fatalf("Load: %v", err)
	}
	refused(t, "exports", "llmhost/1 guest whose call returns i32", err)

	plain := wasmtest.WAT(t, `(module
  (memory (export "memory") 1)
  (func (export "takes") (param i32 i64) (result i32) (i32.const 0))
  (func (export "gives") (result i64 i64) (i64.const 0) (i64.const 0)))`)
	p := loadBytes(t, plain)
	for _, fn := range []string{"takes", "gives"} {
		_, err := p.Call(context.Background(), fn, nil)
		if err == nil {
			t.Fatalf("%s succeeded", fn)
		}
		var e *host.Error
		if !errors.As(err, &e) || e.Reason != host.ReasonMissingExport {
			t.Errorf("%s: %v: a signature the host cannot call is not the guest's reported error", fn, err)
		}
		refused(t, "exports", "plain module export "+fn+" with a signature Extism cannot call", err)
	}
}

// A start section or _initialize that grows memory past the limit, then
// traps on the failure: Load fails with ReasonMemoryLimit, naming the
// limit and its Option, not with the trap.
func TestRedGrowAtStartUp(t *testing.T) {
	grow := `(func $grow (if (i32.eq (memory.grow (i32.const 2000)) (i32.const -1)) (then unreachable)))`
	for _, c := range []struct{ name, src string }{
		{"start section", nativeWAT(grow + `(start $grow)`)},
		{"_initialize", nativeWAT(grow + `(export "_initialize" (func $grow))`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := host.LoadBytes(context.Background(), wasmtest.WAT(t, c.src), host.WithoutCache(), host.WithMaxMemory(16<<20))
			wantError(t, err, host.ReasonMemoryLimit, "16MiB memory limit", "WithMaxMemory")
			refused(t, "memory", c.name+" grows memory past the 16 MiB limit, then traps", err)
		})
	}
}
