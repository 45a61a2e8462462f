package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/all"
)

type callFlags struct {
	model        string
	baseURL      string
	system       string
	retries      int
	fallbacks    []string
	stream       bool
	schema       string
	formatMode   string
	parseRetries int
	parser       string
	tools        []string
	maxSteps     int
	retryPlugin  string
	timeout      time.Duration
	json         bool
	maxTokens    int
	temperature  float64
	verbose      bool
	maxInput     string
}

func newCallCmd(io streams) *cobra.Command {
	var f callFlags
	cmd := &cobra.Command{
		Use:   "call [flags] PROMPT|-",
		Short: "Call a model, with retries, fallbacks, structured output and tools",
		Long: `Call a model and print its answer. PROMPT "-" reads the prompt from stdin.

The model is --model, else $LLMHOST_MODEL, as provider/model: openai/gpt-4o-mini,
anthropic/claude-3-5-haiku-latest, google/gemini-2.0-flash, ollama/llama3.2, ...
Keys come from the provider's variable (OPENAI_API_KEY, ANTHROPIC_API_KEY,
GOOGLE_API_KEY, ...), endpoints from --base-url or <PROVIDER>_BASE_URL.`,
		Example: `  llmhost call --model openai/gpt-4o-mini "What is 4200 + 42?"
  echo "Summarise this" | llmhost call --model ollama/llama3.2 --stream -
  llmhost call --model openai/gpt-4o-mini --fallback anthropic/claude-3-5-haiku-latest --json "hi"`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCall(cmd, io, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "model id, provider/model (default $LLMHOST_MODEL)")
	fl.StringVar(&f.baseURL, "base-url", "", "the model's provider endpoint, in its SDK's form (OpenAI: .../v1)")
	fl.StringVar(&f.system, "system", "", "a system message")
	fl.IntVar(&f.retries, "retries", 3, "retries per model")
	fl.StringArrayVar(&f.fallbacks, "fallback", nil, "a fallback model; repeatable")
	fl.BoolVar(&f.stream, "stream", false, "print text as it arrives")
	fl.StringVar(&f.schema, "schema", "", "JSON Schema FILE for structured output")
	fl.StringVar(&f.formatMode, "format-mode", "", "structured output mode: tool, json or strict (default: the provider's)")
	fl.IntVar(&f.parseRetries, "parse-retries", 2, "times a failed parse is sent back to the model")
	fl.StringVar(&f.parser, "parser", "", "an output parser plugin FILE.wasm")
	fl.StringArrayVar(&f.tools, "tool", nil, "a tool plugin FILE.wasm; repeatable; runs the tool loop")
	fl.IntVar(&f.maxSteps, "max-steps", 10, "bounds the tool loop")
	fl.StringVar(&f.retryPlugin, "retry-plugin", "", "a retry strategy plugin FILE.wasm")
	fl.DurationVar(&f.timeout, "timeout", 0, "overall time limit, e.g. 30s (default none)")
	fl.BoolVar(&f.json, "json", false, "print exactly one JSON object on stdout instead of text")
	fl.IntVar(&f.maxTokens, "max-tokens", 0, "bound on the answer's length in tokens")
	fl.Float64Var(&f.temperature, "temperature", 0, "sampling temperature")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "report each retry and fallback on stderr")
	fl.StringVar(&f.maxInput, "max-input", "", "the most read of the prompt and of the --schema file, e.g. 16MiB (default 8MiB)")
	return cmd
}

// check refuses numbers no call can honour, before anything is read or
// sent: a negative count or timeout would otherwise be taken silently as
// its default or as none.
func (f *callFlags) check() error {
	switch {
	case f.retries < 0:
		return usagef("--retries must be 0 or more, got %d", f.retries)
	case f.parseRetries < 0:
		return usagef("--parse-retries must be 0 or more, got %d", f.parseRetries)
	case f.maxSteps < 1:
		return usagef("--max-steps must be 1 or more, got %d", f.maxSteps)
	case f.maxTokens < 0:
		return usagef("--max-tokens must be positive (or 0 for the provider's default), got %d", f.maxTokens)
	case f.timeout < 0:
		return usagef("--timeout must be positive (or 0 for none), got %s", f.timeout)
	case math.IsNaN(f.temperature) || math.IsInf(f.temperature, 0) || f.temperature < 0:
		return usagef("--temperature must be a number of 0 or more, got %v", f.temperature)
	}
	return nil
}

