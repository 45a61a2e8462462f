package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	reflectschema "github.com/invopop/jsonschema"
)

// DefaultFormatToolName names the tool of FormatTool unless a Format says
// otherwise.
const DefaultFormatToolName = "__llmhost_formatted_output__"

// FormatFor returns a Format for values of type T. Its schema comes from
// T's fields: json tags name them, fields without omitempty are required,
// and jsonschema tags add descriptions and rules:
//
//	type Book struct {
//		Title  string `json:"title" jsonschema:"description=in all caps"`
//		Rating int    `json:"rating" jsonschema:"minimum=1,maximum=10"`
//	}
//	resp, err := llm.Call(ctx, model, msgs, llm.WithFormat(llm.FormatFor[Book]()))
//	var b Book
//	err = resp.Parse(&b)
func FormatFor[T any]() *Format {
	t := reflect.TypeFor[T]()
	r := reflectschema.Reflector{DoNotReference: true, ExpandedStruct: t.Kind() == reflect.Struct}
	s := r.ReflectFromType(t)
	s.Version, s.ID = "", ""
	raw, err := json.Marshal(s)
	if err != nil {
		// A reflected schema is plain data; failing to marshal it is a bug.
		panic(fmt.Sprintf("llm: FormatFor[%s]: %v", t, err))
	}
	name := t.Name()
	if name == "" {
		name = "Output"
	}
	return &Format{Name: name, Description: s.Description, Schema: raw}
}

// FormatFromSchema returns a Format for a JSON Schema document. The schema
// is compiled at once, so a bad schema is reported here, not at the first
// answer.
func FormatFromSchema(name string, schema []byte) (*Format, error) {
	if _, err := validatorFor(schema); err != nil {
		return nil, fmt.Errorf("llm: schema %s: %w", name, err)
	}
	var doc struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	_ = json.Unmarshal(schema, &doc)
	if name == "" {
		name = doc.Title
	}
	if name == "" {
		name = "Output"
	}
	return &Format{Name: name, Description: doc.Description, Schema: bytes.Clone(schema)}, nil
}

// WithFormat asks for structured output. The answer is parsed and validated
// (see Response.Parsed and Response.Parse); a failure is sent back to the
// model as a correction request, up to WithParseRetries times.
func WithFormat(f *Format) Option { return func(s *settings) { s.format = f } }

// WithParseRetries sets how many times a failed parse is sent back to the
// model (default 2; 0 for never).
func WithParseRetries(n int) Option { return func(s *settings) { s.parseRetries = max(n, 0) } }

func (f *Format) toolName() string {
	if f.ToolName != "" {
		return f.ToolName
	}
	return DefaultFormatToolName
}

func (f *Format) mode(caps Capabilities) FormatMode {
	switch {
	case f.Mode != "":
		return f.Mode
	case f.Parser != nil:
		return FormatParser
	case caps.DefaultFormat != "":
		return caps.DefaultFormat
	}
	return FormatTool
}

// apply adds the format to req in the mode the provider supports.
func (f *Format) apply(req *Request, caps Capabilities) error {
	mode := f.mode(caps)
	if mode != FormatParser && mode != FormatJSON && !slices.Contains(caps.Formats, mode) {
		return &Error{Kind: KindFeatureNotSupported,
			Message: fmt.Sprintf("structured output in %s mode is not supported for model %s (supported: %v, json, parser)", mode, req.Model, caps.Formats)}
	}
	switch mode {
	case FormatTool:
		name := f.toolName()
		desc := fmt.Sprintf("Use this tool to extract data in %s format for a final response.", f.Name)
		if f.Description != "" {
			desc += "\n" + f.Description
		}
		req.Tools = append(slices.Clip(req.Tools), ToolDefinition{Name: name, Description: desc, Parameters: f.Schema, Strict: true})
		req.ToolChoice = name
		no := false
		req.ParallelToolCalls = &no
		req.Messages = withInstruction(req.Messages,
			fmt.Sprintf("Always respond to the user's query using the %s tool for structured output.", name))
	case FormatJSON:
		var b bytes.Buffer
		if err := json.Indent(&b, f.Schema, "", "  "); err != nil {
			return &Error{Kind: KindBadRequest, Message: "format schema is not valid JSON: " + err.Error(), Err: err}
		}
		req.Messages = withInstruction(req.Messages, "Respond only with valid JSON that matches this exact schema:\n"+b.String())
		if slices.Contains(caps.Formats, FormatJSON) {
			req.Format = &ResponseFormat{Mode: FormatJSON, Name: f.Name, Description: f.Description, Schema: f.Schema}
		}
	case FormatStrict:
		req.Format = &ResponseFormat{Mode: FormatStrict, Name: f.Name, Description: f.Description, Schema: f.Schema}
	}
	return nil
}

