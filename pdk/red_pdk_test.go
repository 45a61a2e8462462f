package pdk

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/abi"
)

// Hostile inputs to a pdk guest (issue 9, round 2): whatever the host
// passes, an export answers a well-formed reply, result or error, and
// never traps; and a guest cannot describe itself in a way the host then
// refuses.

// TestRedToolSchemaMustBeASchema: a parameters value the host refuses at
// load (3, [], a string, not JSON) panics at registration, naming the
// tool. Not JSON made describe answer "null"; 3 passed describe.
func TestRedToolSchemaMustBeASchema(t *testing.T) {
	noop := func(json.RawMessage) (any, error) { return nil, nil }
	for _, bad := range []string{`3`, `[]`, `"object"`, `not json`, `{"type":`, `null`} {
		reset(t)
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), "tool t") {
					t.Errorf("ToolSchema(%s): recovered %v, want a panic naming the tool", bad, r)
				}
			}()
			ToolSchema("t", "", json.RawMessage(bad), noop)
		}()
	}
	for _, good := range []json.RawMessage{json.RawMessage(`{"type":"object"}`), json.RawMessage(` true `), nil} {
		reset(t)
		ToolSchema("t", "", good, noop)
		out, err := Invoke("describe", nil)
		var d abi.Describe
		if err != nil || json.Unmarshal(out, &d) != nil || d.Validate() != nil {
			t.Errorf("ToolSchema(%s): describe %s, %v: want a reply the host accepts", good, out, err)
		}
	}
}

// TestRedMalformedInputsAreErrorReplies: every export answers malformed
// input with an error reply naming what was wrong, never a panic: deep
// nesting, wrong types, numbers out of range, invalid UTF-8, empty input.
func TestRedMalformedInputsAreErrorReplies(t *testing.T) {
	reset(t)
	registerCalc()
	Parser("p", "", func(abi.ParseRequest) (any, error) { return 1, nil })
	Retry(func(abi.DecideRequest) (abi.Decision, error) { return abi.Decision{Action: abi.ActionFail}, nil })
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	inputs := []string{"", "null", "not json", deep, `{"name":1}`, `{"name":"divide","arguments":"x"}`,
		`{"name":"divide","arguments":{"a":"1","b":2}}`, `{"name":"divide","arguments":{"a":1e999,"b":1}}`,
		"{\"name\":\"\xff\xfe\"}", `{"attempt":1e30}`, `{"text":5}`, `{"format":"nope","text":"x"}`, `[]`}
	for _, export := range []string{"call", "parse", "decide"} {
		for _, in := range inputs {
			out, isErr := dispatch(export, []byte(in))
			var e abi.Error
			if !isErr {
				continue // some inputs are fine for some exports (null arguments, an empty parse)
			}
			if json.Unmarshal(out, &e) != nil || e.Message == "" {
				t.Errorf("%s(%.40q): error reply %q is not an abi.Error", export, in, out)
			}
		}
	}
	// The malformed ones that must be errors for call.
	for _, in := range []string{"", "not json", deep, `{"name":1}`, `{"name":"divide","arguments":"x"}`, `[]`} {
		if _, isErr := dispatch("call", []byte(in)); !isErr {
			t.Errorf("call(%.40q) succeeded", in)
		}
	}
}
