package pdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/llmhost/llmhost/abi"
)

// Invoke runs one of the ABI's exports (describe, call, parse, decide,
// llmhost_configure) on input exactly as the host would, without wasm. It
// is how a plugin's logic is unit-tested natively. A failure is returned as
// an *abi.Error, as the host would receive it.
func Invoke(export string, input []byte) ([]byte, error) {
	out, isErr := dispatch(export, input)
	if isErr {
		var e abi.Error
		if err := json.Unmarshal(out, &e); err != nil {
			return nil, &abi.Error{Message: string(out)}
		}
		return nil, &e
	}
	return out, nil
}

// dispatch is the body of every export: it never panics and always returns
// either a result or an encoded abi.Error, so the host sees a well-formed
// reply even when plugin code misbehaves.
func dispatch(export string, input []byte) (out []byte, isErr bool) {
	var v any
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = recovered(r)
			}
		}()
		switch export {
		case abi.ExportDescribe:
			out, err = describeReply()
		case abi.ExportCall:
			v, err = callTool(input)
		case abi.ExportParse:
			v, err = parse(input)
		case abi.ExportDecide:
			v, err = decide(input)
		case abi.ExportConfigure:
			err = configure(input)
			out = []byte("{}")
		default:
			err = fmt.Errorf("pdk: unknown export %q", export)
		}
	}()
	if err != nil {
		return encodeError(err), true
	}
	if out != nil {
		return out, false
	}
	if raw, ok := v.(json.RawMessage); ok && raw != nil {
		return raw, false
	}
	out, err = json.Marshal(v)
	if err != nil {
		return encodeError(fmt.Errorf("pdk: result of %s is not JSON-marshalable: %v", export, err)), true
	}
	return out, false
}

// recovered turns a panic into the call's error. The message is what the
// model sees, so it is the panic value alone; the stack goes to stderr,
// which the host attaches to the error for humans.
func recovered(r any) error {
	fmt.Fprintf(stderr, "panic: %v\n\n%s", r, debug.Stack())
	return &abi.Error{Message: fmt.Sprintf("panic: %v", r)}
}

// stderr is where panic stacks go; a variable so native tests stay quiet.
var stderr io.Writer = os.Stderr

func encodeError(err error) []byte {
	var e *abi.Error
	if !errors.As(err, &e) {
		e = &abi.Error{Message: err.Error()}
	}
	b, _ := json.Marshal(e)
	return b
}

// describeReply is the describe reply, built once. A schema that does not
// marshal (a tool's reflected schema, or a Go value the reflector got
// wrong) is an error reply naming the cause, not a reply of "null".
func describeReply() ([]byte, error) {
	if reg.describe == nil {
		b, err := json.Marshal(Describe())
		if err != nil {
			return nil, fmt.Errorf("pdk: describe: %v", err)
		}
		reg.describe = b
	}
	return reg.describe, nil
}

func callTool(input []byte) (any, error) {
	var c abi.ToolCall
	if err := json.Unmarshal(input, &c); err != nil {
		return nil, fmt.Errorf("pdk: malformed call request: %v", err)
	}
	t, ok := reg.tools[c.Name]
	if !ok {
		return nil, fmt.Errorf("unknown tool %q", c.Name)
	}
	return t.run(c.Arguments)
}

func parse(input []byte) (any, error) {
	var req abi.ParseRequest
	if err := json.Unmarshal(input, &req); err != nil {
		return nil, fmt.Errorf("pdk: malformed parse request: %v", err)
	}
	name := req.Format
	if name == "" && len(reg.parserOrder) > 0 {
		name = reg.parserOrder[0]
	}
	p, ok := reg.parsers[name]
	if !ok {
		return nil, fmt.Errorf("unknown parser %q", name)
	}
	v, err := p.run(req)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pdk: parsed value is not JSON-marshalable: %v", err)
	}
	// {"value":<b>} by hand: marshalling an abi.ParseResult would re-scan b.
	out := make([]byte, 0, len(b)+10)
	out = append(out, `{"value":`...)
	out = append(append(out, b...), '}')
	return json.RawMessage(out), nil
}

func decide(input []byte) (any, error) {
	if reg.retry == nil {
		return nil, errors.New("this plugin has no retry strategy")
	}
	var req abi.DecideRequest
	if err := json.Unmarshal(input, &req); err != nil {
		return nil, fmt.Errorf("pdk: malformed decide request: %v", err)
	}
	return reg.retry(req)
}