func runCall(cmd *cobra.Command, io streams, f callFlags, args []string) error {
	if err := f.check(); err != nil {
		return err
	}
	ctx := cmd.Context()
	model := f.model
	if model == "" {
		model = os.Getenv("LLMHOST_MODEL")
	}
	if model == "" {
		return usagef("no model: pass --model provider/model (e.g. openai/gpt-4o-mini) or set LLMHOST_MODEL")
	}
	maxInput, err := parseMaxInput(f.maxInput)
	if err != nil {
		return err
	}
	prompt, err := readPrompt(io.in, args, maxInput)
	if err != nil {
		return err
	}
	// The overall limit covers loading the plugins too: a tool whose
	// start-up waits must not outlast --timeout.
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	opts, closeAll, err := callOptions(ctx, cmd, io, f, model, maxInput)
	if err != nil {
		return err
	}
	defer closeAll()
	var msgs []llm.Message
	if f.system != "" {
		msgs = append(msgs, llm.System(f.system))
	}
	msgs = append(msgs, llm.User(prompt))

	var resp *llm.Response
	if f.stream {
		resp, err = streamCall(ctx, io, f, model, msgs, opts)
	} else {
		resp, err = llm.Call(ctx, model, msgs, opts...)
		if !f.json && resp != nil && resp.Text() != "" {
			fmt.Fprintln(io.out, resp.Pretty())
		}
	}
	// Ctrl-C: the call stopped because it was told to, whatever error
	// the engine saw on the way out. What arrived before is kept.
	if err != nil && errors.Is(cmd.Context().Err(), context.Canceled) {
		err = &interruptedError{err}
	}
	if f.json {
		r := newResult(model, resp, err)
		if werr := r.write(io.out); werr != nil {
			return werr
		}
		if err != nil {
			return &codedError{code: exitCode(err), err: err, reported: true}
		}
		return nil
	}
	if resp != nil && len(resp.ToolOutputs) > 0 && f.verbose {
		for _, o := range resp.ToolOutputs {
			fmt.Fprintf(io.err, "tool %s(%s): %s\n", o.Name, o.ID, o.Content())
		}
	}
	return err
}

// streamCall prints text as it arrives (unless --json), then finishes the
// call: parsing and the tool loop run on the complete answer.
func streamCall(ctx context.Context, io streams, f callFlags, model string, msgs []llm.Message, opts []llm.Option) (*llm.Response, error) {
	sr, err := llm.Stream(ctx, model, msgs, opts...)
	if err != nil {
		return nil, err
	}
	printed := false
	for text, err := range sr.TextStream() {
		if err != nil {
			break
		}
		if !f.json {
			fmt.Fprint(io.out, text)
			printed = printed || text != ""
		}
	}
	if printed {
		fmt.Fprintln(io.out)
	}
	resp, err := sr.Response()
	if err != nil || len(f.tools) == 0 {
		return resp, err
	}
	// The tool loop's later answers are whole: print the final one.
	first := len(resp.Messages)
	resp, err = resp.RunTools(ctx)
	if !f.json && resp != nil && len(resp.Messages) > first && resp.Text() != "" {
		fmt.Fprintln(io.out, resp.Pretty())
	}
	return resp, err
}

func readPrompt(stdin io.Reader, args []string, maxInput int64) (string, error) {
	if len(args) == 1 && args[0] == "-" {
		b, err := readInput(stdin, maxInput, "the prompt read from stdin")
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(string(b)) == "" {
			return "", usagef("the prompt read from stdin is empty")
		}
		return string(b), nil
	}
	p := strings.Join(args, " ")
	if strings.TrimSpace(p) == "" {
		return "", usagef("the prompt is empty")
	}
	if int64(len(p)) > maxInput {
		return "", usagef("the prompt is %s, over the %s input cap (raise it with --max-input)", host.FormatSize(int64(len(p))), host.FormatSize(maxInput))
	}
	return p, nil
}

// parseMaxInput reads --max-input. Its default is host.DefaultMaxInput
// (8 MiB), the input cap of a plugin call: a prompt of 8 MiB is some two
// million tokens, the largest context of any current model.
func parseMaxInput(flag string) (int64, error) {
	if flag == "" {
		return host.DefaultMaxInput, nil
	}
	n, err := host.ParseSize(flag)
	if err != nil {
		return 0, &usageError{err: fmt.Errorf("--max-input: %w", err)}
	}
	if n <= 0 {
		return 0, usagef("--max-input must be positive, got %s", flag)
	}
	return n, nil
}

// readInput reads what from r, but never more than limit bytes: past that it
// fails with a usage error naming the cap and --max-input, before the rest
// is read. Standard input may be a pipe that never ends (yes |, or
// /dev/zero), and a file may be a device: neither can be sized first.
func readInput(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, usagef("%s is over the %s input cap (raise it with --max-input)", what, host.FormatSize(limit))
	}
	return b, nil
}

