package llm

import (
	"encoding/json"
	"strings"
)

// accumulator builds an assistant message from stream chunks.
type accumulator struct {
	parts []Part
	// tail holds the text of the last part while deltas extend it, when
	// that part is a Text or a Thought (tailOpen): adding each delta to a
	// string would copy the whole text so far on every chunk, quadratic in
	// the answer's length. The part's own field is filled in when another
	// part follows it, or in the copy message returns.
	tail     strings.Builder
	tailOpen bool
	// sig holds the signature of the last part while deltas extend it,
	// when that part is a Thought: a server may send a signature in any
	// number of deltas (250,000 of 8 bytes fit in one stream), and adding
	// each to the string so far would be quadratic too.
	sig           strings.Builder
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
		if n := len(a.parts); n > 0 && a.tailOpen {
			if _, ok := a.parts[n-1].(Text); ok {
				a.tail.WriteString(c.Text)
				return
			}
		}
		a.push(Text(""), c.Text)
	case ChunkThought:
		if n := len(a.parts); n > 0 && a.tailOpen && !c.NewBlock {
			if t, ok := a.parts[n-1].(Thought); ok && t.Redacted == "" && c.Redacted == "" {
				a.tail.WriteString(c.Text)
				a.sig.WriteString(c.Signature)
				return
			}
		}
		a.push(Thought{Redacted: c.Redacted}, c.Text)
		a.sig.WriteString(c.Signature)
	case ChunkToolCall:
		d := c.ToolCall
		if a.calls == nil {
			a.calls, a.args = map[int]int{}, map[int]*strings.Builder{}
		}
		i, ok := a.calls[d.Index]
		if !ok {
			a.closeTail()
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
		if a.tailOpen && i == len(a.parts)-1 {
			p = withTail(p, a.tail.String(), a.sig.String())
		}
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

// push starts a new part, p, whose text (a Text's, or a Thought's) is text
// and grows in tail from now on.
func (a *accumulator) push(p Part, text string) {
	a.closeTail()
	a.parts = append(a.parts, p)
	a.tail.WriteString(text)
	a.tailOpen = true
}

// closeTail stores the text tail holds into its part, before another part
// follows it.
func (a *accumulator) closeTail() {
	if !a.tailOpen {
		return
	}
	n := len(a.parts)
	a.parts[n-1] = withTail(a.parts[n-1], a.tail.String(), a.sig.String())
	// New Builders, not Reset: the strings just stored share the old
	// ones' memory (String does not copy).
	a.tail, a.sig = strings.Builder{}, strings.Builder{}
	a.tailOpen = false
}

// withTail returns p, a Text or a Thought, with its text replaced and, for
// a Thought, sig as its signature.
func withTail(p Part, text, sig string) Part {
	switch p := p.(type) {
	case Text:
		return Text(text)
	case Thought:
		p.Text, p.Signature = text, sig
		return p
	}
	return p
}
