package host

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/tetratelabs/wazero/api"
)

// replyInstance is an instance whose guest answers describe with one fixed
// reply and every other export with another: the bytes a plugin could
// return, without a plugin, so that fuzzing spends its time in the host's
// handling of them.
type replyInstance struct{ describe, reply []byte }

func (r replyInstance) call(_ context.Context, fn string, _ []byte, _ time.Duration) ([]byte, *Error) {
	if fn == abi.ExportDescribe {
		return r.describe, nil
	}
	return r.reply, nil
}
func (replyInstance) broken() bool          { return false }
func (replyInstance) close(context.Context) {}

// replyErrors are the reasons a call can fail with when the guest's reply
// is all that is wrong; the others need a guest that traps, loops, etc.
var replyErrors = []Reason{ReasonGuestError, ReasonMalformedReply, ReasonInvalidArguments, ReasonToolNotFound, ReasonUnsupported}

// FuzzDescribe is the host's handling of a plugin's describe reply, from
// decoding to the tools' compiled parameter schemas, and then of the
// replies of the plugin's calls: the tool arguments checked against the
// schemas the plugin declared, the tool result (llmhost/1 JSON, or an MCP
// call result for an Extism servlet), the parse result and the decision.
// A plugin is untrusted: whatever it declares or replies must fail its
// Load or its call, and never the host.
func FuzzDescribe(f *testing.F) {
	add := func(describe string, native bool, args, reply string) {
		f.Add([]byte(describe), native, []byte(args), []byte(reply))
	}
	calc := `{"abi":"llmhost/1","name":"calculator","version":"1.0.0","tools":[{"name":"divide","description":"Divides a by b.","parameters":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}],"parsers":[{"name":"json"}],"retry":true}`
	add(calc, true, `{"a":1,"b":0}`, `0.5`)
	add(calc, true, `{"a":"one"}`, `{"action":"fallback","model":"m"}`)
	add(calc, true, `{"a":1,"b":2}`, `{"value":{"x":1}}`)
	add(`{"tools":[{"name":"greet","inputSchema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}]}`, false, `{"name":"Ada"}`, `{"content":[{"type":"text","text":"Hello, Ada!"}]}`)
	add(`{"tools":[{"name":"refuse","inputSchema":{"type":"object"}}]}`, false, `{}`, `{"content":[],"isError":true}`)
	add(`{"abi":"llmhost/1","name":"r","tools":[{"name":"t","parameters":{"$ref":"#"}}]}`, true, `{"a":[[[]]]}`, `"x"`)
	add(`{"abi":"llmhost/1","name":"r","tools":[{"name":"t","parameters":{"$ref":"https://example.com/schema.json"}}]}`, true, `{}`, `1`)
	add(`{"abi":"llmhost/1","name":"r","tools":[{"name":"t","parameters":{"type":"object","properties":{"s":{"type":"string","pattern":"^(a+)+$","format":"email"}}}}]}`, true, `{"s":"aaaaaaaaaaaaaaaaaaaaaaaa!"}`, `{`)
	add(`{"abi":"llmhost/1","name":"r","tools":[{"name":"t","parameters":true}],"parsers":["p"]}`, true, `null`, `{"value":null}`)

	f.Fuzz(func(t *testing.T, describe []byte, native bool, args, reply []byte) {
		ctx := context.Background()
		p := &Plugin{cfg: newConfig(nil), info: Info{ABI: ABIExtism}, funcs: map[string]api.FunctionDefinition{}}
		if native {
			p.info.ABI = ABINative
		}
		for _, fn := range []string{abi.ExportDescribe, abi.ExportCall, abi.ExportParse, abi.ExportDecide} {
			p.funcs[fn] = nil
		}
		p.pool = newPool(1, 0, func(context.Context) (instance, *Error) { return replyInstance{describe, reply}, nil })

		if err := p.describe(ctx); err != nil {
			if !native {
				t.Fatalf("describe is optional for an Extism plugin, yet Load would fail: %v", err)
			}
			return
		}
		if native {
			if err := p.desc.Validate(); err != nil {
				t.Fatalf("a native plugin loaded with an invalid describe: %v", err)
			}
		}
		if p.name == "" {
			t.Fatal("a plugin without a name")
		}
		if _, err := json.Marshal(p.Info()); err != nil {
			t.Fatalf("Info does not marshal: %v", err)
		}
		for _, tl := range p.desc.Tools {
			e, ok := p.tools[tl.Name]
			if !ok {
				t.Fatalf("tool %q declared but not callable", tl.Name)
			}
			if native && tl.Parameters != nil && e.schema == nil {
				t.Fatalf("a native plugin loaded with tool %q whose schema did not compile", tl.Name)
			}
			out, err := p.CallTool(ctx, abi.ToolCall{ID: "call_1", Name: tl.Name, Arguments: args})
			checkReply(t, "call", out, err)
		}
		if v, err := p.Parse(ctx, abi.ParseRequest{Text: "x"}); err == nil {
			if !json.Valid(v) {
				t.Fatalf("parse returned %q, not JSON", v)
			}
		} else {
			checkReply(t, "parse", nil, err)
		}
		if d, err := p.Decide(ctx, abi.DecideRequest{Attempt: 1, Model: "m"}); err == nil {
			if d.Validate() != nil {
				t.Fatalf("decide returned an invalid decision %+v", d)
			}
		} else {
			checkReply(t, "decide", nil, err)
		}
	})
}

func checkReply(t *testing.T, what string, out []byte, err error) {
	t.Helper()
	if err == nil {
		if !json.Valid(out) {
			t.Fatalf("%s returned %q, not JSON", what, out)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s failed with %v (%T), not a *host.Error", what, err, err)
	}
	if !slices.Contains(replyErrors, e.Reason) || e.Message == "" {
		t.Fatalf("%s failed with reason %q, message %q", what, e.Reason, e.Message)
	}
}
