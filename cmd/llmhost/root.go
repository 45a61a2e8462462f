package main

import (
	"io"

	"github.com/spf13/cobra"
)

// streams are the command's standard streams, passed in for tests.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	io := streams{stdin, stdout, stderr}
	root := &cobra.Command{
		Use:   "llmhost",
		Short: "Reliable LLM calls, with sandboxed WebAssembly plugins",
		Long: `llmhost makes LLM calls that survive rate limits, outages, cut streams,
malformed answers and crashing tools, across OpenAI (and every OpenAI-compatible
server), Anthropic and Google. Retry strategies, output parsers and tools can be
WebAssembly plugins, run in a sandbox.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err: err, flags: true} })
	root.AddCommand(newCallCmd(io), newPluginCmd(io), newDemoCmd(io))
	return root
}
