package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// NewTool makes a Tool of a typed Go function. The tool's parameters are
// A's fields, described by the same tags as FormatFor; the model's
// arguments are validated against that schema before fn runs, so fn only
// ever sees well-formed input.
//
// What fn returns is what the model reads: a string as it is, anything else
// as JSON. An error fn returns, or a panic in fn, becomes the ToolOutput's
// Error, and the model reads its message: a failing tool never fails the
// call.
//
//	type DivideArgs struct {
//		A float64 `json:"a"`
//		B float64 `json:"b"`
//	}
//	divide := llm.NewTool("divide", "Divide a by b.", func(ctx context.Context, x DivideArgs) (float64, error) {
//		if x.B == 0 {
//			return 0, errors.New("division by zero")
//		}
//		return x.A / x.B, nil
//	})
func NewTool[A, R any](name, description string, fn func(ctx context.Context, args A) (R, error)) Tool {
	f := FormatFor[A]()
	return &funcTool[A, R]{def: ToolDefinition{Name: name, Description: description, Parameters: f.Schema}, format: f, fn: fn}
}

type funcTool[A, R any] struct {
	def    ToolDefinition
	format *Format
	fn     func(context.Context, A) (R, error)
}

func (t *funcTool[A, R]) Definition() ToolDefinition { return t.def }

func (t *funcTool[A, R]) Execute(ctx context.Context, raw json.RawMessage) (string, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := t.format.Validate(raw); err != nil {
		return "", invalidArguments(t.def.Name, err)
	}
	var args A
	if err := json.Unmarshal(raw, &args); err != nil {
		return "", invalidArguments(t.def.Name, err)
	}
	res, err := t.fn(ctx, args)
	if err != nil {
		return "", err
	}
	if s, ok := any(res).(string); ok {
		return s, nil
	}
	if v := reflect.ValueOf(res); !v.IsValid() {
		return "null", nil
	}
	out, err := json.Marshal(res)
	if err != nil {
		return "", fmt.Errorf("tool %s returned a value that does not encode as JSON: %w", t.def.Name, err)
	}
	return string(out), nil
}

// invalidArguments says what the model got wrong, so it can call again.
func invalidArguments(tool string, err error) error {
	msg := err.Error()
	if pe, ok := err.(*ParseError); ok && len(pe.Violations) > 0 {
		var parts []string
		for _, v := range pe.Violations {
			parts = append(parts, v.String())
		}
		msg = strings.Join(parts, "; ")
	}
	return &Error{Kind: KindToolExecution, Message: fmt.Sprintf("invalid arguments for tool %s: %s", tool, msg), Err: err}
}
