package abi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Describe is the reply of the describe export: who the plugin is and which
// kinds it offers. One module may offer several kinds at once.
type Describe struct {
	// ABI is Version ("llmhost/1") for a native guest. Extism plugins that
	// follow the MCP servlet convention leave it empty.
	ABI     string   `json:"abi"`
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	Tools   []Tool   `json:"tools,omitempty"`
	Parsers []Parser `json:"parsers,omitempty"`
	// Retry reports that the decide export implements a retry strategy.
	Retry bool `json:"retry,omitempty"`
}

// Kinds lists the plugin kinds d offers, in the order tool, parser, retry.
func (d *Describe) Kinds() []string {
	var k []string
	if len(d.Tools) > 0 {
		k = append(k, "tool")
	}
	if len(d.Parsers) > 0 {
		k = append(k, "parser")
	}
	if d.Retry {
		k = append(k, "retry")
	}
	return k
}

// Tool declares one tool of a plugin. Parameters is the JSON Schema of the
// tool's arguments object. When decoding, the MCP spelling "inputSchema" is
// accepted as a synonym so that MCP-style servlets load unchanged.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// UnmarshalJSON accepts "inputSchema" where "parameters" is absent.
func (t *Tool) UnmarshalJSON(b []byte) error {
	var w struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		InputSchema json.RawMessage `json:"inputSchema"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t.Name, t.Description, t.Parameters = w.Name, w.Description, w.Parameters
	if !isAbsent(w.InputSchema) && !isSchema(w.InputSchema) {
		return fmt.Errorf("tool %q: inputSchema is not a JSON Schema (an object or a boolean)", w.Name)
	}
	if isAbsent(t.Parameters) {
		t.Parameters = w.InputSchema
	}
	if isAbsent(t.Parameters) {
		t.Parameters = nil
	}
	return nil
}

// Parser declares one output parser of a plugin. A parse request selects it
// by name in its Format field. When decoding, a bare string is accepted as
// the parser's name.
type Parser struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// UnmarshalJSON accepts either {"name",...} or "name".
func (p *Parser) UnmarshalJSON(b []byte) error {
	if s := bytes.TrimSpace(b); len(s) > 0 && s[0] == '"' {
		p.Description = ""
		return json.Unmarshal(s, &p.Name)
	}
	type plain Parser
	return json.Unmarshal(b, (*plain)(p))
}

// ToolCall is the input of the call export.
type ToolCall struct {
	// ID is the model's id for this call; tools may ignore it.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Arguments is the JSON object the model produced. The host has already
	// validated it against the tool's Parameters schema.
	Arguments json.RawMessage `json:"arguments"`
}

// ParseRequest is the input of the parse export.
type ParseRequest struct {
	// Text is the model's answer.
	Text string `json:"text"`
	// Schema is the JSON Schema the value must satisfy, when there is one.
	Schema json.RawMessage `json:"schema,omitempty"`
	// Format names one of the parsers in describe; empty selects the first.
	Format string `json:"format,omitempty"`
}

// ParseResult is the reply of a successful parse.
type ParseResult struct {
	Value json.RawMessage `json:"value"`
}

// DecideRequest is the input of the decide export: a call has just failed,
// what next?
type DecideRequest struct {
	// Attempt counts the failed attempts on Model so far, starting at 1.
	Attempt int `json:"attempt"`
	// ElapsedMS is the time since the first attempt of the whole call.
	ElapsedMS int64 `json:"elapsed_ms"`
	// Model is the model that just failed, as "provider/model".
	Model string `json:"model"`
	// Fallbacks are the models not yet tried, in order.
	Fallbacks []string  `json:"fallbacks"`
	Error     CallError `json:"error"`
}

// CallError describes the failure a DecideRequest is about. Kind is one of
// the engine's error kinds (rate_limit, server, timeout, connection,
// authentication, ...).
type CallError struct {
	Kind    string `json:"kind"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message"`
	// RetryAfterMS is the provider's Retry-After, when it gave one.
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	Provider     string `json:"provider,omitempty"`
}

