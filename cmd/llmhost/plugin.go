package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/llm"
)

// Exit codes of plugin failures, beside those of the error kinds.
const (
	exitPlugin     = 50 // the plugin failed: trapped, timed out, hit a limit, reported an error
	exitPluginLoad = 51 // the plugin could not be loaded: not wasm, bad sha256, missing exports
)

func newPluginCmd(io streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Inspect and call WebAssembly plugins (llmhost/1 or Extism)",
	}
	cmd.AddCommand(newInspectCmd(io), newPluginCallCmd(io))
	return cmd
}

func newInspectCmd(io streams) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect FILE.wasm",
		Short: "Print, as JSON, the plugin's ABI, exports, imports, kinds and tools with their schemas",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := host.Inspect(cmd.Context(), args[0])
			if err != nil {
				return &codedError{code: exitPluginLoad, err: err}
			}
			enc := json.NewEncoder(io.out)
			enc.SetIndent("", "  ")
			return enc.Encode(info)
		},
	}
}

// sandboxFlags are the sandbox settings a user may widen per plugin.
type sandboxFlags struct {
	timeout    time.Duration
	maxMemory  string
	config     []string
	allowHosts []string
	allowPaths []string
	maxInput   string
}

func (s *sandboxFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&s.timeout, "timeout", 0, "call timeout (default: the plugin kind's, 10s for tools)")
	fl.StringVar(&s.maxMemory, "max-memory", "", "memory cap, e.g. 64MiB (default 64MiB)")
	fl.StringArrayVar(&s.config, "config", nil, "configuration key=value for the plugin; repeatable")
	fl.StringArrayVar(&s.allowHosts, "allow-host", nil, "a host the plugin may reach (Extism plugins); repeatable")
	fl.StringArrayVar(&s.allowPaths, "allow-path", nil, "HOST_DIR[:GUEST_DIR] the plugin may read; repeatable")
	fl.StringVar(&s.maxInput, "max-input", "", "input cap, of stdin too, e.g. 16MiB (default 8MiB)")
}

func (s *sandboxFlags) options() ([]host.Option, error) {
	var opts []host.Option
	if s.timeout < 0 {
		return nil, usagef("--timeout must be positive, got %s", s.timeout)
	}
	if s.timeout > 0 {
		opts = append(opts, host.WithTimeout(s.timeout))
	}
	if s.maxMemory != "" {
		n, err := host.ParseSize(s.maxMemory)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--max-memory: %w", err)}
		}
		opts = append(opts, host.WithMaxMemory(n))
	}
	if s.maxInput != "" {
		n, err := parseMaxInput(s.maxInput)
		if err != nil {
			return nil, err
		}
		opts = append(opts, host.WithMaxInput(n))
	}
	if len(s.config) > 0 {
		kv := map[string]string{}
		for _, c := range s.config {
			k, v, ok := strings.Cut(c, "=")
			if !ok || k == "" {
				return nil, usagef("--config takes key=value, got %q", c)
			}
			kv[k] = v
		}
		opts = append(opts, host.WithConfig(kv))
	}
	if len(s.allowHosts) > 0 {
		opts = append(opts, host.WithAllowedHosts(s.allowHosts...))
	}
	for _, p := range s.allowPaths {
		hostDir, guestDir, ok := strings.Cut(p, ":")
		if !ok {
			guestDir = hostDir
		}
		if _, err := os.Stat(hostDir); err != nil {
			return nil, &usageError{fmt.Errorf("--allow-path: %w", err)}
		}
		opts = append(opts, host.WithAllowedPath(hostDir, guestDir))
	}
	return opts, nil
}

