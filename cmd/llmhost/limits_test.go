package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// hugeInput is a stdin of size bytes that are made as they are read, and
// counts how many were.
type hugeInput struct{ size, read int64 }

func (h *hugeInput) Read(p []byte) (int, error) {
	if h.read >= h.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), h.size-h.read))
	for i := range p[:n] {
		p[i] = 'a'
	}
	h.read += int64(n)
	return n, nil
}

// cliWith runs llmhost in-process with stdin as given.
func cliWith(stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCallStopsReadingAHugePrompt: a prompt of 1 GiB on stdin is a usage
// error naming the 8 MiB cap and --max-input, and no more than the cap is
// read of it (the attack read it whole, then checked).
func TestCallStopsReadingAHugePrompt(t *testing.T) {
	in := &hugeInput{size: 1 << 30}
	code, _, errs := cliWith(in, "call", "--model", "openai/gpt-4o-mini", "--base-url", "http://127.0.0.1:9/v1", "-")
	if code != exitUsage || !strings.Contains(errs, host.FormatSize(host.DefaultMaxInput)) || !strings.Contains(errs, "--max-input") {
		t.Errorf("exit %d, stderr %q: want a usage error naming the %s cap and --max-input", code, errs, host.FormatSize(host.DefaultMaxInput))
	}
	if in.read > host.DefaultMaxInput+1 {
		t.Errorf("read %d bytes of stdin, more than the cap and the one byte that shows it is passed", in.read)
	}
}

// TestCallMaxInput: --max-input lowers and raises the cap on the prompt.
func TestCallMaxInput(t *testing.T) {
	prompt := strings.Repeat("x", 2<<10)
	code, _, errs := cli(t, prompt, "call", "--model", "openai/gpt-4o-mini", "--base-url", "http://127.0.0.1:9/v1", "--max-input", "1KiB", "-")
	if code != exitUsage || !strings.Contains(errs, "1KiB") || !strings.Contains(errs, "--max-input") {
		t.Errorf("2 KiB over a 1KiB cap: exit %d, stderr %q", code, errs)
	}
	code, _, errs = cli(t, "hi", "call", "--model", "openai/gpt-4o-mini", "--max-input", "lots", "-")
	if code != exitUsage || !strings.Contains(errs, "--max-input") {
		t.Errorf("a bad size: exit %d, stderr %q", code, errs)
	}
	s := fault(t, faultserver.Text("ok"))
	code, _, errs = cli(t, prompt, "call", "--model", "openai/gpt-4o-mini", "--base-url", s.URL(), "--max-input", "4KiB", "-")
	if code != 0 {
		t.Fatalf("2 KiB under a 4KiB cap: exit %d, stderr %q", code, errs)
	}
	if got := s.Requests("gpt-4o-mini")[0].LastMessage().Content; got != prompt {
		t.Errorf("sent a prompt of %d bytes, want the %d read", len(got), len(prompt))
	}
}

// TestCallSchemaIsBounded: a --schema naming a device that never ends is
// refused after the cap, not read forever.
func TestCallSchemaIsBounded(t *testing.T) {
	code, _, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", "http://127.0.0.1:9/v1", "--schema", "/dev/zero", "hi")
	if code != exitUsage || !strings.Contains(errs, "--schema /dev/zero") || !strings.Contains(errs, "--max-input") {
		t.Errorf("exit %d, stderr %q: want a usage error naming --schema, the cap and --max-input", code, errs)
	}
}

// TestPluginCallStopsReadingAHugeInput: the same for plugin call's stdin,
// whose cap is the plugin's input cap, also set by --max-input.
func TestPluginCallStopsReadingAHugeInput(t *testing.T) {
	calc := wasmtest.BuildGo(t, "plugins/calculator")
	in := &hugeInput{size: 1 << 30}
	code, _, errs := cliWith(in, "plugin", "call", calc, "call", "-")
	if code != exitUsage || !strings.Contains(errs, host.FormatSize(host.DefaultMaxInput)) || !strings.Contains(errs, "--max-input") {
		t.Errorf("exit %d, stderr %q: want a usage error naming the cap and --max-input", code, errs)
	}
	if in.read > host.DefaultMaxInput+1 {
		t.Errorf("read %d bytes of stdin, more than the cap and the one byte that shows it is passed", in.read)
	}
	add := `{"name":"add","arguments":{"a":1,"b":2}}`
	code, _, errs = cli(t, add, "plugin", "call", calc, "call", "--max-input", "16B", "-")
	if code != exitUsage || !strings.Contains(errs, "--max-input") {
		t.Errorf("%d bytes over a 16B cap: exit %d, stderr %q", len(add), code, errs)
	}
	code, out, errs := cli(t, add, "plugin", "call", calc, "call", "--max-input", "1KiB", "-")
	if code != 0 || strings.TrimSpace(out) != "3" {
		t.Errorf("under a 1KiB cap: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestCallRefusesAHugeAnswer: a server chosen with --base-url that answers
// with 2 GiB fails the call with response_validation, named in the JSON
// result with the limit, at the default limits.
func TestCallRefusesAHugeAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"`)
		chunk := bytes.Repeat([]byte("a"), 32<<10)
		for sent := 0; sent < 2<<30; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	t.Setenv("OPENAI_API_KEY", "sk-test")
	code, out, errs := cli(t, "", "call", "--model", "openai/gpt-4o-mini", "--base-url", srv.URL+"/v1", "--json", "hi")
	var res struct {
		Error *struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Error == nil {
		t.Fatalf("exit %d, stdout %q, stderr %q: want a JSON result with an error", code, out, errs)
	}
	if code == 0 || res.Error.Kind != "response_validation" || !strings.Contains(res.Error.Message, fmt.Sprint(32<<20)) {
		t.Errorf("exit %d, error %+v: want response_validation naming the 32 MiB limit", code, *res.Error)
	}
}
