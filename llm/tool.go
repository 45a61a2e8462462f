package llm

import (
	"context"
	"encoding/json"
	"errors"
)

// Tool is something the model can ask to run. FuncTool makes one from a
// typed Go function; a tool plugin is another.
type Tool interface {
	// Definition describes the tool to the model.
	Definition() ToolDefinition
	// Execute runs the tool with the model's arguments, a JSON object, and
	// returns the text the model will see. A returned error becomes the
	// ToolOutput's Error, which the model sees too.
	Execute(ctx context.Context, args json.RawMessage) (string, error)
}

// ToolOutput is the result of one tool call, sent back to the model by
// Resume. When the tool failed, Error says how (an *Error of
// KindToolExecution or KindToolNotFound) and its message is what the model
// reads; the call itself did not fail.
type ToolOutput struct {
	ID     string
	Name   string
	Result string
	Error  error
}

// Content is what the model receives for this output: the result, or the
// error's message alone, as Mirascope sends it (the message already says
// what failed: "tool divide panicked: division by zero").
func (o ToolOutput) Content() string {
	if o.Error != nil {
		var e *Error
		if errors.As(o.Error, &e) && e.Message != "" {
			return e.Message
		}
		return o.Error.Error()
	}
	return o.Result
}

// MarshalJSON gives the output the CLI contract's shape:
// {"id","name","result","error"}, with error null or {"kind","message",...}.
func (o ToolOutput) MarshalJSON() ([]byte, error) {
	var errv any
	if o.Error != nil {
		var e *Error
		if !errors.As(o.Error, &e) {
			e = &Error{Kind: KindToolExecution, Message: o.Error.Error()}
		}
		errv = e
	}
	return json.Marshal(struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Result string `json:"result"`
		Error  any    `json:"error"`
	}{o.ID, o.Name, o.Result, errv})
}
