package pdk

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/llmhost/llmhost/abi"
)

// The registry is plain package state: a wasm instance runs one goroutine at
// a time and registration happens in init, before the host's first call.
var reg struct {
	name, version string
	tools         map[string]*tool
	toolOrder     []string
	parsers       map[string]*parser
	parserOrder   []string
	retry         func(abi.DecideRequest) (abi.Decision, error)
	describe      []byte // cached reply, built on first use
}

type tool struct {
	decl   abi.Tool
	schema func() json.RawMessage // reflected on first describe, not in every instance's init
	run    func(args json.RawMessage) (any, error)
}

type parser struct {
	decl abi.Parser
	run  func(abi.ParseRequest) (any, error)
}

// Info sets the plugin's name and version, reported by describe. A plugin
// that never calls Info is named "plugin".
func Info(name, version string) {
	reg.name, reg.version = name, version
	reg.describe = nil
}

// Tool registers a tool. Its parameter schema is reflected from A, which
// should be a struct whose fields carry json tags (and optionally jsonschema
// tags such as `jsonschema:"description=..."`). The tool receives the
// model's arguments decoded into A; its result R is returned to the model as
// JSON. A returned error, or a panic, becomes the tool's error.
//
// Registering a name twice panics: it is a programming error that would
// otherwise surface as a confusing describe.
func Tool[A, R any](name, description string, fn func(args A) (R, error)) {
	register(name, description, SchemaOf[A], func(raw json.RawMessage) (any, error) {
		var a A
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &a); err != nil {
				return nil, fmt.Errorf("invalid arguments for %s: %v", name, err)
			}
		}
		return fn(a)
	})
}

// ToolSchema registers a tool with an explicit parameter schema and raw JSON
// arguments, for tools whose arguments do not map well onto a Go type.
// parameters must be a JSON Schema, a JSON object or boolean (nil: none);
// anything else panics here, where the mistake is, rather than making a
// describe reply the host refuses at load.
func ToolSchema(name, description string, parameters json.RawMessage, fn func(args json.RawMessage) (any, error)) {
	if parameters != nil && (!json.Valid(parameters) || !isSchema(parameters)) {
		panic(fmt.Sprintf("pdk: tool %s: parameters %.40q is not a JSON Schema (a JSON object or boolean)", name, parameters))
	}
	register(name, description, func() json.RawMessage { return parameters }, fn)
}

func register(name, description string, schema func() json.RawMessage, fn func(json.RawMessage) (any, error)) {
	if reg.tools == nil {
		reg.tools = map[string]*tool{}
	}
	if _, dup := reg.tools[name]; dup {
		panic("pdk: tool " + name + " registered twice")
	}
	reg.tools[name] = &tool{decl: abi.Tool{Name: name, Description: description}, schema: schema, run: fn}
	reg.toolOrder = append(reg.toolOrder, name)
	reg.describe = nil
}

// Parser registers an output parser, selected by name in a parse request's
// format (the first registered one when the request names none). It returns
// the parsed value, marshalled to JSON for the host, or an error; return an
// *abi.Error with a RetryMessage to tell the model what to fix.
func Parser(name, description string, fn func(req abi.ParseRequest) (any, error)) {
	if reg.parsers == nil {
		reg.parsers = map[string]*parser{}
	}
	if _, dup := reg.parsers[name]; dup {
		panic("pdk: parser " + name + " registered twice")
	}
	reg.parsers[name] = &parser{decl: abi.Parser{Name: name, Description: description}, run: fn}
	reg.parserOrder = append(reg.parserOrder, name)
	reg.describe = nil
}

// Retry registers the plugin's retry strategy. There is at most one.
func Retry(fn func(req abi.DecideRequest) (abi.Decision, error)) {
	if reg.retry != nil {
		panic("pdk: retry strategy registered twice")
	}
	reg.retry = fn
	reg.describe = nil
}

// Describe returns what the plugin's describe export replies.
func Describe() abi.Describe {
	d := abi.Describe{ABI: abi.Version, Name: reg.name, Version: reg.version, Retry: reg.retry != nil}
	if d.Name == "" {
		d.Name = "plugin"
	}
	for _, n := range reg.toolOrder {
		t := reg.tools[n]
		if t.decl.Parameters == nil {
			t.decl.Parameters = t.schema()
		}
		d.Tools = append(d.Tools, t.decl)
	}
	for _, n := range reg.parserOrder {
		d.Parsers = append(d.Parsers, reg.parsers[n].decl)
	}
	return d
}

// isSchema reports whether b, valid JSON, is an object or a boolean.
func isSchema(b json.RawMessage) bool {
	s := bytes.TrimSpace(b)
	return len(s) > 0 && s[0] == '{' || bytes.Equal(s, []byte("true")) || bytes.Equal(s, []byte("false"))
}
