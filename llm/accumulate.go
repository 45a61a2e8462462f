package llm

import (
	"encoding/json"
	"strings"
)

// accumulator builds an assistant message from stream chunks.
type accumulator struct {
	parts         []Part
	args          map[int]*strings.Builder // tool-call arguments by parts index
	calls         map[int]int              // delta index -> parts index
	usage         Usage
	finish        FinishReason
	providerModel string
	hasText       bool
}

func (a *accumulator) add(c Chunk) {
	if c.ProviderModel != "" {
		a.providerModel = c.ProviderModel
	}
	switch c.Kind {
	case ChunkText:
		if c.Text == "" {
			return
		}
		a.hasText = true
		if n := len(a.parts); n > 0 {
			if t, ok := a.parts[n-1].(Text); ok {
				a.parts[n-1] = t + Text(c.Text)
				return
			}
		}
		a.parts = append(a.parts, Text(c.Text))
	case ChunkThought:
		if n := len(a.parts); n > 0 && !c.NewBlock {
			if t, ok := a.parts[n-1].(Thought); ok && t.Redacted == "" && c.Redacted == "" {
				t.Text += c.Text
				t.Signature += c.Signature
				a.parts[n-1] = t
				return
			}
		}
		a.parts = append(a.parts, Thought{Text: c.Text, Signature: c.Signature, Redacted: c.Redacted})
	case ChunkToolCall:
		d := c.ToolCall
		if a.calls == nil {
			a.calls, a.args = map[int]int{}, map[int]*strings.Builder{}
		}
		i, ok := a.calls[d.Index]
		if !ok {
			i = len(a.parts)
			a.calls[d.Index] = i
			a.args[i] = &strings.Builder{}
			a.parts = append(a.parts, ToolCall{})
		}
		tc := a.parts[i].(ToolCall)
		if d.ID != "" {
			tc.ID = d.ID
		}
		if d.Name != "" {
			tc.Name = d.Name
		}
		a.parts[i] = tc
		a.args[i].WriteString(d.Arguments)
	case ChunkUsage:
		a.usage.merge(c.Usage)
	case ChunkFinish:
		a.finish = c.FinishReason
	}
}

// message returns what has been accumulated. A partial message (the stream
// failed) leaves out what cannot be sent back to a provider: tool calls,
// whose arguments may be cut, and thoughts without their signature.
func (a *accumulator) message(partial bool) Message {
	m := Message{Role: RoleAssistant}
	for i, p := range a.parts {
		switch p := p.(type) {
		case ToolCall:
			if partial {
				continue
			}
			args := strings.TrimSpace(a.args[i].String())
			if args == "" {
				args = "{}"
			}
			p.Arguments = json.RawMessage(args)
			m.Content = append(m.Content, p)
		case Thought:
			if partial && p.Signature == "" && p.Redacted == "" {
				continue
			}
			m.Content = append(m.Content, p)
		default:
			m.Content = append(m.Content, p)
		}
	}
	return m
}
