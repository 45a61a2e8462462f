// Command memory shows that the host's memory stays flat under load: it
// makes plugin calls (the bundled calculator's add tool; 30,000, so that
// the 10,000 of the issue are followed by as many again to show the level
// holds), then 1,000 engine calls (llm.Call and llm.Stream, alternately,
// against a local OpenAI-compatible server in the same process), and
// samples the process's resident set size and Go heap at regular
// intervals. It prints the samples as JSON, which cmd/report turns into a
// table.
//
// Each sample is taken after a garbage collection that returns freed
// memory to the OS, so that it shows what the process holds rather than
// when the collector last ran.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/bench/internal/guests"
	"github.com/llmhost/llmhost/bench/internal/memstat"
	"github.com/llmhost/llmhost/bench/internal/oaiserver"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/openai"
)

// Sample is the process's memory after Calls calls of a phase.
type Sample struct {
	Phase      string `json:"phase"`
	Calls      int    `json:"calls"`
	RSS        int64  `json:"rss"`
	HeapInuse  int64  `json:"heap_inuse"`
	Goroutines int    `json:"goroutines"`
}

// Result is what the command prints.
type Result struct {
	Plugin  string   `json:"plugin"`
	Samples []Sample `json:"samples"`
}

func main() {
	pluginCalls := flag.Int("plugin-calls", 30000, "plugin calls to make")
	pluginEvery := flag.Int("plugin-every", 2000, "sample every this many plugin calls")
	engineCalls := flag.Int("engine-calls", 1000, "engine calls to make")
	engineEvery := flag.Int("engine-every", 100, "sample every this many engine calls")
	flag.Parse()
	if err := run(*pluginCalls, *pluginEvery, *engineCalls, *engineEvery); err != nil {
		fmt.Fprintln(os.Stderr, "memory:", err)
		os.Exit(1)
	}
}

func run(pluginCalls, pluginEvery, engineCalls, engineEvery int) error {
	ctx := context.Background()
	var res Result
	sample := func(phase string, calls int) error {
		s, err := memstat.Take(true)
		if err != nil {
			return err
		}
		res.Samples = append(res.Samples, Sample{Phase: phase, Calls: calls, RSS: s.RSS, HeapInuse: s.HeapInuse, Goroutines: s.Goroutines})
		return nil
	}
	if err := sample("start", 0); err != nil {
		return err
	}

	path, err := guests.Path("calculator")
	if err != nil {
		return err
	}
	cache, err := os.MkdirTemp("", "llmhost-bench-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	p, err := host.Load(ctx, path, host.WithCacheDir(cache))
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	res.Plugin = p.Name()
	if err := sample("plugin", 0); err != nil {
		return err
	}
	call := abi.ToolCall{ID: "call_1", Name: "add", Arguments: json.RawMessage(`{"a":1.5,"b":2.25}`)}
	for i := 1; i <= pluginCalls; i++ {
		out, err := p.CallTool(ctx, call)
		if err != nil {
			return err
		}
		if string(out) != "3.75" {
			return fmt.Errorf("add answered %s", out)
		}
		if i%pluginEvery == 0 {
			if err := sample("plugin", i); err != nil {
				return err
			}
		}
	}

	srv := oaiserver.Start()
	defer srv.Close()
	opts := []llm.Option{llm.WithEndpoint("openai", llm.Endpoint{BaseURL: srv.URL, APIKey: "sk-bench"})}
	model := "openai/" + oaiserver.Model
	msgs := []llm.Message{llm.User("Write a thousand words about the weather in Lyon.")}
	if err := sample("engine", 0); err != nil {
		return err
	}
	for i := 1; i <= engineCalls; i++ {
		text, err := engineCall(ctx, model, msgs, opts, i%2 == 0)
		if err != nil {
			return err
		}
		if text != oaiserver.Text {
			return fmt.Errorf("call %d: %d bytes of text, want %d", i, len(text), len(oaiserver.Text))
		}
		if i%engineEvery == 0 {
			if err := sample("engine", i); err != nil {
				return err
			}
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// engineCall makes one call, streamed or not, and returns its text.
func engineCall(ctx context.Context, model string, msgs []llm.Message, opts []llm.Option, stream bool) (string, error) {
	if !stream {
		resp, err := llm.Call(ctx, model, msgs, opts...)
		if err != nil {
			return "", err
		}
		return resp.Text(), nil
	}
	sr, err := llm.Stream(ctx, model, msgs, opts...)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for t, err := range sr.TextStream() {
		if err != nil {
			return "", err
		}
		b.WriteString(t)
	}
	return b.String(), nil
}
