package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
		// An unknown subcommand is a usage error, not a page of help with
		// exit status 0.
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newInspectCmd(io), newPluginCallCmd(io))
	return cmd
}

func newInspectCmd(io streams) *cobra.Command {
	var sb sandboxFlags
	cmd := &cobra.Command{
		Use:   "inspect [flags] FILE.wasm",
		Short: "Print, as JSON, the plugin's ABI, exports, imports, kinds and tools with their schemas",
		Long: `Load the plugin, ask it to describe itself and print what it offers, as JSON.
Loading runs the module's start-up and its describe export, in the same sandbox
as plugin call and with its flags: --timeout bounds the start-up and describe.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := sb.options()
			if err != nil {
				return err
			}
			info, err := host.Inspect(cmd.Context(), args[0], opts...)
			if err != nil {
				return &codedError{code: exitPluginLoad, err: limitFlag(err)}
			}
			enc := json.NewEncoder(io.out)
			enc.SetIndent("", "  ")
			return enc.Encode(info)
		},
	}
	sb.register(cmd, false)
	return cmd
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

// register adds the sandbox flags to cmd; input adds --max-input, which
// only a command that passes input has use for.
func (s *sandboxFlags) register(cmd *cobra.Command, input bool) {
	fl := cmd.Flags()
	fl.DurationVar(&s.timeout, "timeout", 0, "call timeout, also of the plugin's start-up (default: the plugin kind's, 10s for tools)")
	fl.StringVar(&s.maxMemory, "max-memory", "", "memory cap, at least 64KiB, e.g. 64MiB (default 64MiB)")
	fl.StringArrayVar(&s.config, "config", nil, "configuration key=value for the plugin; repeatable, each key once")
	fl.StringArrayVar(&s.allowHosts, "allow-host", nil, "a host the plugin may reach (Extism plugins); repeatable")
	fl.StringArrayVar(&s.allowPaths, "allow-path", nil, "HOST_DIR[:GUEST_DIR] the plugin may read, never write; repeatable")
	if input {
		fl.StringVar(&s.maxInput, "max-input", "", "input cap, of stdin too, e.g. 16MiB (default 8MiB)")
	}
}

// minMemory is the smallest --max-memory: one WebAssembly page.
const minMemory = 64 << 10

// options checks the flags and turns them into host options. Every
// mistake is a usage error naming its flag, found before anything is
// loaded or read.
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
			return nil, &usageError{err: fmt.Errorf("--max-memory: %w", err)}
		}
		if n < minMemory {
			return nil, usagef("--max-memory must be at least %s (one WebAssembly page), got %s", host.FormatSize(minMemory), s.maxMemory)
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
			// Two values for one key are a mistake to report, not a
			// choice to make silently for the user.
			if old, dup := kv[k]; dup {
				return nil, usagef("--config %s is given twice (%q and %q): give each key once", k, old, v)
			}
			kv[k] = v
		}
		opts = append(opts, host.WithConfig(kv))
	}
	for _, h := range s.allowHosts {
		if strings.TrimSpace(h) == "" {
			return nil, usagef("--allow-host takes a host name or a glob of one, such as api.example.com or *.example.com, got %q", h)
		}
	}
	if len(s.allowHosts) > 0 {
		opts = append(opts, host.WithAllowedHosts(s.allowHosts...))
	}
	for _, p := range s.allowPaths {
		hostDir, guestDir, err := parseAllowPath(p)
		if err != nil {
			return nil, err
		}
		opts = append(opts, host.WithAllowedPath(hostDir, guestDir))
	}
	return opts, nil
}

// parseAllowPath reads HOST_DIR[:GUEST_DIR]. HOST_DIR must be a directory;
// a relative one is taken from the working directory. GUEST_DIR, absolute,
// defaults to HOST_DIR's absolute path. Grants are read-only: a third field
// such as ":rw" is refused rather than read as part of GUEST_DIR, so that
// nobody believes they granted writes.
func parseAllowPath(p string) (hostDir, guestDir string, err error) {
	parts := strings.Split(p, ":")
	if len(parts) > 2 {
		return "", "", usagef("--allow-path takes HOST_DIR[:GUEST_DIR], got %q: the grant is read-only, there is no mode such as :rw, and a directory whose name holds \":\" cannot be granted", p)
	}
	hostDir = parts[0]
	if hostDir == "" {
		return "", "", usagef("--allow-path %q names no host directory (want HOST_DIR[:GUEST_DIR])", p)
	}
	abs, err := filepath.Abs(hostDir)
	if err != nil {
		return "", "", &usageError{err: fmt.Errorf("--allow-path %s: %w", hostDir, err)}
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", "", &usageError{err: fmt.Errorf("--allow-path: %w", err)}
	}
	if !st.IsDir() {
		return "", "", usagef("--allow-path %s is not a directory: only directories can be granted", hostDir)
	}
	guestDir = abs
	if len(parts) == 2 {
		guestDir = parts[1]
		if !strings.HasPrefix(guestDir, "/") {
			return "", "", usagef("--allow-path %s: the guest directory %q must be absolute, such as /data", p, guestDir)
		}
	}
	return abs, guestDir, nil
}

func newPluginCallCmd(io streams) *cobra.Command {
	var sb sandboxFlags
	cmd := &cobra.Command{
		Use:   "call FILE.wasm FUNCTION [INPUT|-]",
		Short: "Call one export of a plugin; its raw output goes to stdout",
		Long: `Call one export of a plugin with INPUT (or stdin with "-", or nothing) and print
its raw output. Errors go to stderr, with exit status 50 when the plugin failed
and 51 when it could not be loaded or does not export FUNCTION (130 on Ctrl-C).
--allow-path grants are read-only; each --config key is given once. The sandbox is tight by default: no files,
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
				return &codedError{code: exitPluginLoad, err: limitFlag(err)}
			}
			defer p.Close(context.WithoutCancel(ctx))
			out, err := p.Call(ctx, args[1], input)
			if err != nil {
				// A function the plugin does not export is the
				// "missing export" of exit status 51: the plugin cannot
				// do what was asked, however it is called.
				code := exitPlugin
				if he := (*host.Error)(nil); errors.As(err, &he) && he.Reason == host.ReasonMissingExport {
					code = exitPluginLoad
				}
				return &codedError{code: code, err: pluginError(limitFlag(err))}
			}
			_, err = io.out.Write(out)
			return err
		},
	}
	sb.register(cmd, true)
	return cmd
}

// limitFlag adds to a failure at a sandbox limit the flag that changes
// it: the host's message names its Option, which a user of the CLI cannot
// reach.
func limitFlag(err error) error {
	he := (*host.Error)(nil)
	if !errors.As(err, &he) {
		return err
	}
	flag := map[host.Reason]string{
		host.ReasonTimeout:       "--timeout",
		host.ReasonMemoryLimit:   "--max-memory",
		host.ReasonInputTooLarge: "--max-input",
	}[he.Reason]
	if flag == "" {
		return err
	}
	return fmt.Errorf("%w (%s sets it)", err, flag)
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
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && f.timeout > 0 {
				// The overall limit passed while the plugin loaded (a
				// start-up that waits, a slow compile): the call timed out.
				return nil, &llm.Error{Kind: llm.KindTimeout, Err: err,
					Message: fmt.Sprintf("%s %s: loading did not finish within --timeout %s, the call's overall limit: %v", flag, path, f.timeout, err)}
			}
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
