// Command llmhost makes reliable LLM calls and runs llmhost plugins.
//
//	llmhost call --model openai/gpt-4o-mini "What is 4200 + 42?"
//	llmhost plugin inspect build/plugins/calculator.wasm
//	llmhost demo
//
// Run `llmhost help` for every command and flag, and README.md for the
// exit codes.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, with its streams passed in so tests can run it
// in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return report(err, stderr)
}