// readFile reads the file a flag names, through readInput's cap.
func readFile(path string, limit int64, flag string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &usageError{err: fmt.Errorf("%s: %w", flag, err)}
	}
	defer fh.Close()
	return readInput(fh, limit, flag+" "+path)
}

// callOptions turns flags into engine options. The returned function
// releases the plugins it loaded.
func callOptions(ctx context.Context, cmd *cobra.Command, io streams, f callFlags, model string, maxInput int64) ([]llm.Option, func(), error) {
	var opts []llm.Option
	opts = append(opts, llm.WithMaxRetries(f.retries), llm.WithParseRetries(f.parseRetries), llm.WithMaxSteps(f.maxSteps))
	for _, fb := range f.fallbacks {
		if _, _, err := llm.SplitModel(fb); err != nil {
			return nil, nil, &usageError{err: fmt.Errorf("--fallback: %w", err)}
		}
	}
	if len(f.fallbacks) > 0 {
		opts = append(opts, llm.WithFallbacks(f.fallbacks...))
	}
	if cmd.Flags().Changed("base-url") {
		if u, err := url.Parse(f.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, usagef("--base-url must be an http or https URL such as https://api.openai.com/v1, got %q", f.baseURL)
		}
	}
	if f.baseURL != "" {
		prov, _, err := llm.SplitModel(model)
		if err != nil {
			return nil, nil, &usageError{err: err}
		}
		opts = append(opts, llm.WithEndpoint(prov, llm.Endpoint{BaseURL: f.baseURL}))
	}
	if cmd.Flags().Changed("temperature") {
		opts = append(opts, llm.Temperature(f.temperature))
	}
	if f.maxTokens > 0 {
		opts = append(opts, llm.MaxTokens(f.maxTokens))
	}
	if f.verbose {
		opts = append(opts, llm.WithObserver(func(e llm.Event) { narrate(io.err, e) }))
	}

	var format *llm.Format
	if f.schema != "" {
		b, err := readFile(f.schema, maxInput, "--schema")
		if err != nil {
			return nil, nil, err
		}
		name := strings.TrimSuffix(filepath.Base(f.schema), filepath.Ext(f.schema))
		format, err = llm.FormatFromSchema(name, b)
		if err != nil {
			return nil, nil, &usageError{err: fmt.Errorf("--schema %s: %w", f.schema, err)}
		}
	}
	if f.formatMode != "" {
		switch m := llm.FormatMode(f.formatMode); m {
		case llm.FormatTool, llm.FormatJSON, llm.FormatStrict:
			if format == nil {
				return nil, nil, usagef("--format-mode needs --schema")
			}
			format.Mode = m
		default:
			return nil, nil, usagef("--format-mode must be tool, json or strict, got %q", f.formatMode)
		}
	}

	plugins, err := loadPlugins(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	if plugins.parser != nil {
		if format == nil {
			format = &llm.Format{Name: "Output", Schema: []byte(`{}`)}
		}
		format.Mode, format.Parser = llm.FormatParser, plugins.parser
	}
	if format != nil {
		opts = append(opts, llm.WithFormat(format))
	}
	if len(plugins.tools) > 0 {
		opts = append(opts, llm.WithTools(plugins.tools...), llm.WithToolLoop())
	}
	if plugins.retry != nil {
		opts = append(opts, llm.WithRetryStrategy(plugins.retry))
	}
	return opts, plugins.close, nil
}

// narrate reports engine events for --verbose.
func narrate(w io.Writer, e llm.Event) {
	switch e.Type {
	case llm.EventFailure:
		if e.Err == nil {
			return
		}
		switch e.Decision.Action {
		case llm.ActionRetry:
			fmt.Fprintf(w, "llmhost: %s failed (%s); retrying in %s\n", e.Model, describe(e.Err), e.Decision.Delay.Round(time.Millisecond))
		case llm.ActionFallback:
			fmt.Fprintf(w, "llmhost: %s failed (%s); falling back\n", e.Model, describe(e.Err))
		}
	case llm.EventSkip:
		fmt.Fprintf(w, "llmhost: %s skipped: %v\n", e.Model, e.Err)
	case llm.EventResume:
		fmt.Fprintf(w, "llmhost: stream from %s broke after content; resuming\n", e.Model)
	case llm.EventParse:
		fmt.Fprintf(w, "llmhost: answer did not parse (%v); asking again\n", e.Err)
	case llm.EventToolCall:
		if e.Output.Error != nil {
			fmt.Fprintf(w, "llmhost: tool %s failed: %s\n", e.Output.Name, e.Output.Content())
		}
	}
}
