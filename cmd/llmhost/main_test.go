package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

func TestMain(m *testing.M) { os.Exit(wasmtest.Main(m)) }

// cli runs llmhost in-process and returns its exit status and streams.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func fault(t *testing.T, steps ...faultserver.Step) *faultserver.Server {
	t.Helper()
	s := faultserver.New()
	t.Cleanup(s.Close)
	s.Script("gpt-4o-mini", steps...)
	t.Setenv("OPENAI_API_KEY", "sk-test")
	return s
}

func TestCallPrintsTheAnswer(t *testing.T) {
	s := fault(t, faultserver.Text("4200 + 42 = 4242."))
	code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "What is 4200 + 42?")
	if code != 0 || out != "4200 + 42 = 4242.\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := s.Requests("gpt-4o-mini")[0].LastMessage().Content; got != "What is 4200 + 42?" {
		t.Errorf("prompt sent = %q", got)
	}
}

func TestCallReadsThePromptFromStdin(t *testing.T) {
	s := fault(t, faultserver.Text("ok"))
	code, _, errs := cli(t, "a prompt\nover two lines\n", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--system", "Be brief.", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	msgs := s.Requests("gpt-4o-mini")[0].Messages
	if len(msgs) != 2 || msgs[0].Content != "Be brief." || msgs[1].Content != "a prompt\nover two lines\n" {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestCallStreamsTheSameText(t *testing.T) {
	text := "The answer is 4242, as you would expect from adding them."
	s := fault(t, faultserver.Text(text), faultserver.Text(text))
	_, plain, _ := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "q")
	code, streamed, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--stream", "q")
	if code != 0 || streamed != plain {
		t.Fatalf("exit %d (%s): streamed %q, plain %q", code, errs, streamed, plain)
	}
	if !s.Requests("gpt-4o-mini")[1].Stream {
		t.Error("--stream did not stream")
	}
}

// jsonResult decodes the one object of --json, failing on anything else.
func jsonResult(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	var extra any
	if err := dec.Decode(&extra); err == nil {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
	for _, k := range []string{"model", "text", "parsed", "finish_reason", "usage", "attempts", "tool_outputs", "error"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, stdout)
		}
	}
	return obj
}

func TestCallJSON(t *testing.T) {
	s := fault(t, faultserver.RateLimitMS(10*time.Millisecond), faultserver.Text("hello", faultserver.Usage(7, 2)))
	code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--json", "hi")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r := jsonResult(t, out)
	if r["text"] != "hello" || r["model"] != "openai/gpt-4o-mini" || r["error"] != nil {
		t.Errorf("result = %v", r)
	}
	usage := r["usage"].(map[string]any)
	if usage["input_tokens"] != 7.0 || usage["output_tokens"] != 2.0 {
		t.Errorf("usage = %v", usage)
	}
	attempts := r["attempts"].([]any)
	if len(attempts) != 1 {
		t.Fatalf("attempts = %v", attempts)
	}
	a := attempts[0].(map[string]any)
	e := a["error"].(map[string]any)
	if a["model"] != "openai/gpt-4o-mini" || e["kind"] != "rate_limit" || e["status"] != 429.0 || e["message"] == "" {
		t.Errorf("attempt = %v", a)
	}
}

func TestCallErrorsExitWithTheirKindsCode(t *testing.T) {
	cases := []struct {
		step faultserver.Step
		kind string
		code int
	}{
		{faultserver.Fail(401), "authentication", 10},
		{faultserver.Fail(403), "permission", 11},
		{faultserver.Fail(400), "bad_request", 12},
		{faultserver.Fail(404), "not_found", 13},
		{faultserver.Malformed(""), "response_validation", 18},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			s := fault(t, c.step)
			code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--retries", "0", "hi")
			if code != c.code || out != "" || !strings.Contains(errs, c.kind) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q", code, c.code, out, errs)
			}
			s.Script("gpt-4o-mini", c.step)
			code, out, _ = cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--retries", "0", "--json", "hi")
			e, _ := jsonResult(t, out)["error"].(map[string]any)
			if code != c.code || e["kind"] != c.kind || e["provider"] != "openai" {
				t.Errorf("--json: exit %d, error %v", code, e)
			}
		})
	}
}