// withInstruction adds an instruction to the system message, creating one
// if there is none. The caller's messages are not changed: instructions
// belong to the request, not to the conversation.
func withInstruction(msgs []Message, text string) []Message {
	out := make([]Message, 0, len(msgs)+1)
	if len(msgs) > 0 && msgs[0].Role == RoleSystem {
		out = append(out, System(msgs[0].Text()+"\n\n"+text))
		return append(out, msgs[1:]...)
	}
	out = append(out, System(text))
	return append(out, msgs...)
}

// formatToolAsText turns a call of the format tool into the text of the
// answer: the caller asked for an answer, not a tool call, and a
// conversation must not keep a call without a result.
func (s *settings) formatToolAsText(m Message) Message {
	if s.format == nil {
		return m
	}
	name := s.format.toolName()
	for i, p := range m.Content {
		if c, ok := p.(ToolCall); ok && c.Name == name {
			m.Content = slices.Clone(m.Content)
			m.Content[i] = Text(c.Arguments)
		}
	}
	return m
}

// parse extracts and validates the answer's JSON.
func (f *Format) parse(ctx context.Context, text string) (json.RawMessage, error) {
	if f.Parser != nil {
		return f.Parser.Parse(ctx, text, f)
	}
	if f.Mode == FormatParser {
		return nil, &Error{Kind: KindFeatureNotSupported, Message: "format mode parser needs a Parser"}
	}
	raw, err := ExtractJSON(text)
	if err != nil {
		return nil, err
	}
	if err := f.Validate(raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// Validate checks a JSON value against the format's schema. A violation is
// a *ParseError whose Violations name each failing field and rule.
func (f *Format) Validate(raw json.RawMessage) error {
	v, err := validatorFor(f.Schema)
	if err != nil {
		return &Error{Kind: KindBadRequest, Message: fmt.Sprintf("format %s: %v", f.Name, err), Err: err}
	}
	return v.validate(raw)
}

// ParseReason says why a parse failed.
type ParseReason string

const (
	ParseNoJSON ParseReason = "no_json" // nothing that looks like JSON
	ParseSyntax ParseReason = "syntax"  // JSON-like text that does not parse
	ParseSchema ParseReason = "schema"  // valid JSON that breaks the schema
	ParseCustom ParseReason = "custom"  // a custom parser's own verdict
)

// ParseError is a failed parse of a model's answer. The engine sends its
// RetryMessage back to the model, which is why it says precisely what was
// wrong.
type ParseError struct {
	Reason ParseReason
	// Text is what was parsed.
	Text string
	// Message is what was wrong, in a sentence.
	Message string
	// Violations lists each schema rule that failed.
	Violations []Violation
	// Retry, when set, is sent to the model as is instead of the message
	// RetryMessage builds.
	Retry string
	Err   error
}

// Violation is one failed schema rule.
type Violation struct {
	Path    string // JSON pointer to the value, "" for the root
	Rule    string // the schema keyword: required, type, minimum, ...
	Message string
}

func (v Violation) String() string {
	at := v.Path
	if at == "" {
		at = "(root)"
	}
	return fmt.Sprintf("%s: %s (rule %q)", at, v.Message, v.Rule)
}

func (e *ParseError) Error() string {
	switch {
	case len(e.Violations) > 0:
		var parts []string
		for _, v := range e.Violations {
			parts = append(parts, v.String())
		}
		return "parse: schema violation: " + strings.Join(parts, "; ")
	case e.Message != "":
		return "parse: " + e.Message
	}
	return "parse: " + string(e.Reason)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// RetryMessage is the user turn that asks the model to answer again: it
// names each failing field and rule, or says what could not be parsed.
func (e *ParseError) RetryMessage() string {
	if e.Retry != "" {
		return e.Retry
	}
	if e.Reason == ParseSchema {
		body := e.Message
		if len(e.Violations) > 0 {
			var b strings.Builder
			for i, v := range e.Violations {
				if i > 0 {
					b.WriteByte('\n')
				}
				b.WriteString("- " + v.String())
			}
			body = b.String()
		}
		return "Your response failed schema validation:\n" + body + "\n\nPlease correct these issues and respond again."
	}
	msg := e.Message
	if msg == "" {
		msg = string(e.Reason)
	}
	return "Your response could not be parsed: " + msg + "\n\nPlease ensure your response matches the expected format."
}
