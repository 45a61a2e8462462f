package faultserver

import (
	"net/http"
	"strings"
	"time"
)

// A Request is a request the server received, as recorded for assertions and
// as handed to [Func] steps.
type Request struct {
	// Seq is the arrival order over all models, from 0.
	Seq int
	// Time is when the request arrived.
	Time time.Time
	// Model is the body's "model".
	Model string
	// Stream is the body's "stream".
	Stream bool
	// IncludeUsage is the body's stream_options.include_usage.
	IncludeUsage bool
	// Messages are the body's messages, simplified (see [Message]).
	Messages []Message
	// Body is the parsed JSON body; RawBody is the body as sent.
	Body    map[string]any
	RawBody []byte
	Header  http.Header
	// Step describes the step that answered, e.g. `HTTP 429 rate limit
	// (Retry-After: 2)`; it is empty when no step was left.
	Step string
}

// A Message is one entry of a request's messages, reduced to what scripts
// and assertions look at.
type Message struct {
	Role string
	// Content is the text content; text parts of a content array are
	// concatenated.
	Content string
	// ToolCalls are an assistant message's tool calls.
	ToolCalls []ToolCall
	// ToolCallID is the call a "tool" message answers.
	ToolCallID string
}

// A ToolCall is a function call: scripted by [ToolCalls], or found in an
// assistant message of a request.
type ToolCall struct {
	// ID defaults to "call_<request>_<index>" when scripted empty.
	ID   string
	Name string
	// Arguments is the JSON text of the arguments, as OpenAI sends it.
	Arguments string
}

// LastMessage returns the last message, or a zero Message when there is none.
func (r Request) LastMessage() Message {
	if len(r.Messages) == 0 {
		return Message{}
	}
	return r.Messages[len(r.Messages)-1]
}

// parseBody fills the fields derived from the JSON body.
func (r *Request) parseBody() {
	b := r.Body
	r.Model, _ = b["model"].(string)
	r.Stream, _ = b["stream"].(bool)
	if so, ok := b["stream_options"].(map[string]any); ok {
		r.IncludeUsage, _ = so["include_usage"].(bool)
	}
	msgs, _ := b["messages"].([]any)
	for _, m := range msgs {
		obj, ok := m.(map[string]any)
		if !ok {
			continue
		}
		msg := Message{Content: textOf(obj["content"])}
		msg.Role, _ = obj["role"].(string)
		msg.ToolCallID, _ = obj["tool_call_id"].(string)
		calls, _ := obj["tool_calls"].([]any)
		for _, c := range calls {
			call, _ := c.(map[string]any)
			fn, _ := call["function"].(map[string]any)
			var tc ToolCall
			tc.ID, _ = call["id"].(string)
			tc.Name, _ = fn["name"].(string)
			tc.Arguments, _ = fn["arguments"].(string)
			msg.ToolCalls = append(msg.ToolCalls, tc)
		}
		r.Messages = append(r.Messages, msg)
	}
}

// textOf reads message content: a string, or an array of parts whose text
// parts are concatenated.
func textOf(content any) string {
	switch c := content.(type) {
	case string:
		return c
	case []any:
		var b strings.Builder
		for _, p := range c {
			if part, ok := p.(map[string]any); ok {
				if t, ok := part["text"].(string); ok {
					b.WriteString(t)
				}
			}
		}
		return b.String()
	}
	return ""
}

// words counts whitespace-separated words: the stand-in for tokens in the
// default usage numbers.
func words(s string) int { return len(strings.Fields(s)) }
