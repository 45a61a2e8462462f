package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Hostile inputs to the CLI (issue 9, round 2): each flag at its edges,
// --json on every failure, hostile plugins under --timeout, Ctrl-C.

// watBytes writes s as a WebAssembly text string, every byte escaped.
func watBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\%02x`, s[i])
	}
	return b.String()
}

// nativeWAT is an llmhost/1 guest whose exports answer fixed replies:
// describe answers describe, and each name of replies answers its value.
// start, if not empty, is the body of _initialize.
func nativeWAT(t *testing.T, describe string, replies map[string]string, start string) string {
	t.Helper()
	var funcs, data strings.Builder
	at := 1024
	reply := func(name, body string) {
		fmt.Fprintf(&data, "  (data (i32.const %d) \"%s\")\n", at, watBytes(body))
		fmt.Fprintf(&funcs, "  (func (export %q) (param i32 i32) (result i64) (i64.const %d))\n", name, uint64(len(body))<<32|uint64(at))
		at += len(body) + 16
	}
	reply("describe", describe)
	for name, body := range replies {
		reply(name, body)
	}
	if start != "" {
		fmt.Fprintf(&funcs, "  (func (export \"_initialize\") %s)\n", start)
	}
	src := fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") %d)
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const %d))
%s%s)`, at/65536+2, (at/65536+1)*65536, funcs.String(), data.String())
	path := filepath.Join(t.TempDir(), "hostile.wasm")
	if err := os.WriteFile(path, wasmtest.WAT(t, src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Start-ups that never end: one waits an hour in poll_oneoff (a clock
// subscription at address 0), one spins.
const (
	startSleeps = `(i32.store8 (i32.const 8) (i32.const 0)) (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3600000000000))
    (drop (call $poll (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 256)))`
	startSpins = `(loop $l (br $l))`
)

const toolDescribe = `{"abi":"llmhost/1","name":"hostile","tools":[{"name":"t","parameters":{"type":"object"}}]}`

// within fails the test if code takes longer than a generous bound: a
// bound missed is a hang, not a slow machine.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: still running after 60s", what)
	}
}

// TestRedCallFlagsOutOfRange: values no call can honour are usage errors
// naming the flag, and nothing is sent (a negative --timeout was taken as
// none, a negative --max-steps as 1, NaN as a temperature was sent, and a
// file: --base-url was a bad_request of exit 12).
func TestRedCallFlagsOutOfRange(t *testing.T) {
	s := fault(t, faultserver.Always(faultserver.Text("never")))
	for _, c := range []struct{ flag, value string }{
		{"--retries", "-1"},
		{"--parse-retries", "-1"},
		{"--max-steps", "0"},
		{"--max-steps", "-5"},
		{"--max-tokens", "-1"},
		{"--timeout", "-1s"},
		{"--temperature", "NaN"},
		{"--temperature", "+Inf"},
		{"--temperature", "-0.5"},
		{"--max-input", "0"},
		{"--max-input", "1e99GiB"},
		{"--max-input", "-1"},
		{"--format-mode", "xml"},
		{"--base-url", ""},
		{"--base-url", "file:///etc/passwd"},
		{"--base-url", "ftp://example.com/v1"},
		{"--base-url", "http://"},
	} {
		code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), c.flag, c.value, "hi")
		if code != exitUsage || out != "" || !strings.Contains(errs, c.flag) {
			t.Errorf("%s %s: exit %d, stdout %q, stderr %q: want a usage error naming %s", c.flag, c.value, code, out, errs, c.flag)
		}
	}
	if n := len(s.Requests("gpt-4o-mini")); n != 0 {
		t.Errorf("%d requests were sent with flags out of range", n)
	}
}

