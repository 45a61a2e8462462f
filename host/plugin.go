package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Plugin is a loaded WebAssembly plugin. It is safe for concurrent use:
// every call runs in an instance of its own, taken from the plugin's pool.
//
// The typed methods (CallTool, Parse, Decide) speak the messages of package
// abi and return *Error on failure; Call is the raw escape hatch for any
// export.
type Plugin struct {
	cfg      *config
	name     string
	info     Info
	funcs    map[string]api.FunctionDefinition
	desc     abi.Describe
	mcp      bool
	tools    map[string]*toolEntry
	drv      interface{ close(context.Context) error }
	pool     *pool
	cache    wazero.CompilationCache
	ownCache bool

	closeOnce sync.Once
	closed    atomic.Bool
}

// Name returns the plugin's name: WithName's, else describe's, else the
// file's base name.
func (p *Plugin) Name() string { return p.name }

// ABI returns the ABI the plugin is driven through.
func (p *Plugin) ABI() ABI { return p.info.ABI }

// Describe returns the plugin's describe reply (zero if it has none).
func (p *Plugin) Describe() abi.Describe { return p.desc }

// Info returns what is known about the plugin: ABI, exports, imports,
// kinds, tools with their schemas. It marshals to JSON.
func (p *Plugin) Info() Info { return p.info }

// Stats returns the state of the plugin's instance pool.
func (p *Plugin) Stats() Stats { return p.pool.stats() }

// Call runs the export fn on input and returns its output, under the tool
// timeout. For a native plugin fn must have the llmhost/1 signature
// (i32, i32) -> i64, and a reply with the error flag becomes an *Error with
// ReasonGuestError; for an Extism or plain plugin fn is any export, called
// the Extism way.
func (p *Plugin) Call(ctx context.Context, fn string, input []byte) ([]byte, error) {
	return p.call(ctx, fn, input, p.cfg.toolTO)
}

func (p *Plugin) call(ctx context.Context, fn string, input []byte, timeout time.Duration) ([]byte, error) {
	def, ok := p.funcs[fn]
	if !ok {
		return nil, p.errorf(fn, ReasonMissingExport, "the plugin exports no function %q (its exports: %s)", fn, strings.Join(p.exportNames(), ", "))
	}
	if _, viaSDK := p.drv.(*extismDriver); viaSDK && def != nil && (len(def.ParamTypes()) > 0 || len(def.ResultTypes()) > 1) {
		// The SDK would refuse it with wazero's words, which read like
		// the guest's own error_set message.
		return nil, p.errorf(fn, ReasonMissingExport, "the export %s has the signature %s; an Extism export takes no parameters and returns at most one value", fn, signature(def))
	}
	if int64(len(input)) > p.cfg.maxInput {
		return nil, p.errorf(fn, ReasonInputTooLarge, "the input is %s, over the %s input cap (host.WithMaxInput sets it)", FormatSize(int64(len(input))), FormatSize(p.cfg.maxInput))
	}
	if err := ctx.Err(); err != nil {
		// Before an instance is taken: a call that cannot run must not
		// cost a warm instance, which a done context would kill.
		return nil, p.fill(canceled(ctx), fn)
	}
	in, e := p.pool.get(ctx)
	if e != nil {
		return nil, p.fill(e, fn)
	}
	out, e := in.call(ctx, fn, input, timeout)
	p.pool.put(in)
	if e != nil {
		if p.closed.Load() {
			// Close pulled the runtime from under the call; whatever the
			// guest appeared to do, that is why it stopped.
			e = &Error{Reason: ReasonClosed, Message: "the plugin was closed during the call", Err: e}
		}
		return nil, p.fill(e, fn)
	}
	return out, nil
}

// canceled is the error of a call whose context was done before it
// started.
func canceled(ctx context.Context) *Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Reason: ReasonTimeout, Message: "the call's context deadline had passed before it started", Err: context.DeadlineExceeded}
	}
	return &Error{Reason: ReasonCanceled, Message: "the call was canceled before it started", Err: context.Canceled}
}

