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
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	// The first Ctrl-C stops the call; a second one, while it is being
	// wound down, kills the process the ordinary way.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, with its streams passed in so tests can run it
// in-process. Canceling ctx is SIGINT: the command stops and exits 130.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := execute(ctx, root)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		// cobra's own check of the command name: a usage error too.
		err = &usageError{err: fmt.Errorf("%w (see llmhost --help)", err)}
	}
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		var ie *interruptedError
		if !errors.As(err, &ie) {
			err = &interruptedError{err}
		}
	}
	// `call --json` prints exactly one object, whatever failed: flags,
	// arguments, plugins, or llmhost itself.
	if err != nil && wantsJSON(root, cmd, args, err) {
		var ce *codedError
		if !errors.As(err, &ce) || !ce.reported {
			if werr := newResult(modelOf(cmd), nil, err).write(stdout); werr == nil {
				err = &codedError{code: exitCode(err), err: err, reported: true}
			}
		}
	}
	return report(err, stderr)
}

// execute runs the command line, turning a panic into an error so that
// it is reported like any other failure.
func execute(ctx context.Context, root *cobra.Command) (cmd *cobra.Command, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v}
		}
	}()
	return root.ExecuteContextC(ctx)
}

// wantsJSON reports whether the command line asked `call` for --json. When
// the flags did not parse, those after the bad one were never read, so the
// arguments themselves are searched.
func wantsJSON(root, cmd *cobra.Command, args []string, err error) bool {
	if cmd == nil {
		// A panic: ExecuteC returned nothing. Find the command itself.
		if cmd, _, _ = root.Find(args); cmd == nil {
			return false
		}
	}
	if cmd.Name() != "call" || cmd.Parent() != root {
		return false
	}
	if f := cmd.Flags().Lookup("json"); f != nil && f.Value.String() == "true" {
		return true
	}
	var ue *usageError
	if !errors.As(err, &ue) || !ue.flags {
		return false
	}
	fl := cmd.Flags()
	want := false // the last --json wins, as in pflag
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") {
			continue
		}
		if name == "json" {
			b, err := strconv.ParseBool(value)
			want = !hasValue || (err == nil && b)
			continue
		}
		// A flag that takes a value takes the next argument, even one
		// that reads "--json".
		if f := fl.Lookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
			i++
		}
	}
	return want
}

// modelOf is the model a call command was given, for the --json object of
// a call that failed before it began.
func modelOf(cmd *cobra.Command) string {
	if cmd != nil {
		if f := cmd.Flags().Lookup("model"); f != nil && f.Value.String() != "" {
			return f.Value.String()
		}
	}
	return os.Getenv("LLMHOST_MODEL")
}