// TestRedJSONOnEveryFailure: `call --json` prints exactly one JSON object
// on stdout and nothing on stderr, with the documented exit status, for
// failures before the call too: a bad flag (before or after --json), a bad
// value, no model, no prompt, a plugin that does not load. They printed
// nothing on stdout.
func TestRedJSONOnEveryFailure(t *testing.T) {
	t.Setenv("LLMHOST_MODEL", "")
	t.Setenv("OPENAI_API_KEY", "sk-test")
	notWasm := filepath.Join(t.TempDir(), "tool.wasm")
	os.WriteFile(notWasm, []byte("#!/bin/sh\n"), 0o644)
	m := []string{"--model", "openai/gpt-4o-mini", "--base-url", "http://127.0.0.1:9/v1"}
	for _, c := range []struct {
		args []string
		kind string
		code int
	}{
		{append([]string{"call", "--json", "--no-such-flag"}, append(m, "hi")...), "usage", exitUsage},
		{append([]string{"call", "--no-such-flag", "--json"}, append(m, "hi")...), "usage", exitUsage},
		{append([]string{"call", "--json", "--retries", "many"}, append(m, "hi")...), "usage", exitUsage},
		{append([]string{"call", "--json", "--retries", "-3"}, append(m, "hi")...), "usage", exitUsage},
		{[]string{"call", "--json", "hi"}, "usage", exitUsage},
		{append([]string{"call", "--json"}, m...), "usage", exitUsage},
		{append([]string{"call", "--json", "--schema", "/no/such.json"}, append(m, "hi")...), "usage", exitUsage},
		{append([]string{"call", "--json", "--tool", notWasm}, append(m, "hi")...), "plugin_load", exitPluginLoad},
		{append([]string{"call", "--json=true", "--tool", "/no/such.wasm"}, append(m, "hi")...), "plugin_load", exitPluginLoad},
	} {
		code, out, errs := cli(t, "", c.args...)
		r := jsonResult(t, out)
		e, _ := r["error"].(map[string]any)
		if code != c.code || e["kind"] != c.kind || e["message"] == "" || errs != "" {
			t.Errorf("%v: exit %d (want %d), error %v (want kind %s), stderr %q", c.args, code, c.code, e, c.kind, errs)
		}
	}
	// A value of another flag that reads "--json" is that flag's value:
	// no JSON is asked for.
	code, out, _ := cli(t, "", "call", "--system", "--json", "--retries", "x", "hi")
	if code != exitUsage || out != "" {
		t.Errorf("--system --json: exit %d, stdout %q", code, out)
	}
}

// TestRedJSONOnPanic: a panic in a command still ends in one JSON object
// and exit 1, not a Go stack trace in place of the contract.
func TestRedJSONOnPanic(t *testing.T) {
	root := &cobra.Command{Use: "llmhost", SilenceUsage: true, SilenceErrors: true}
	call := &cobra.Command{Use: "call", RunE: func(*cobra.Command, []string) error { panic("boom") }}
	call.Flags().Bool("json", false, "")
	root.AddCommand(call)
	args := []string{"call", "--json"}
	root.SetArgs(args)
	cmd, err := execute(context.Background(), root)
	if err == nil || !wantsJSON(root, cmd, args, err) {
		t.Fatalf("err %v: a panic must be an error, and --json still asked for", err)
	}
	var out bytes.Buffer
	if werr := newResult("", nil, err).write(&out); werr != nil {
		t.Fatal(werr)
	}
	e := jsonResult(t, out.String())["error"].(map[string]any)
	if e["kind"] != "internal" || !strings.Contains(e["message"].(string), "boom") || exitCode(err) != exitFailure {
		t.Errorf("error %v, exit %d", e, exitCode(err))
	}
}

