package host_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
)

// The Extism SDK's own test plugins, unmodified, in several languages.

func TestCountVowels(t *testing.T) {
	p := load(t, sdkPlugin(t, "count_vowels.wasm"))
	if p.ABI() != host.ABIExtism {
		t.Errorf("ABI %s", p.ABI())
	}
	out, err := p.Call(context.Background(), "count_vowels", []byte("hello world"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Count int `json:"count"`
	}
	if err := json.Unmarshal(out, &got); err != nil || got.Count != 3 || !strings.HasPrefix(string(out), `{"count":3,`) {
		t.Errorf("count_vowels = %s, %v", out, err)
	}
}

func TestHaskell(t *testing.T) {
	p := load(t, sdkPlugin(t, "hello_haskell.wasm"), host.WithConfig(map[string]string{"greeting": "Howdy"}))
	out, err := p.Call(context.Background(), "testing", []byte("John"))
	if err != nil || string(out) != "Howdy, John" {
		t.Errorf("testing = %q, %v", out, err)
	}
}

func TestFailReportsTheGuestMessage(t *testing.T) {
	p := load(t, sdkPlugin(t, "fail.wasm"))
	_, err := p.Call(context.Background(), "run_test", nil)
	wantError(t, err, host.ReasonGuestError, "Some error message")
}

func TestConfigPlugin(t *testing.T) {
	p := load(t, sdkPlugin(t, "config.wasm"), host.WithConfig(map[string]string{"thing": "hello"}))
	out, err := p.Call(context.Background(), "run_test", nil)
	if err != nil || string(out) != `{"config": "hello"}` {
		t.Errorf("run_test = %q, %v", out, err)
	}
	p = load(t, sdkPlugin(t, "config.wasm"))
	out, err = p.Call(context.Background(), "run_test", nil)
	if err != nil || string(out) != `{"config": "<unset by host>"}` {
		t.Errorf("run_test without config = %q, %v", out, err)
	}
}

func TestMCPServletAsTools(t *testing.T) {
	p := load(t, extismGuest(t))
	info := p.Info()
	if !info.MCP || len(info.Tools) != 2 || info.Tools[0].Name != "greet" {
		t.Fatalf("info: %+v", info)
	}
	if !strings.Contains(string(info.Tools[0].Parameters), `"required":["name"]`) {
		t.Errorf("inputSchema not taken as parameters: %s", info.Tools[0].Parameters)
	}
	if got := mustTool(t, p, "greet", `{"name":"Ada"}`); got != `"Hello, Ada!"` {
		t.Errorf("greet = %s", got)
	}
	_, err := tool(t, p, "refuse", `{}`)
	wantError(t, err, host.ReasonGuestError, "I refuse.")
	_, err = tool(t, p, "greet", `{}`)
	wantError(t, err, host.ReasonInvalidArguments, "missing property 'name'")
}

func TestExtismTimeout(t *testing.T) {
	p := load(t, extismGuest(t), host.WithToolTimeout(2*time.Second))
	_, err := p.Call(context.Background(), "loop", nil)
	wantError(t, err, host.ReasonTimeout)
	refused(t, "time", "Extism guest loops forever (timeout 2s)", err)
	out, err := p.Call(context.Background(), "echo", []byte("still here"))
	if err != nil || string(out) != "still here" {
		t.Errorf("echo after timeout = %q, %v", out, err)
	}
	if st := p.Stats(); st.Discarded != 1 {
		t.Errorf("stats %+v", st)
	}
}

// The Extism SDK returns rc 0 and empty output when data does not fit in
// memory. The host must not.
func TestExtismOversizeIsNotSilent(t *testing.T) {
	ctx := context.Background()
	p := load(t, extismGuest(t), host.WithMaxMemory(8<<20), host.WithMaxInput(16<<20), host.WithMaxOutput(16<<20))

	out, err := p.Call(ctx, "repeat", []byte("1000"))
	if err != nil || len(out) != 1000 {
		t.Fatalf("repeat 1000 = %d bytes, %v", len(out), err)
	}
	_, err = p.Call(ctx, "repeat", []byte("12000000"))
	wantError(t, err, host.ReasonMemoryLimit, "8MiB memory limit")
	refused(t, "memory", "Extism guest builds a 12 MB output in 8 MiB of memory (the SDK alone would return empty output, no error)", err)

	// An input that fits the cap but not the kernel's memory.
	_, err = p.Call(ctx, "echo", make([]byte, 7<<20+1000))
	wantError(t, err, host.ReasonMemoryLimit)
	refused(t, "input", "Extism input of 7 MiB that fits the input cap but not the kernel's 8 MiB memory", err)
	_, err = p.Call(ctx, "echo", make([]byte, 9<<20))
	wantError(t, err, host.ReasonInputTooLarge, "8MiB memory limit")
	refused(t, "input", "Extism input of 9 MiB, larger than the memory limit", err)

	out, err = p.Call(ctx, "echo", []byte("fine"))
	if err != nil || string(out) != "fine" {
		t.Errorf("echo after failures = %q, %v", out, err)
	}
}

func TestExtismOutputCap(t *testing.T) {
	p := load(t, extismGuest(t), host.WithMaxOutput(1000))
	_, err := p.Call(context.Background(), "repeat", []byte("1001"))
	wantError(t, err, host.ReasonOutputTooLarge, "over the 1000B output cap")
	refused(t, "output", "Extism guest returns 1,001 bytes (output cap 1,000 B)", err)
}

func TestExtismGuestError(t *testing.T) {
	p := load(t, extismGuest(t))
	_, err := p.Call(context.Background(), "fail", []byte("why"))
	e := wantError(t, err, host.ReasonGuestError, "deliberate failure: why")
	if e.Function != "fail" || e.Plugin != p.Name() {
		t.Errorf("error %#v", e)
	}
	_, err = p.CallTool(context.Background(), abi.ToolCall{Name: "nope"})
	wantError(t, err, host.ReasonToolNotFound)
	_, err = p.Parse(context.Background(), abi.ParseRequest{Text: "x"})
	wantError(t, err, host.ReasonUnsupported, "no parser")
	_, err = p.Decide(context.Background(), abi.DecideRequest{Attempt: 1})
	wantError(t, err, host.ReasonUnsupported, "no retry strategy")
}

func TestExtismNeedsRoomForTheKernel(t *testing.T) {
	_, err := host.Load(context.Background(), sdkPlugin(t, "fail.wasm"), host.WithCacheDir(cacheDir(t)), host.WithMaxMemory(512<<10))
	if err == nil || !strings.Contains(err.Error(), "at least 1MiB") {
		t.Errorf("Load = %v", err)
	}
}