// CallTool runs one of the plugin's tools. The arguments are first checked
// against the tool's parameter schema (ReasonInvalidArguments, with a
// message naming the field, when they fail). The result is the tool's JSON
// result; any failure, from a Go panic in the guest to a trap, a timeout or
// the memory limit, is an *Error meant to be shown to the model as the
// tool's error.
//
// MCP-style servlets are called with their own convention and their text
// content is returned as a JSON string.
func (p *Plugin) CallTool(ctx context.Context, call abi.ToolCall) (json.RawMessage, error) {
	t, ok := p.tools[call.Name]
	if !ok {
		return nil, p.errorf(abi.ExportCall, ReasonToolNotFound, "the plugin has no tool %q (its tools: %s)", call.Name, strings.Join(p.toolNames(), ", "))
	}
	if isAbsent(call.Arguments) {
		call.Arguments = json.RawMessage("{}")
	}
	if err := t.check(call.Arguments); err != nil {
		return nil, p.errorf(abi.ExportCall, ReasonInvalidArguments, "invalid arguments for tool %s: %v", call.Name, err)
	}
	if p.mcp {
		return p.callMCP(ctx, call)
	}
	input, err := json.Marshal(call)
	if err != nil {
		return nil, p.errorf(abi.ExportCall, ReasonInvalidArguments, "arguments for tool %s: %v", call.Name, err)
	}
	out, err := p.call(ctx, abi.ExportCall, input, p.cfg.toolTO)
	if err != nil {
		return nil, err
	}
	if !json.Valid(out) {
		return nil, p.errorf(abi.ExportCall, ReasonMalformedReply, "tool %s replied with invalid JSON: %.200q", call.Name, out)
	}
	return out, nil
}

func (p *Plugin) callMCP(ctx context.Context, call abi.ToolCall) (json.RawMessage, error) {
	input, err := json.Marshal(abi.MCPCallRequest{Params: abi.MCPCallParams{Name: call.Name, Arguments: call.Arguments}})
	if err != nil {
		return nil, p.errorf(abi.ExportCall, ReasonInvalidArguments, "arguments for tool %s: %v", call.Name, err)
	}
	out, err := p.call(ctx, abi.ExportCall, input, p.cfg.toolTO)
	if err != nil {
		return nil, err
	}
	var r abi.MCPCallResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, p.errorf(abi.ExportCall, ReasonMalformedReply, "tool %s: reply is not an MCP call result: %v", call.Name, err)
	}
	var texts []string
	for _, c := range r.Content {
		if c.Type == "text" {
			texts = append(texts, c.Text)
		}
	}
	text := strings.Join(texts, "\n")
	if r.IsError {
		if text == "" {
			text = "the tool reported an error without text"
		}
		return nil, p.errorf(abi.ExportCall, ReasonGuestError, "%s", text)
	}
	if len(texts) != len(r.Content) {
		// Not only text: hand the model the content as the servlet sent it.
		var raw struct {
			Content json.RawMessage `json:"content"`
		}
		json.Unmarshal(out, &raw)
		return raw.Content, nil
	}
	b, _ := json.Marshal(text)
	return b, nil
}

// Parse runs the plugin's parser on a model's answer and returns the parsed
// value. A parse failure is an *Error with ReasonGuestError whose
// RetryMessage says what the model should fix.
func (p *Plugin) Parse(ctx context.Context, req abi.ParseRequest) (json.RawMessage, error) {
	if len(p.desc.Parsers) == 0 {
		return nil, p.errorf(abi.ExportParse, ReasonUnsupported, "the plugin offers no parser")
	}
	if req.Format != "" && !p.hasParser(req.Format) {
		return nil, p.errorf(abi.ExportParse, ReasonUnsupported, "the plugin has no parser %q", req.Format)
	}
	input, err := json.Marshal(req)
	if err != nil {
		return nil, p.errorf(abi.ExportParse, ReasonInvalidArguments, "parse request: %v", err)
	}
	out, err := p.call(ctx, abi.ExportParse, input, p.cfg.parserTO)
	if err != nil {
		return nil, err
	}
	var r abi.ParseResult
	if err := json.Unmarshal(out, &r); err != nil || r.Value == nil {
		return nil, p.errorf(abi.ExportParse, ReasonMalformedReply, `the reply is not {"value": ...}: %.200q`, out)
	}
	return r.Value, nil
}

// Decide asks the plugin's retry strategy what to do after a failed call.
// The decision is validated: an unknown action, a fallback without a model,
// a negative delay are ReasonMalformedReply.
func (p *Plugin) Decide(ctx context.Context, req abi.DecideRequest) (abi.Decision, error) {
	if !p.desc.Retry {
		return abi.Decision{}, p.errorf(abi.ExportDecide, ReasonUnsupported, "the plugin offers no retry strategy")
	}
	if req.Fallbacks == nil {
		req.Fallbacks = []string{} // the message has an array, never null
	}
	input, err := json.Marshal(req)
	if err != nil {
		return abi.Decision{}, p.errorf(abi.ExportDecide, ReasonInvalidArguments, "decide request: %v", err)
	}
	out, err := p.call(ctx, abi.ExportDecide, input, p.cfg.retryTO)
	if err != nil {
		return abi.Decision{}, err
	}
	var d abi.Decision
	if err := json.Unmarshal(out, &d); err != nil {
		return abi.Decision{}, p.errorf(abi.ExportDecide, ReasonMalformedReply, "the reply is not a decision: %v", err)
	}
	if err := d.Validate(); err != nil {
		return abi.Decision{}, p.errorf(abi.ExportDecide, ReasonMalformedReply, "%v", err)
	}
	return d, nil
}