// TestRedSandboxFlagsAtTheirEdges: every sandbox flag's bad value is a
// usage error naming it, found before the plugin loads. --max-memory 0
// and a file for --allow-path were load errors (exit 51) naming no flag;
// "DIR:/x:rw" granted a read-only directory the guest saw as "/x:rw";
// --config k=1 --config k=2 kept one silently.
func TestRedSandboxFlagsAtTheirEdges(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct{ flag, value string }{
		{"--max-memory", "0"},
		{"--max-memory", "65535"},
		{"--max-memory", "-1MiB"},
		{"--max-memory", "1e99GiB"},
		{"--max-memory", "99999999999GiB"},
		{"--max-input", "0"},
		{"--timeout", "-1s"},
		{"--config", "novalue"},
		{"--config", "=v"},
		{"--allow-host", ""},
		{"--allow-path", ""},
		{"--allow-path", file},
		{"--allow-path", dir + "/nonexistent"},
		{"--allow-path", dir + ":relative"},
		{"--allow-path", dir + ":"},
		{"--allow-path", dir + ":/data:rw"},
	} {
		for _, cmd := range [][]string{{"plugin", "call", calc, "call"}, {"plugin", "inspect", calc}} {
			if c.flag == "--max-input" && cmd[1] == "inspect" {
				continue
			}
			code, out, errs := cli(t, "", append(cmd, c.flag, c.value)...)
			if code != exitUsage || out != "" || !strings.Contains(errs, c.flag) {
				t.Errorf("%s %s %q: exit %d, stdout %q, stderr %q: want a usage error naming %s", cmd[1], c.flag, c.value, code, out, errs, c.flag)
			}
		}
	}
	code, _, errs := cli(t, "", "plugin", "call", calc, "call", "--config", "k=1", "--config", "k=2", "{}")
	if code != exitUsage || !strings.Contains(errs, `"1"`) || !strings.Contains(errs, `"2"`) {
		t.Errorf("a key given twice: exit %d, stderr %q: want a usage error naming both values", code, errs)
	}
	// A relative directory is granted, seen at its absolute path.
	t.Chdir(dir)
	add := `{"name":"add","arguments":{"a":1,"b":2}}`
	code, out, errs := cli(t, "", "plugin", "call", calc, "call", "--allow-path", ".", add)
	if code != 0 || strings.TrimSpace(out) != "3" {
		t.Errorf("--allow-path .: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestRedStartUpBoundedByTimeout: a plugin whose start-up never ends (an
// hour in poll_oneoff, or a loop) is stopped at --timeout by plugin
// inspect (which had no --timeout), plugin call, and call --tool, with an
// error that names --timeout.
func TestRedStartUpBoundedByTimeout(t *testing.T) {
	s := fault(t, faultserver.Always(faultserver.Text("never")))
	for name, start := range map[string]string{"sleeps": startSleeps, "spins": startSpins} {
		wasm := nativeWAT(t, toolDescribe, map[string]string{"call": `"ok"`}, start)
		for _, c := range []struct {
			args []string
			code int
		}{
			{[]string{"plugin", "inspect", "--timeout", "200ms", wasm}, exitPluginLoad},
			{[]string{"plugin", "call", "--timeout", "200ms", wasm, "call", "{}"}, exitPluginLoad},
			{[]string{"call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--timeout", "300ms", "--tool", wasm, "hi"}, 16},
		} {
			var code int
			var errs string
			within(t, name+" "+c.args[0]+" "+c.args[1], func() { code, _, errs = cli(t, "", c.args...) })
			if code != c.code || !strings.Contains(errs, "--timeout") {
				t.Errorf("start-up %s, %v: exit %d (want %d), stderr %q: want an error naming --timeout", name, c.args[:2], code, c.code, errs)
			}
		}
	}
	if n := len(s.Requests("gpt-4o-mini")); n != 0 {
		t.Errorf("%d requests sent while the tool never loaded", n)
	}
}

// TestRedPluginCallMissingExport: calling a function the plugin does not
// export is the "missing export" of exit 51, and the error lists what it
// does export.
func TestRedPluginCallMissingExport(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	code, out, errs := cli(t, "", "plugin", "call", calc, "no_such_export", "{}")
	if code != exitPluginLoad || out != "" || !strings.Contains(errs, "no_such_export") || !strings.Contains(errs, "describe") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestRedRetryPluginThatAlwaysRetries: a retry strategy that answers
// "retry now" forever, or with a delay of 1e300 ms, or -1, is held to
// --retries, and the call ends with retries_exhausted listing each
// attempt.
func TestRedRetryPluginThatAlwaysRetries(t *testing.T) {
	describe := `{"abi":"llmhost/1","name":"always","retry":true}`
	for _, decision := range []string{
		`{"action":"retry","delay_ms":0}`,
		`{"action":"retry","delay_ms":1e300}`,
		`{"action":"retry","delay_ms":-1}`,
		`{"action":"retry","delay_ms":"NaN"}`,
	} {
		wasm := nativeWAT(t, describe, map[string]string{"decide": decision}, "")
		s := fault(t, faultserver.Always(faultserver.Fail(503)))
		var code int
		var out, errs string
		within(t, decision, func() {
			code, out, errs = cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(),
				"--retries", "2", "--retry-plugin", wasm, "--timeout", "20s", "--json", "hi")
		})
		r := jsonResult(t, out)
		e, _ := r["error"].(map[string]any)
		if code != 40 || e["kind"] != "retries_exhausted" || len(r["attempts"].([]any)) != 3 || len(s.Requests("gpt-4o-mini")) != 3 {
			t.Errorf("%s: exit %d, error %v, %d attempts, %d requests (stderr %q): want retries_exhausted after 3",
				decision, code, e, len(r["attempts"].([]any)), len(s.Requests("gpt-4o-mini")), errs)
		}
	}
}

// TestRedParserThatAnswersTooMuch: a parser plugin whose reply is over the
// 8 MiB output cap fails the call with a parse error naming the cap, and
// the answer is kept in the JSON result.
func TestRedParserThatAnswersTooMuch(t *testing.T) {
	// parse answers 8 MiB + 1 bytes of its memory, past the output cap.
	wasm := filepath.Join(t.TempDir(), "big.wasm")
	desc := `{"abi":"llmhost/1","name":"big","parsers":[{"name":"big"}]}`
	src := fmt.Sprintf(`(module
  (memory (export "memory") 160)
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 9437184))
  (func (export "describe") (param i32 i32) (result i64) (i64.const %d))
  (func (export "parse") (param i32 i32) (result i64) (i64.const %d))
  (data (i32.const 0) "%s"))`, uint64(len(desc))<<32, uint64(8<<20+1)<<32, watBytes(desc))
	os.WriteFile(wasm, wasmtest.WAT(t, src), 0o644)
	s := fault(t, faultserver.Always(faultserver.Text(`{"n":1}`)))
	var code int
	var out, errs string
	within(t, "parser", func() {
		code, out, errs = cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--parser", wasm,
			"--parse-retries", "1", "--json", "n?")
	})
	r := jsonResult(t, out)
	e, _ := r["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if code != 20 || e["kind"] != "parse" || !strings.Contains(msg, "8MiB") || r["text"] != `{"n":1}` {
		t.Errorf("exit %d, error %v, text %v (stderr %q): want a parse error naming the 8MiB cap, the answer kept", code, e, r["text"], errs)
	}
}

// signalWriter is a stdout that reports when want has been written.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRedInterrupt: Ctrl-C (the context canceled) during a stream that
// stalls ends the call at once with exit 130, the text already printed
// kept; with --json, the one object says "interrupted". It ended with
// exit 1 and no word of the interrupt.
func TestRedInterrupt(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		s := fault(t, faultserver.Stall("The partial answer", 0))
		args := []string{"call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--retries", "0", "--stream", "hi"}
		want := "The partial answer"
		if asJSON {
			args = append(args, "--json")
		}
		ctx, cancel := context.WithCancel(context.Background())
		out := &signalWriter{want: want, seen: make(chan struct{})}
		var errb bytes.Buffer
		code := -1
		done := make(chan struct{})
		go func() { defer close(done); code = run(ctx, args, strings.NewReader(""), out, &errb) }()
		if asJSON {
			// Nothing is printed before the object: wait for the request.
			for len(s.Requests("gpt-4o-mini")) == 0 {
				select {
				case <-done:
					t.Fatalf("ended before the request: exit %d, %s", code, errb.String())
				case <-time.After(5 * time.Millisecond):
				}
			}
			time.Sleep(50 * time.Millisecond)
		} else {
			select {
			case <-out.seen:
			case <-done:
				t.Fatalf("ended before the partial text: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
			case <-time.After(60 * time.Second):
				t.Fatal("the partial text never arrived")
			}
		}
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("the call did not end after the interrupt")
		}
		if code != exitInterrupted {
			t.Errorf("json=%v: exit %d, want %d (stderr %q)", asJSON, code, exitInterrupted, errb.String())
		}
		if asJSON {
			r := jsonResult(t, out.String())
			if e, _ := r["error"].(map[string]any); e["kind"] != "interrupted" {
				t.Errorf("--json error = %v, want kind interrupted", e)
			}
		} else if !strings.Contains(out.String(), want) || !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("stdout %q, stderr %q: want the partial text kept and the interrupt named", out.String(), errb.String())
		}
	}
}

