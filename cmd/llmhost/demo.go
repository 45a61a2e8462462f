package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/internal/scenario"
	"github.com/llmhost/llmhost/llm"
)

func newDemoCmd(io streams) *cobra.Command {
	var dir, only string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run every reliability scenario offline, against a built-in scripted server",
		Long: `Run the six reliability scenarios of the documentation offline, against a
scripted OpenAI-compatible server on loopback, and narrate how each failure was
handled: a rate limit, an authentication error, a cut stream, a parse error, a
tool panic and a provider outage. No network and no keys are needed. The tool
scenario uses the bundled calculator plugin from --plugins (make plugins builds
it), or the same calculator as Go tools when the plugin is not there.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), io, dir, only)
		},
	}
	cmd.Flags().StringVar(&dir, "plugins", "build/plugins", "directory of the bundled plugins")
	cmd.Flags().StringVar(&only, "only", "", "run one scenario: "+scenarioNames())
	return cmd
}

func scenarioNames() string {
	var names []string
	for _, sc := range scenario.All {
		names = append(names, sc.Name)
	}
	return strings.Join(names, ", ")
}

func runDemo(ctx context.Context, io streams, dir, only string) error {
	todo := scenario.All
	if only != "" {
		sc, ok := scenario.ByName(only)
		if !ok {
			return usagef("--only: no scenario %q (scenarios: %s)", only, scenarioNames())
		}
		todo = []scenario.Scenario{sc}
	}
	srv, err := faultserver.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the demo server: %w", err)
	}
	defer srv.Close()
	fmt.Fprintf(io.out, "llmhost demo: %d scenarios against a scripted OpenAI-compatible server at %s\n", len(todo), srv.URL())

	env := scenario.Offline(srv, io.out)
	tools, source, closeTools := calculator(ctx, dir)
	defer closeTools()
	env.Tools = tools

	start := time.Now()
	failed := 0
	for i, sc := range todo {
		fmt.Fprintf(io.out, "\n%d. %s  (examples/%s)\n", i+1, sc.Title, sc.Name)
		if sc.Name == scenario.ToolRecovery.Name {
			fmt.Fprintf(io.out, "  tools: %s\n", source)
		}
		if err := scenario.RunOffline(ctx, sc, srv, env); err != nil {
			failed++
			fmt.Fprintf(io.out, "  FAILED: %v\n", err)
			continue
		}
		fmt.Fprintf(io.out, "  ok\n")
	}
	fmt.Fprintf(io.out, "\n%d of %d scenarios behaved as documented, in %s.\n", len(todo)-failed, len(todo), time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return fmt.Errorf("%d scenarios did not behave as documented", failed)
	}
	return nil
}

// calculator returns the calculator plugin's tools, or the same calculator
// as Go tools when the plugin is not built, and says which.
func calculator(ctx context.Context, dir string) ([]llm.Tool, string, func()) {
	path := filepath.Join(dir, "calculator.wasm")
	if _, err := os.Stat(path); err != nil {
		return scenario.GoCalculator(), fmt.Sprintf("Go calculator (no plugin at %s; `make plugins` builds it)", path), func() {}
	}
	p, err := host.Load(ctx, path)
	if err != nil {
		return scenario.GoCalculator(), fmt.Sprintf("Go calculator (the plugin at %s did not load: %v)", path, err), func() {}
	}
	return p.Tools(), fmt.Sprintf("the calculator plugin %s, sandboxed (%s ABI)", path, p.ABI()), func() { p.Close(context.Background()) }
}
