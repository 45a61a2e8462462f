package anthropic

import (
	"bytes"
	"encoding/json"

	"github.com/anthropics/anthropic-sdk-go"

	"github.com/llmhost/llmhost/llm"
)

// decodeMessage turns a Messages API answer into a Completion.
func decodeMessage(msg *anthropic.Message) *llm.Completion {
	c := &llm.Completion{
		Message:       llm.Message{Role: llm.RoleAssistant},
		Usage:         usageOf(msg.Usage.InputTokens, msg.Usage.OutputTokens, msg.Usage.CacheReadInputTokens),
		FinishReason:  finishReason(msg.StopReason),
		ProviderModel: string(msg.Model),
	}
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			c.Message.Content = append(c.Message.Content, llm.Text(b.Text))
		case "thinking":
			c.Message.Content = append(c.Message.Content, llm.Thought{Text: b.Thinking, Signature: b.Signature})
		case "redacted_thinking":
			c.Message.Content = append(c.Message.Content, llm.Thought{Redacted: b.Data})
		case "tool_use":
			c.Message.Content = append(c.Message.Content, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: arguments(b.Input)})
		}
		// Server-side tool blocks (web search and the like) are never asked
		// for by llmhost, so there is nothing else to keep.
	}
	return c
}

// arguments returns a tool call's input as the engine wants it: a JSON
// object, "{}" when the model sent nothing.
func arguments(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	return bytes.Clone(raw)
}

// usageOf builds llm.Usage from Anthropic's counts. input_tokens counts only
// the tokens that were neither read from nor written to the cache, so cache
// reads are reported beside it rather than inside it.
func usageOf(input, output, cacheRead int64) llm.Usage {
	return llm.Usage{InputTokens: int(input), OutputTokens: int(output), CacheReadTokens: int(cacheRead)}
}

// finishReason maps Anthropic's stop reasons; end_turn, tool_use,
// stop_sequence and pause_turn are normal ends.
func finishReason(r anthropic.StopReason) llm.FinishReason {
	switch r {
	case anthropic.StopReasonMaxTokens:
		return llm.FinishMaxTokens
	case anthropic.StopReasonRefusal:
		return llm.FinishRefusal
	case anthropic.StopReasonModelContextWindowExceeded:
		return llm.FinishContextLengthExceeded
	}
	return ""
}
