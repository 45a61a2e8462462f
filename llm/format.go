package llm

import (
	"context"
	"encoding/json"
)

// FormatMode is how structured output is asked of the model.
type FormatMode string

const (
	// FormatTool forces a call of a tool whose parameters are the schema.
	// Every provider with tools supports it.
	FormatTool FormatMode = "tool"
	// FormatJSON puts the schema in the system prompt and turns on the
	// provider's JSON mode where it has one.
	FormatJSON FormatMode = "json"
	// FormatStrict uses the provider's native JSON-schema output.
	FormatStrict FormatMode = "strict"
	// FormatParser leaves the answer free and hands its text to a Parser.
	FormatParser FormatMode = "parser"
)

// Parser turns an answer's text into a JSON value. Returning a *ParseError
// makes the engine resume the conversation with its RetryMessage; any other
// error fails the call.
type Parser interface {
	Parse(ctx context.Context, text string, f *Format) (json.RawMessage, error)
}

// ParserFunc adapts a function to a Parser.
type ParserFunc func(ctx context.Context, text string, f *Format) (json.RawMessage, error)

// Parse calls f.
func (f ParserFunc) Parse(ctx context.Context, text string, fm *Format) (json.RawMessage, error) {
	return f(ctx, text, fm)
}

// Capabilities is what a provider can do for a model. Providers implement
// CapabilityReporter to say it; the engine assumes tools only otherwise.
type Capabilities struct {
	// DefaultFormat is the structured-output mode used when a Format does
	// not name one.
	DefaultFormat FormatMode
	// Formats lists the modes the provider supports natively for the model
	// (FormatTool, FormatJSON, FormatStrict). FormatParser always works.
	Formats []FormatMode
}

// CapabilityReporter is implemented by providers that can say what a model
// supports.
type CapabilityReporter interface {
	Capabilities(model string) Capabilities
}

// Format asks for an answer of a given shape. Build one with FormatFor (from
// a Go type) or FormatFromSchema (from a JSON Schema document).
type Format struct {
	Name        string
	Description string
	Schema      json.RawMessage // a JSON Schema object
	// Mode is how the format is asked for; "" means the provider's default.
	Mode FormatMode
	// Parser replaces the built-in extraction and validation. It is
	// required with FormatParser and optional otherwise.
	Parser Parser
	// ToolName names the tool of FormatTool; "" means DefaultFormatToolName.
	ToolName string
}
