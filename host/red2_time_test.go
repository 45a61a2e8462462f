package host_test

import (
	"context"
	"testing"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Second red-team pass on time: poll_oneoff abused by an Extism guest.

const pollModule = `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (memory (export "memory") 1)
  ;; a clock subscription of 1 ns at 0 (type 0 at 8, clock id at 16, timeout at 24)
  (data (i32.const 24) "\01")
  ;; 0x05555556 subscriptions: 48 times that wraps to 32 bytes in uint32
  (func (export "overflow") (result i32)
    (call $poll (i32.const 0) (i32.const 1024) (i32.const 0x05555556) (i32.const 2048)))
  ;; 1 ns sleeps, forever: the CPU burn must end at the timeout
  (func (export "burn") (result i32)
    (loop $l (drop (call $poll (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 2048))) (br $l))
    (i32.const 0))
  ;; clock_time_get of every id, writing past the end of memory
  (func (export "clock") (result i32)
    (i32.or
      (i32.or (call $clock (i32.const 9) (i64.const 0) (i32.const 0))
              (call $clock (i32.const 0) (i64.const 0) (i32.const 65535)))
      (call $clock (i32.const 1) (i64.const -1) (i32.const -8))))
  (func (export "ok") (result i32) (i32.const 0)))`

func TestPollOneoffAbuseIsContained(t *testing.T) {
	p := loadBytes(t, wasmtest.WAT(t, pollModule), host.WithToolTimeout(shortTimeout))
	ctx := context.Background()

	err := within(t, "poll_oneoff with a subscription count whose size wraps", func() error { _, err := p.Call(ctx, "overflow", nil); return err })
	if err == nil {
		t.Fatal("poll_oneoff with 0x05555556 subscriptions succeeded")
	}
	t.Logf("wrapped poll_oneoff: %v", err)
	refused(t, "time", "poll_oneoff with 0x05555556 subscriptions (48 times it wraps to 32 bytes)", err)
	if _, err := p.Call(ctx, "ok", nil); err != nil {
		t.Fatalf("the host after the wrapped poll_oneoff: %v", err)
	}

	err = within(t, "a loop of 1 ns sleeps", func() error { _, err := p.Call(ctx, "burn", nil); return err })
	wantError(t, err, host.ReasonTimeout)
	refused(t, "time", "a loop of 1 ns poll_oneoff sleeps, forever (CPU burn)", err)

	_, err = p.Call(ctx, "clock", nil)
	if err == nil {
		t.Fatal("clock_time_get of a bad id and out of memory returned 0")
	}
	t.Logf("clock_time_get: %v", err)
	refused(t, "time", "clock_time_get of an unknown clock id and into the end of memory", err)
	if _, err := p.Call(ctx, "ok", nil); err != nil {
		t.Fatalf("the host after the attacks: %v", err)
	}
}