// TestRedPluginLimitsNameTheirFlags: a plugin call stopped at a sandbox
// limit names the CLI flag that changes it, not only the host Option a CLI
// user cannot reach; a malformed input to a pdk guest is its error reply,
// not a trap.
func TestRedPluginLimitsNameTheirFlags(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	code, _, errs := cli(t, "", "plugin", "call", calc, "call", "--max-input", "1KiB", strings.Repeat("a", 2000))
	if code != exitPlugin || !strings.Contains(errs, "input_too_large") || !strings.Contains(errs, "--max-input") {
		t.Errorf("an input over --max-input: exit %d, stderr %q", code, errs)
	}
	// 20 MB of input into a 16 MiB guest: its allocator fails, the host
	// reports the memory limit.
	code, _, errs = cli(t, strings.Repeat("a", 20<<20), "plugin", "call", calc, "call", "--max-input", "1GiB", "--max-memory", "16MiB", "-")
	if code != exitPlugin || !strings.Contains(errs, "memory_limit") || !strings.Contains(errs, "--max-memory") {
		t.Errorf("an input over the memory: exit %d, stderr %.300q", code, errs)
	}
	code, _, errs = cli(t, "", "plugin", "call", calc, "call", `{"name": "add", "arguments": [1, 2`)
	if code != exitPlugin || !strings.Contains(errs, "guest_error") || !strings.Contains(errs, "malformed") {
		t.Errorf("a malformed input: exit %d, stderr %q: want the guest's error reply", code, errs)
	}
}

