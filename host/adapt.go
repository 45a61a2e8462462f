package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/llm"
)

// Tools returns the plugin's tools as llm.Tools, ready for llm.WithTools.
// Every failure of the plugin (a trap, a timeout, a memory-limit hit, an
// oversized output, an error the guest returned, a malformed reply) comes
// out of Execute as an *llm.Error of KindToolExecution whose message,
// which the model reads, says what happened, with the guest's panic text
// where there is one. The call itself goes on.
func (p *Plugin) Tools() []llm.Tool {
	d := p.Describe()
	tools := make([]llm.Tool, len(d.Tools))
	for i, t := range d.Tools {
		tools[i] = pluginTool{p: p, decl: t}
	}
	return tools
}

type pluginTool struct {
	p    *Plugin
	decl abi.Tool
}

func (t pluginTool) Definition() llm.ToolDefinition {
	params := t.decl.Parameters
	if len(params) == 0 {
		params = json.RawMessage(`{"type":"object","properties":{}}`)
	}
	return llm.ToolDefinition{Name: t.decl.Name, Description: t.decl.Description, Parameters: params}
}

func (t pluginTool) Execute(ctx context.Context, args json.RawMessage) (string, error) {
	out, err := t.p.CallTool(ctx, abi.ToolCall{ID: llm.ToolCallID(ctx), Name: t.decl.Name, Arguments: args})
	if err != nil {
		kind := llm.KindToolExecution
		var he *Error
		if errors.As(err, &he) && he.Reason == ReasonToolNotFound {
			kind = llm.KindToolNotFound
		}
		return "", &llm.Error{Kind: kind, Message: fmt.Sprintf("tool %s failed: %s", t.decl.Name, modelMessage(err)), Err: err}
	}
	// A JSON string is the text itself; any other value is sent as JSON.
	var s string
	if json.Unmarshal(out, &s) == nil {
		return s, nil
	}
	return string(out), nil
}

// modelMessage says what went wrong in words for a model: the reason, the
// guest's message, and the first line of what it wrote to stderr (a Go
// panic's "panic: ..." line) when the message does not already say it.
func modelMessage(err error) string {
	var he *Error
	if !errors.As(err, &he) {
		return err.Error()
	}
	msg := string(he.Reason)
	if he.Message != "" {
		msg += ": " + he.Message
	}
	if line := strings.TrimSpace(firstLine(strings.TrimSpace(he.Stderr))); line != "" && !strings.Contains(msg, line) {
		msg += " (" + line + ")"
	}
	return msg
}

// Parser returns the plugin's parser named format ("" for its first) as
// an llm.Parser, for llm.Format{Mode: llm.FormatParser, Parser: ...}. An
// error the guest reports is an *llm.ParseError carrying the guest's
// retry_message, so the engine sends it to the model; a plugin that fails
// (traps, times out) fails the call instead, since asking the model again
// would not help.
func (p *Plugin) Parser(format string) llm.Parser {
	return llm.ParserFunc(func(ctx context.Context, text string, f *llm.Format) (json.RawMessage, error) {
		req := abi.ParseRequest{Text: text, Format: format}
		if f != nil && len(f.Schema) > 0 && string(f.Schema) != "{}" {
			req.Schema = f.Schema
		}
		v, err := p.Parse(ctx, req)
		if err == nil {
			return v, nil
		}
		var he *Error
		if errors.As(err, &he) && he.Reason == ReasonGuestError {
			return nil, &llm.ParseError{Reason: llm.ParseCustom, Text: text, Message: he.Message, Retry: he.RetryMessage, Err: err}
		}
		return nil, &llm.Error{Kind: llm.KindParse, Message: "parser plugin " + p.Name() + " failed: " + modelMessage(err), Err: err}
	})
}

// RetryStrategy returns the plugin's decide export as an llm.RetryStrategy.
// When the plugin fails, the engine falls back to its RetryPolicy for that
// decision. Whatever the plugin answers, the call's RetryPolicy bounds it:
// its retries per model (MaxRetries) and every wait (MinDelay, MaxDelay).
func (p *Plugin) RetryStrategy() llm.RetryStrategy { return retryStrategy{p} }

type retryStrategy struct{ p *Plugin }

func (r retryStrategy) Decide(ctx context.Context, s llm.RetryState) (llm.Decision, error) {
	req := abi.DecideRequest{Attempt: s.Attempt, ElapsedMS: s.Elapsed.Milliseconds(), Model: s.Model, Fallbacks: s.Fallbacks}
	if s.Fallbacks == nil {
		req.Fallbacks = []string{}
	}
	if e := s.Err; e != nil {
		req.Error = abi.CallError{Kind: string(e.Kind), Status: e.Status, Message: e.Message,
			RetryAfterMS: e.RetryAfter.Milliseconds(), Provider: e.Provider}
	}
	d, err := r.p.Decide(ctx, req)
	if err != nil {
		return llm.Decision{}, err
	}
	return llm.Decision{Action: llm.Action(d.Action), Delay: millis(d.DelayMS), Model: d.Model}, nil
}

// millis converts a guest's delay_ms to a time.Duration without overflow:
// time.Duration(ms) * time.Millisecond wraps past about 292 years, so a
// guest answering 2^62 would otherwise ask for a negative wait, or for a
// short one. Anything longer than a Duration holds becomes the longest
// one, and a negative count none; the engine then holds the wait to the
// call's RetryPolicy (MinDelay, MaxDelay).
func millis(ms int64) time.Duration {
	const most = math.MaxInt64 / int64(time.Millisecond)
	switch {
	case ms <= 0:
		return 0
	case ms > most:
		return math.MaxInt64
	}
	return time.Duration(ms) * time.Millisecond
}
