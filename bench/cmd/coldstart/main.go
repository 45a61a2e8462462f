// Command coldstart is one process start of a plugin host: it loads a
// plugin with a given compilation cache directory, makes one call, and
// prints how long each took, as JSON on stdout. The benchmarks run it as a
// fresh process, because only a new process shows what a disk cache is
// worth: within one process, plugins share compiled code in memory.
//
//	coldstart -wasm calculator.wasm -cache DIR -tool add -args '{"a":1,"b":2}'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
)

// Result is what one start measured, in nanoseconds.
type Result struct {
	Load      int64 `json:"load_ns"`       // host.Load: read, compile or fetch from the cache, first instance, describe
	FirstCall int64 `json:"first_call_ns"` // the first tool call, on the instance Load created
}

func main() {
	wasm := flag.String("wasm", "", "the plugin to load")
	cache := flag.String("cache", "", "the compilation cache directory")
	tool := flag.String("tool", "", "the tool to call once loaded")
	args := flag.String("args", "{}", "the tool's arguments")
	flag.Parse()
	if *wasm == "" || *cache == "" || *tool == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	start := time.Now()
	p, err := host.Load(ctx, *wasm, host.WithCacheDir(*cache))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	loaded := time.Now()
	if _, err := p.CallTool(ctx, abi.ToolCall{ID: "1", Name: *tool, Arguments: json.RawMessage(*args)}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	called := time.Now()
	json.NewEncoder(os.Stdout).Encode(Result{Load: loaded.Sub(start).Nanoseconds(), FirstCall: called.Sub(loaded).Nanoseconds()})
	p.Close(ctx)
}
