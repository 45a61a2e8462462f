package faultserver

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An Option adjusts an answer: [FinishReason], [Usage], [Chunks]. Answers
// ([Text], [JSON], [ToolCalls], [Refusal]) honour all of them; the faults
// that first stream some text ([Cut], [ErrorFrame], [Malformed], [Stall])
// honour [Chunks] and ignore the rest.
type Option func(*answer)

// FinishReason sets the finish reason, e.g. "length" or "content_filter".
// It defaults to "stop", or "tool_calls" for tool calls.
func FinishReason(reason string) Option { return func(a *answer) { a.finish = reason } }

// Usage sets the token counts reported. By default prompt tokens are the
// words of the request's messages and completion tokens the words answered.
func Usage(promptTokens, completionTokens int) Option {
	return func(a *answer) { a.usage = &[2]int{promptTokens, completionTokens} }
}

// Chunks sets how streamed text and tool-call arguments are split into
// deltas; the pieces must concatenate back to the input. Text defaults to
// [ByWords], arguments to BySize(5).
func Chunks(split func(string) []string) Option { return func(a *answer) { a.split = split } }

// ByWords splits s before each word, a word keeping the spaces before it:
// "Hello big world" gives "Hello", " big", " world".
func ByWords(s string) []string {
	var pieces []string
	start := 0
	prevSpace := false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if space && !prevSpace && i > start {
			// A piece ends where spaces follow a word, so the spaces
			// travel with the word after them.
			pieces = append(pieces, s[start:i])
			start = i
		}
		prevSpace = space
	}
	if start < len(s) {
		pieces = append(pieces, s[start:])
	}
	return pieces
}

// BySize returns a split into pieces of n runes (the last may be shorter).
func BySize(n int) func(string) []string {
	if n < 1 {
		n = 1
	}
	return func(s string) []string {
		var pieces []string
		for s != "" {
			i, count := 0, 0
			for i < len(s) && count < n {
				_, size := utf8.DecodeRuneInString(s[i:])
				i += size
				count++
			}
			pieces = append(pieces, s[:i])
			s = s[i:]
		}
		return pieces
	}
}

// An answer is a successful completion: text, a refusal or tool calls.
type answer struct {
	text    string
	refusal *string
	calls   []ToolCall
	finish  string
	usage   *[2]int
	split   func(string) []string
}

func newAnswer(finish string, opts []Option) *answer {
	a := &answer{finish: finish}
	for _, o := range opts {
		o(a)
	}
	return a
}

func (a *answer) splitText(s string) []string {
	if a.split != nil {
		return a.split(s)
	}
	return ByWords(s)
}

func (a *answer) splitArgs(s string) []string {
	if a.split != nil {
		return a.split(s)
	}
	return BySize(5)(s)
}

// Text answers with text: as one completion, or streamed in deltas (word by
// word unless [Chunks] says otherwise) when the request streams.
func Text(text string, opts ...Option) Step {
	a := newAnswer("stop", opts)
	a.text = text
	return Step{name: "text " + brief(text), serve: a.serve}
}

// JSON answers with v marshalled as the text content: a structured answer.
// A "wrong, then right" exchange is two steps, JSON(bad) then JSON(good).
// It panics if v cannot be marshalled, which is a mistake in the script.
func JSON(v any, opts ...Option) Step {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("faultserver: JSON(%T): %v", v, err))
	}
	s := Text(string(b), opts...)
	s.name = "json " + brief(string(b))
	return s
}

// ToolCalls answers with tool calls (finish reason "tool_calls"). Streamed,
// each call opens with its id and name and its arguments follow in
// fragments, all keyed by the call's index, as OpenAI sends them.
func ToolCalls(calls []ToolCall, opts ...Option) Step {
	a := newAnswer("tool_calls", opts)
	a.calls = append([]ToolCall(nil), calls...)
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.Name
	}
	return Step{name: "tool calls " + strings.Join(names, ", "), serve: a.serve}
}

// Refusal answers with a refusal: content null and the message in
// "refusal", as OpenAI does when a model declines.
func Refusal(text string, opts ...Option) Step {
	a := newAnswer("stop", opts)
	a.refusal = &text
	return Step{name: "refusal " + brief(text), serve: a.serve}
}

func (a *answer) serve(x *exchange) {
	calls := a.callsFor(x.req)
	u := a.usageFor(x.req)
	if !x.req.Stream {
		msg := message{Role: "assistant", Refusal: a.refusal, Annotations: []any{}}
		if a.refusal == nil && (len(calls) == 0 || a.text != "") {
			msg.Content = &a.text
		}
		for _, c := range calls {
			msg.ToolCalls = append(msg.ToolCalls, wireToolCall{ID: c.ID, Type: "function", Function: wireFunction{c.Name, c.Arguments}})
		}
		x.writeJSON(200, completion{
			ID: x.id, Object: "chat.completion", Created: x.created, Model: x.req.Model,
			Choices:     []choice{{Message: msg, FinishReason: a.finish}},
			Usage:       u,
			ServiceTier: "default", SystemFingerprint: fingerprint,
		})
		return
	}

	st := x.startStream()
	switch {
	case a.refusal != nil:
		st.chunk(delta{Role: "assistant", Content: jsonNull, Refusal: jsonString("")}, nil)
		for _, p := range a.splitText(*a.refusal) {
			st.chunk(delta{Refusal: jsonString(p)}, nil)
		}
	case len(calls) > 0 && a.text == "":
		st.chunk(delta{Role: "assistant", Content: jsonNull}, nil)
	default:
		st.roleAndText(a.text, a.splitText)
	}
	for i, c := range calls {
		st.chunk(delta{ToolCalls: []toolCallDelta{{Index: i, ID: c.ID, Type: "function", Function: functionDelta{Name: c.Name}}}}, nil)
		for _, p := range a.splitArgs(c.Arguments) {
			st.chunk(delta{ToolCalls: []toolCallDelta{{Index: i, Function: functionDelta{Arguments: p}}}}, nil)
		}
	}
	finish := a.finish
	st.chunk(delta{}, &finish)
	st.usage(u)
	st.done()
}

// roleAndText opens an assistant text stream and sends text in deltas.
func (st *streamer) roleAndText(text string, split func(string) []string) {
	st.chunk(delta{Role: "assistant", Content: jsonString(""), Refusal: jsonNull}, nil)
	for _, p := range split(text) {
		st.chunk(delta{Content: jsonString(p)}, nil)
	}
}

// callsFor gives unnamed calls deterministic ids unique to the request.
func (a *answer) callsFor(r Request) []ToolCall {
	calls := append([]ToolCall(nil), a.calls...)
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = fmt.Sprintf("call_%d_%d", r.Seq, i)
		}
	}
	return calls
}

func (a *answer) usageFor(r Request) usage {
	if a.usage != nil {
		return newUsage(a.usage[0], a.usage[1])
	}
	prompt := 0
	for _, m := range r.Messages {
		prompt += words(m.Content)
	}
	completion := words(a.text)
	if a.refusal != nil {
		completion += words(*a.refusal)
	}
	for _, c := range a.calls {
		completion += len(c.Arguments)/4 + 1
	}
	return newUsage(max(prompt, 1), max(completion, 1))
}

// brief quotes s for a step's description, shortened.
func brief(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