// Action is what a retry strategy decides.
type Action string

const (
	ActionRetry    Action = "retry"    // try Model again after DelayMS
	ActionFallback Action = "fallback" // switch to Decision.Model
	ActionFail     Action = "fail"     // give up
)

// Decision is the reply of decide.
type Decision struct {
	Action  Action `json:"action"`
	DelayMS int64  `json:"delay_ms"`
	// Model is the model to switch to; required for ActionFallback.
	Model string `json:"model,omitempty"`
}

// UnmarshalJSON reads delay_ms as decision.json says: a JSON number of
// integral value, however written (2000, 2000.0, 2e3), up to the largest
// int64; null or absent is 0. A fraction, a number past int64 (1e300) or
// anything not a number is an error that names delay_ms, never a silent 0
// or a wait that wraps around. Negative values decode, for Validate to
// refuse with its own message.
func (d *Decision) UnmarshalJSON(b []byte) error {
	// Keys are matched exactly, as the schema matches them: encoding/json
	// alone would also take "Action" or "ACTION" for "action", and the host
	// would act on a reply that decision.json refuses.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var w struct {
		Action  Action
		DelayMS json.RawMessage
		Model   *string
	}
	if raw, ok := m["action"]; ok {
		if err := json.Unmarshal(raw, &w.Action); err != nil {
			return fmt.Errorf("decision: action: %w", err)
		}
	}
	w.DelayMS = m["delay_ms"]
	if raw, ok := m["model"]; ok {
		if err := json.Unmarshal(raw, &w.Model); err != nil {
			return fmt.Errorf("decision: model: %w", err)
		}
	}
	ms, err := integer(w.DelayMS)
	if err != nil {
		return fmt.Errorf("decision: delay_ms %s", err)
	}
	*d = Decision{Action: w.Action, DelayMS: ms}
	if w.Model != nil {
		d.Model = *w.Model
	}
	return nil
}

// integer reads a JSON number of integral value into an int64; absent or
// null is 0.
func integer(raw json.RawMessage) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	if s[0] != '-' && (s[0] < '0' || s[0] > '9') {
		return 0, fmt.Errorf("is %.40s, not a number", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return n, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%.40s is out of range (at most %d)", s, int64(math.MaxInt64))
	}
	// A fraction or an exponent. Float precision suffices: a delay is
	// whole milliseconds, far below 2^53.
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && f == 0:
		return 0, fmt.Errorf("%.40s is not a whole number of milliseconds", s)
	case err != nil || math.Abs(f) >= 1<<63:
		return 0, fmt.Errorf("%.40s is out of range (at most %d)", s, int64(math.MaxInt64))
	case f != math.Trunc(f), f == 0 && strings.Trim(strings.ToLower(strings.SplitN(s, "e", 2)[0]), "-0.") != "":
		// The second: a value too small for a float64 (1e-400), which
		// ParseFloat rounds to 0 without an error.
		return 0, fmt.Errorf("%.40s is not a whole number of milliseconds", s)
	}
	return int64(f), nil
}

// Error is the message of an error reply, from any export.
type Error struct {
	// Message says what went wrong, for humans and for the model.
	Message string `json:"message"`
	// RetryMessage is what a parser wants the model told so that it can
	// answer again correctly: which field, which rule.
	RetryMessage string `json:"retry_message,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Config is the input of llmhost_configure: the plugin's configuration, an
// explicit map granted by the user.
type Config map[string]string

// isSchema reports whether m has the form of a JSON Schema: an object or
// a boolean. Whether the object is a valid schema is the host's to check.
func isSchema(m json.RawMessage) bool {
	s := bytes.TrimSpace(m)
	return len(s) > 0 && s[0] == '{' || bytes.Equal(s, []byte("true")) || bytes.Equal(s, []byte("false"))
}

func isAbsent(m json.RawMessage) bool {
	s := bytes.TrimSpace(m)
	return len(s) == 0 || bytes.Equal(s, []byte("null"))
}
