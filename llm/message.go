package llm

import (
	"encoding/json"
	"strings"
)

// Role says who wrote a message.
type Role string

const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool" // carries ToolOutputs back to the model
)

// Message is one turn of a conversation. Its content is a list of parts:
// Text, ToolCall, ToolOutput and Thought.
type Message struct {
	Role    Role
	Content []Part

	// Model is the "provider/model" that wrote an assistant message. Providers
	// use it to decide whether provider-specific parts (a Thought's signature)
	// can be sent back as they are.
	Model string
}

// Part is a piece of a message's content. The set of parts is closed: Text,
// ToolCall, ToolOutput and Thought.
type Part interface{ isPart() }

// Text is plain text content.
type Text string

// ToolCall is a model's request to run a tool.
type ToolCall struct {
	ID        string
	Name      string
	Arguments json.RawMessage // a JSON object, as the model wrote it
}

// Thought is a model's visible reasoning (Anthropic thinking blocks, Gemini
// thought parts). It is kept in the messages, so that a resumed conversation
// stays valid for the provider, but it is never part of Text.
type Thought struct {
	Text string
	// Signature is the provider's opaque proof of the thought, sent back
	// verbatim when the conversation continues on the same provider.
	Signature string
	// Redacted holds an encrypted thought the provider did not show.
	Redacted string
}

func (Text) isPart()       {}
func (ToolCall) isPart()   {}
func (ToolOutput) isPart() {}
func (Thought) isPart()    {}

// System returns a system message.
func System(text string) Message { return Message{Role: RoleSystem, Content: []Part{Text(text)}} }

// User returns a user message of text.
func User(text string) Message { return Message{Role: RoleUser, Content: []Part{Text(text)}} }

// Assistant returns an assistant message made of the given parts.
func Assistant(parts ...Part) Message { return Message{Role: RoleAssistant, Content: parts} }

// Text returns the message's text parts joined, without thoughts.
func (m Message) Text() string {
	if len(m.Content) == 1 {
		// The usual answer, one text part: itself, not a copy.
		t, _ := m.Content[0].(Text)
		return string(t)
	}
	var b strings.Builder
	for _, p := range m.Content {
		if t, ok := p.(Text); ok {
			b.WriteString(string(t))
		}
	}
	return b.String()
}

// SystemText joins the text of every system message with blank lines, for
// providers that take one system prompt beside the conversation rather
// than system messages within it.
func SystemText(msgs []Message) string {
	var parts []string
	for _, m := range msgs {
		if m.Role == RoleSystem {
			if t := m.Text(); t != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

// ToolCalls returns the message's tool calls, in order.
func (m Message) ToolCalls() []ToolCall {
	var calls []ToolCall
	for _, p := range m.Content {
		if c, ok := p.(ToolCall); ok {
			calls = append(calls, c)
		}
	}
	return calls
}

// messagesFor turns the content of a Resume into the messages it appends:
// tool outputs go in one tool message, everything else in one user message
// after it (providers require tool results right after the calls).
func messagesFor(content []Part) []Message {
	var tool, user []Part
	for _, p := range content {
		switch p.(type) {
		case ToolOutput:
			tool = append(tool, p)
		default:
			user = append(user, p)
		}
	}
	var msgs []Message
	if len(tool) > 0 {
		msgs = append(msgs, Message{Role: RoleTool, Content: tool})
	}
	if len(user) > 0 {
		msgs = append(msgs, Message{Role: RoleUser, Content: user})
	}
	return msgs
}

// Parts converts a slice of any part type, such as the []ToolOutput that
// ExecuteTools returns, to []Part for Resume:
//
//	resp, err = resp.Resume(ctx, llm.Parts(resp.ExecuteTools(ctx))...)
func Parts[P Part](ps []P) []Part {
	out := make([]Part, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

func cloneMessages(ms []Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		m.Content = append([]Part(nil), m.Content...)
		out[i] = m
	}
	return out
}