// TestRedJSONKeepsWhatArrived: a stream cut after some text, with no
// retries left, ends in one JSON object whose text keeps the part that
// arrived, as README promises ("whatever arrived before the failure is
// kept").
func TestRedJSONKeepsWhatArrived(t *testing.T) {
	for _, stream := range []bool{false, true} {
		s := fault(t, faultserver.Cut("The first half"))
		args := []string{"call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--retries", "0", "--json", "hi"}
		if stream {
			args = append(args, "--stream")
		}
		code, out, errs := cli(t, "", args...)
		r := jsonResult(t, out)
		if code == 0 || r["error"] == nil {
			t.Errorf("stream=%v: exit %d, %s (stderr %q): want a failure", stream, code, out, errs)
		}
		if stream && !strings.Contains(r["text"].(string), "The first half") {
			t.Errorf("stream=%v: text %q: want the part that arrived", stream, r["text"])
		}
	}
}

// TestRedUnknownCommandsAreUsageErrors: a mistyped command is exit 2, as
// README's table says of bad arguments (it was 1, or a page of help with
// exit 0 under plugin), and the hint names the command's own help.
func TestRedUnknownCommandsAreUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		hint string
	}{
		{[]string{"nosuchcmd"}, "llmhost --help"},
		{[]string{"plugin", "nosuch"}, "llmhost plugin --help"},
		{[]string{"plugin", "call"}, "llmhost plugin call --help"},
		{[]string{"plugin", "inspect"}, "llmhost plugin inspect --help"},
	} {
		code, out, errs := cli(t, "", c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, c.hint) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want a usage error pointing at %s", c.args, code, out, errs, c.hint)
		}
	}
}

// TestRedInterruptPluginCall: Ctrl-C while a plugin sleeps in its call
// (an hour in poll_oneoff, under a 10 minute --timeout) stops it at once,
// with exit 130 rather than the plugin failure's 50.
func TestRedInterruptPluginCall(t *testing.T) {
	src := `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "snooze") ` + startSleeps + `))`
	wasm := filepath.Join(t.TempDir(), "snooze.wasm")
	os.WriteFile(wasm, wasmtest.WAT(t, src), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	code := -1
	done := make(chan struct{})
	go func() {
		defer close(done)
		code = run(ctx, []string{"plugin", "call", "--timeout", "10m", wasm, "snooze"}, strings.NewReader(""), &out, &errb)
	}()
	time.Sleep(200 * time.Millisecond) // most likely asleep by now; if not, canceled before the call, which must end the same way
	cancel()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the plugin call did not end after the interrupt")
	}
	if code != exitInterrupted || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q: want exit %d naming the interrupt", code, errb.String(), exitInterrupted)
	}
}
