package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Response is a finished call.
type Response struct {
	// Model is the "provider/model" that answered, which is a fallback when
	// the primary failed.
	Model string
	// ProviderModel is the model name the provider reported.
	ProviderModel string
	// Messages holds the conversation: the input, then everything this
	// call added (the answer, and any retry or continuation turns).
	Messages []Message
	// Usage sums every request of the call that got an answer.
	Usage        Usage
	FinishReason FinishReason
	// Attempts lists the failed attempts before the answer, on any model.
	Attempts []Attempt
	// Parsed is the validated structured output, when the call had a Format.
	Parsed json.RawMessage
	// ToolOutputs lists what the tools returned, when the call ran the tool
	// loop (WithToolLoop).
	ToolOutputs []ToolOutput

	s      *settings
	answer int // index in Messages of the first message of the answer
}

// Text returns the answer's text, without thoughts. After a resumed stream
// it is the partial text followed by the continuation.
func (r *Response) Text() string {
	if answer := r.Messages[r.answer:]; len(answer) == 1 && answer[0].Role == RoleAssistant {
		// The usual case, one assistant message: its text, not a copy.
		return answer[0].Text()
	}
	var b strings.Builder
	for _, m := range r.Messages[r.answer:] {
		if m.Role == RoleAssistant {
			b.WriteString(m.Text())
		}
	}
	return b.String()
}

// Message returns the last assistant message.
func (r *Response) Message() Message {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == RoleAssistant {
			return r.Messages[i]
		}
	}
	return Message{Role: RoleAssistant}
}

// ToolCalls returns the tool calls of the last assistant message.
func (r *Response) ToolCalls() []ToolCall { return r.Message().ToolCalls() }

// Pretty renders the answer for a human: the text, thoughts marked as such,
// and tool calls with their arguments.
func (r *Response) Pretty() string {
	var parts []string
	// run joins consecutive text parts (an answer may hold any number of
	// them: joining each to the string so far would be quadratic). open
	// says it is the last part and may grow; a text beginning with "["
	// stands alone, as the markers do.
	var run strings.Builder
	open := false
	end := func() {
		if open {
			parts[len(parts)-1] = run.String()
			run, open = strings.Builder{}, false
		}
	}
	for _, m := range r.Messages[r.answer:] {
		if m.Role != RoleAssistant {
			continue
		}
		for _, p := range m.Content {
			switch p := p.(type) {
			case Text:
				if open {
					run.WriteString(string(p))
					continue
				}
				parts = append(parts, string(p))
				if !strings.HasPrefix(string(p), "[") {
					run.WriteString(string(p))
					open = true
				}
			case Thought:
				if p.Text != "" {
					end()
					parts = append(parts, "[thinking] "+p.Text)
				}
			case ToolCall:
				end()
				parts = append(parts, fmt.Sprintf("[tool call] %s(%s)", p.Name, p.Arguments))
			}
		}
	}
	end()
	if r.FinishReason != "" {
		parts = append(parts, fmt.Sprintf("[finished early: %s]", r.FinishReason))
	}
	return strings.Join(parts, "\n")
}

// Resume continues the conversation with content as the next turn (text
// from the user, or the outputs of tools), with the same options. The model
// is the one that answered, unless the context names another (UseModel).
func (r *Response) Resume(ctx context.Context, content ...Part) (*Response, error) {
	s := r.settings()
	msgs := append(cloneMessages(r.Messages), messagesFor(content)...)
	return s.call(ctx, r.resumeModel(), msgs)
}

// ResumeStream is Resume, streamed.
func (r *Response) ResumeStream(ctx context.Context, content ...Part) (*StreamResponse, error) {
	s := r.settings()
	msgs := append(cloneMessages(r.Messages), messagesFor(content)...)
	return s.stream(ctx, r.resumeModel(), msgs)
}

func (r *Response) settings() *settings {
	if r.s == nil {
		return newSettings(nil)
	}
	return r.s
}

func (r *Response) resumeModel() string { return r.Model }

// Parse decodes the answer into v. With a Format, it is the validated
// value; without one, the JSON found in the text (in prose or a code fence).
// A failure is a *ParseError.
func (r *Response) Parse(v any) error {
	raw := r.Parsed
	if raw == nil {
		var err error
		raw, err = ExtractJSON(r.Text())
		if err != nil {
			return err
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &ParseError{Reason: ParseSyntax, Text: string(raw), Message: err.Error(), Err: err}
	}
	return nil
}