func TestAuthenticationIsSentOnce(t *testing.T) {
	s := fault(t, faultserver.Fail(401), faultserver.Text("never"))
	code, _, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "hi")
	if code != 10 || len(s.Requests("gpt-4o-mini")) != 1 || !strings.Contains(errs, "Incorrect API key") {
		t.Fatalf("exit %d, requests %d, stderr %q", code, len(s.Requests("gpt-4o-mini")), errs)
	}
}

func TestRetriesExhausted(t *testing.T) {
	s := fault(t, faultserver.Repeat(2, faultserver.Fail(503))...)
	code, out, _ := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--retries", "1", "--json", "hi")
	r := jsonResult(t, out)
	if code != 40 || r["error"].(map[string]any)["kind"] != "retries_exhausted" || len(r["attempts"].([]any)) != 2 {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func TestFallback(t *testing.T) {
	s := fault(t, faultserver.Always(faultserver.Fail(503)))
	s.Script("llama3.2", faultserver.Text("from ollama"))
	t.Setenv("OLLAMA_BASE_URL", s.URL())
	code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--retries", "0",
		"--fallback", "ollama/llama3.2", "--json", "hi")
	r := jsonResult(t, out)
	if code != 0 || r["model"] != "ollama/llama3.2" || r["text"] != "from ollama" || len(r["attempts"].([]any)) != 1 {
		t.Fatalf("exit %d (%s): %s", code, errs, out)
	}
}

func TestMissingKeyNamesTheVariable(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	code, _, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "hi")
	if code != 30 || !strings.Contains(errs, "OPENAI_API_KEY") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Setenv("LLMHOST_MODEL", "")
	for _, args := range [][]string{
		{"call", "hi"},                  // no model
		{"call", "--model", "openai/x"}, // no prompt
		{"call", "--model", "gpt-4o", "--fallback", "x", "hi"}, // bad fallback id
		{"call", "--model", "openai/x", "--no-such-flag", "hi"},
		{"call", "--model", "openai/x", "--schema", "/no/such/file.json", "hi"},
	} {
		code, out, errs := cli(t, "", args...)
		if code != exitUsage || out != "" || errs == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

func TestSchemaParseRetry(t *testing.T) {
	schema := filepath.Join(t.TempDir(), "book.json")
	os.WriteFile(schema, []byte(`{"type":"object","properties":{"rating":{"type":"integer"}},"required":["rating"]}`), 0o644)
	s := fault(t, faultserver.Text(`{"rating": "ten"}`), faultserver.Text(`{"rating": 10}`))
	code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--schema", schema, "--json", "rate it")
	r := jsonResult(t, out)
	if code != 0 || r["parsed"].(map[string]any)["rating"] != 10.0 {
		t.Fatalf("exit %d (%s): %s", code, errs, out)
	}
	if last := s.Requests("gpt-4o-mini")[1].LastMessage().Content; !strings.Contains(last, "/rating") {
		t.Errorf("retry message = %q", last)
	}
}

func TestToolPluginPanicReachesTheModel(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	s := fault(t,
		faultserver.ToolCalls([]faultserver.ToolCall{{ID: "call_1", Name: "divide", Arguments: `{"a":1,"b":0}`}}),
		faultserver.Func(func(r faultserver.Request) faultserver.Step {
			if strings.Contains(r.LastMessage().Content, "division by zero") {
				return faultserver.Text("You cannot divide by zero.")
			}
			return faultserver.Fail(400)
		}))
	code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--tool", calc, "--json", "1/0?")
	r := jsonResult(t, out)
	if code != 0 || r["text"] != "You cannot divide by zero." {
		t.Fatalf("exit %d (%s): %s", code, errs, out)
	}
	outs := r["tool_outputs"].([]any)
	o := outs[0].(map[string]any)
	e, _ := o["error"].(map[string]any)
	if len(outs) != 1 || o["id"] != "call_1" || o["name"] != "divide" || e["kind"] != "tool_execution" || !strings.Contains(e["message"].(string), "division by zero") {
		t.Errorf("tool_outputs = %v", outs)
	}
}

func TestParserAndRetryPlugins(t *testing.T) {
	parser := wasmtest.BuildGo(t, "plugins/jsonextract")
	backoff := wasmtest.BuildGo(t, "plugins/backoff")
	schema := filepath.Join(t.TempDir(), "n.json")
	os.WriteFile(schema, []byte(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`), 0o644)
	s := fault(t, faultserver.RateLimitMS(20*time.Millisecond), faultserver.Text("Here:\n```json\n{\"n\": \"x\"}\n```"), faultserver.Text(`{"n": 3}`))
	code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(),
		"--schema", schema, "--parser", parser, "--retry-plugin", backoff, "--json", "n?")
	r := jsonResult(t, out)
	if code != 0 || r["parsed"].(map[string]any)["n"] != 3.0 || len(r["attempts"].([]any)) != 1 {
		t.Fatalf("exit %d (%s): %s", code, errs, out)
	}
	if last := s.Requests("gpt-4o-mini")[2].LastMessage().Content; !strings.Contains(last, "n") {
		t.Errorf("the parser's retry message = %q", last)
	}
}

func TestPluginInspect(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	code, out, errs := cli(t, "", "plugin", "inspect", calc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var info struct {
		ABI   string   `json:"abi"`
		Kinds []string `json:"kinds"`
		Tools []struct {
			Name       string          `json:"name"`
			Parameters json.RawMessage `json:"parameters"`
		} `json:"tools"`
		Exports []any `json:"exports"`
		Imports []any `json:"imports"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.ABI != "llmhost/1" || len(info.Tools) != 4 || len(info.Exports) == 0 || len(info.Imports) == 0 {
		t.Errorf("inspect = %s", out)
	}
	if code, _, errs := cli(t, "", "plugin", "inspect", "main.go"); code != exitPluginLoad || errs == "" {
		t.Errorf("a non-wasm file: exit %d, stderr %q", code, errs)
	}
}

// The go-sdk's own test plugins, built by others with Extism PDKs, run
// unmodified.
func TestThirdPartyExtismPlugins(t *testing.T) {
	dir, err := wasmtest.ModuleDir("github.com/extism/go-sdk")
	if err != nil {
		t.Fatal(err)
	}
	wasm := func(name string) string { return filepath.Join(dir, "wasm", name) }

	code, out, errs := cli(t, "", "plugin", "call", wasm("count_vowels.wasm"), "count_vowels", "hello world")
	if code != 0 || !strings.Contains(out, `"count":3`) {
		t.Errorf("count_vowels: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = cli(t, "", "plugin", "call", wasm("hello_haskell.wasm"), "testing", "Haskell")
	if code != 0 || out == "" {
		t.Errorf("hello_haskell: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = cli(t, "", "plugin", "call", wasm("fail.wasm"), "run_test")
	if code != exitPlugin || out != "" || !strings.Contains(errs, "guest_error") {
		t.Errorf("fail: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = cli(t, "", "plugin", "call", wasm("config.wasm"), "run_test", "--config", "thing=hello from the CLI")
	if code != 0 || !strings.Contains(out, "hello from the CLI") {
		t.Errorf("config: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestPluginCallLimits(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	code, _, errs := cli(t, "", "plugin", "call", calc, "call", "--max-memory", "lots", `{}`)
	if code != exitUsage || !strings.Contains(errs, "--max-memory") {
		t.Errorf("bad size: exit %d, %q", code, errs)
	}
	code, out, errs := cli(t, `{"name":"add","arguments":{"a":1,"b":2}}`, "plugin", "call", calc, "call", "--max-memory", "64MiB", "--timeout", "5s", "-")
	if code != 0 || strings.TrimSpace(out) != "3" {
		t.Errorf("add via stdin: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestDemo(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	dir := t.TempDir()
	if err := os.Symlink(calc, filepath.Join(dir, "calculator.wasm")); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "", "demo", "--plugins", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{"Rate limit, then success", "Authentication error, not retried", "Stream cut, then resumed",
		"Parse error, then corrected", "Tool panic, then the model adapts", "Provider down, then fallback",
		"calculator plugin", "division by zero", "6 of 6 scenarios"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo does not show %q", want)
		}
	}
}