func newPluginCallCmd(io streams) *cobra.Command {
	var sb sandboxFlags
	cmd := &cobra.Command{
		Use:   "call FILE.wasm FUNCTION [INPUT|-]",
		Short: "Call one export of a plugin; its raw output goes to stdout",
		Long: `Call one export of a plugin with INPUT (or stdin with "-", or nothing) and print
its raw output. Errors go to stderr, with exit status 50 when the plugin failed
and 51 when it could not be loaded. The sandbox is tight by default: no files,
network or environment; widen it with --allow-path, --allow-host and --config.`,
		Example: `  llmhost plugin call count_vowels.wasm count_vowels "hello world"
  llmhost plugin call build/plugins/calculator.wasm call '{"name":"add","arguments":{"a":1,"b":2}}'
  llmhost plugin call config.wasm run_test --config thing=hello`,
		Args: usageArgs(cobra.RangeArgs(2, 3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := sb.options()
			if err != nil {
				return err
			}
			var input []byte
			if len(args) == 3 {
				if args[2] == "-" {
					limit, err := parseMaxInput(sb.maxInput)
					if err != nil {
						return err
					}
					if input, err = readInput(io.in, limit, "the input read from stdin"); err != nil {
						return err
					}
				} else {
					input = []byte(args[2])
				}
			}
			ctx := cmd.Context()
			p, err := host.Load(ctx, args[0], opts...)
			if err != nil {
				return &codedError{code: exitPluginLoad, err: err}
			}
			defer p.Close(context.WithoutCancel(ctx))
			out, err := p.Call(ctx, args[1], input)
			if err != nil {
				return &codedError{code: exitPlugin, err: pluginError(err)}
			}
			_, err = io.out.Write(out)
			return err
		},
	}
	sb.register(cmd)
	return cmd
}

// pluginError adds the guest's stderr, where its panic message lands, to
// the error a user reads.
func pluginError(err error) error {
	var he *host.Error
	if errors.As(err, &he) && strings.TrimSpace(he.Stderr) != "" && !strings.Contains(he.Error(), strings.TrimSpace(he.Stderr)) {
		return fmt.Errorf("%w\nguest stderr:\n%s", err, strings.TrimRight(he.Stderr, "\n"))
	}
	return err
}

// plugins are the plugins `llmhost call` loaded.
type plugins struct {
	tools  []llm.Tool
	parser llm.Parser
	retry  llm.RetryStrategy
	loaded []*host.Plugin
}

func (p plugins) close() {
	for _, pl := range p.loaded {
		pl.Close(context.Background())
	}
}

// loadPlugins loads --tool, --parser and --retry-plugin with the default
// sandbox, and checks each offers the kind it is used for.
func loadPlugins(ctx context.Context, f callFlags) (plugins, error) {
	var ps plugins
	load := func(path, flag string) (*host.Plugin, error) {
		p, err := host.Load(ctx, path)
		if err != nil {
			ps.close()
			return nil, &codedError{code: exitPluginLoad, err: fmt.Errorf("%s %s: %w", flag, path, err)}
		}
		ps.loaded = append(ps.loaded, p)
		return p, nil
	}
	for _, path := range f.tools {
		p, err := load(path, "--tool")
		if err != nil {
			return ps, err
		}
		tools := p.Tools()
		if len(tools) == 0 {
			ps.close()
			return ps, &codedError{code: exitPluginLoad, err: fmt.Errorf("--tool %s: the plugin declares no tools", path)}
		}
		ps.tools = append(ps.tools, tools...)
	}
	if f.parser != "" {
		p, err := load(f.parser, "--parser")
		if err != nil {
			return ps, err
		}
		if len(p.Describe().Parsers) == 0 {
			ps.close()
			return ps, &codedError{code: exitPluginLoad, err: fmt.Errorf("--parser %s: the plugin declares no parser", f.parser)}
		}
		ps.parser = p.Parser("")
	}
	if f.retryPlugin != "" {
		p, err := load(f.retryPlugin, "--retry-plugin")
		if err != nil {
			return ps, err
		}
		if !p.Describe().Retry {
			ps.close()
			return ps, &codedError{code: exitPluginLoad, err: fmt.Errorf("--retry-plugin %s: the plugin declares no retry strategy", f.retryPlugin)}
		}
		ps.retry = p.RetryStrategy()
	}
	return ps, nil
}