// Close frees the plugin's instances and runtime. Calls in flight are
// stopped and, like later calls, fail with ReasonClosed.
func (p *Plugin) Close(ctx context.Context) error {
	var err error
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		if p.pool != nil {
			p.pool.close(ctx)
		}
		if p.drv != nil {
			err = p.drv.close(ctx)
		}
		if p.ownCache && p.cache != nil {
			p.cache.Close(ctx)
		}
		p.cfg.closeGrants()
	})
	return err
}

// describe calls the describe export once, at load, and sets the plugin up
// from its reply. For a native guest describe is part of the contract and
// its failure fails Load; for others it is optional.
func (p *Plugin) describe(ctx context.Context) error {
	_, has := p.funcs[abi.ExportDescribe]
	native := p.info.ABI == ABINative
	if !has {
		if p.name == "" {
			p.name = "plugin"
		}
		// Still create the first instance: a module that cannot start
		// should fail at load.
		in, e := p.pool.get(ctx)
		if e != nil {
			return fmt.Errorf("load plugin: %w", p.fill(e, "instantiate"))
		}
		p.pool.put(in)
		p.tools = map[string]*toolEntry{}
		p.setInfo()
		return nil
	}
	out, err := p.call(ctx, abi.ExportDescribe, nil, p.cfg.toolTO)
	if err == nil {
		err = json.Unmarshal(out, &p.desc)
		if err == nil && native {
			err = p.desc.Validate()
		}
	}
	if err != nil {
		if native {
			return fmt.Errorf("load plugin: describe: %w", err)
		}
		p.info.DescribeError = err.Error()
		p.desc = abi.Describe{}
	}
	if p.cfg.name == "" && p.desc.Name != "" {
		p.name = p.desc.Name
	}
	if p.name == "" {
		p.name = "plugin"
	}
	// Native or not, a reply that would cost the host without bound is
	// refused, not ignored.
	dl := p.cfg.describeLimits.withDefaults()
	over, objects, err := checkDescribe(&p.desc, dl)
	if err != nil {
		return fmt.Errorf("load plugin: describe: %w", err)
	}
	p.mcp = !native && p.desc.ABI == "" && len(p.desc.Tools) > 0
	p.tools = make(map[string]*toolEntry, len(p.desc.Tools))
	if over < len(p.desc.Tools) {
		// Refused before any schema is compiled; but a schema over its
		// own SchemaLimits (refused before compiling, too) is named as such.
		t := p.desc.Tools[over]
		if _, err := newToolEntry(t, p.cfg.schemaLimits); err != nil {
			return fmt.Errorf("load plugin: tool %s: %w", t.Name, err)
		}
		return fmt.Errorf("load plugin: describe: %w", &DescribeLimitError{Limit: "Subschemas", Value: objects, Max: dl.Subschemas})
	}
	for _, t := range p.desc.Tools {
		entry, err := newToolEntry(t, p.cfg.schemaLimits)
		if err != nil && native {
			return fmt.Errorf("load plugin: tool %s: %w", t.Name, err)
		}
		p.tools[t.Name] = entry
	}
	p.setInfo()
	return nil
}

func (p *Plugin) setInfo() {
	p.info.Name, p.info.Version = p.name, p.desc.Version
	p.info.Kinds = p.desc.Kinds()
	p.info.Tools, p.info.Parsers, p.info.Retry, p.info.MCP = p.desc.Tools, p.desc.Parsers, p.desc.Retry, p.mcp
	// Empty lists, not null, in the JSON of `plugin inspect`.
	if p.info.Kinds == nil {
		p.info.Kinds = []string{}
	}
	if p.info.Tools == nil {
		p.info.Tools = []abi.Tool{}
	}
	if p.info.Parsers == nil {
		p.info.Parsers = []abi.Parser{}
	}
	if p.info.Imports == nil {
		p.info.Imports = []Function{}
	}
}

func (p *Plugin) fill(e *Error, fn string) *Error {
	e.Plugin = p.name
	if e.Plugin == "" {
		// A module loaded from bytes fails before describe named it.
		e.Plugin = "plugin"
	}
	if e.Function == "" {
		e.Function = fn
	}
	return e
}

func (p *Plugin) errorf(fn string, r Reason, format string, args ...any) *Error {
	return &Error{Plugin: p.name, Function: fn, Reason: r, Message: fmt.Sprintf(format, args...)}
}

func (p *Plugin) exportNames() []string {
	names := make([]string, 0, len(p.funcs))
	for n := range p.funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (p *Plugin) toolNames() []string {
	names := make([]string, 0, len(p.desc.Tools))
	for _, t := range p.desc.Tools {
		names = append(names, t.Name)
	}
	return names
}

func (p *Plugin) hasParser(name string) bool {
	for _, ps := range p.desc.Parsers {
		if ps.Name == name {
			return true
		}
	}
	return false
}
