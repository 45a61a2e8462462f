package anthropic_test

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// answer is what a recorded response says, read with encoding/json alone,
// independently of the SDK and of the provider's decoding: the oracle the
// provider's results are compared with.
type answer struct {
	Text   string
	Calls  []llm.ToolCall
	Usage  llm.Usage
	Stop   string // Anthropic's stop_reason
	Model  string
	blocks map[int]int // stream: content-block index -> position in Calls
}

// recordedAnswer reads the response of it, a JSON body or an event stream.
func recordedAnswer(t *testing.T, it replay.Interaction) answer {
	t.Helper()
	var a answer
	if !it.Streamed() {
		var msg struct {
			Model   string `json:"model"`
			Content []struct {
				Type  string          `json:"type"`
				Text  string          `json:"text"`
				ID    string          `json:"id"`
				Name  string          `json:"name"`
				Input json.RawMessage `json:"input"`
			} `json:"content"`
			StopReason string    `json:"stop_reason"`
			Usage      wireUsage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(it.Response.Body), &msg); err != nil {
			t.Fatalf("recorded body: %v", err)
		}
		a.Model, a.Stop, a.Usage = msg.Model, msg.StopReason, msg.Usage.usage()
		for _, b := range msg.Content {
			switch b.Type {
			case "text":
				a.Text += b.Text
			case "tool_use":
				a.Calls = append(a.Calls, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: b.Input})
			}
		}
		return a
	}
	a.blocks = map[int]int{}
	sc := bufio.NewScanner(strings.NewReader(it.Response.Body))
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type    string `json:"type"`
			Index   int    `json:"index"`
			Message struct {
				Model string    `json:"model"`
				Usage wireUsage `json:"usage"`
			} `json:"message"`
			ContentBlock struct {
				Type string `json:"type"`
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"content_block"`
			Delta struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				PartialJSON string `json:"partial_json"`
				StopReason  string `json:"stop_reason"`
			} `json:"delta"`
			Usage wireUsage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("recorded event %s: %v", data, err)
		}
		switch ev.Type {
		case "message_start":
			a.Model, a.Usage = ev.Message.Model, ev.Message.Usage.usage()
		case "content_block_start":
			if ev.ContentBlock.Type == "tool_use" {
				a.blocks[ev.Index] = len(a.Calls)
				a.Calls = append(a.Calls, llm.ToolCall{ID: ev.ContentBlock.ID, Name: ev.ContentBlock.Name})
			}
		case "content_block_delta":
			switch ev.Delta.Type {
			case "text_delta":
				a.Text += ev.Delta.Text
			case "input_json_delta":
				c := &a.Calls[a.blocks[ev.Index]]
				c.Arguments = append(c.Arguments, ev.Delta.PartialJSON...)
			}
		case "message_delta":
			a.Stop = ev.Delta.StopReason
			a.Usage.OutputTokens = ev.Usage.OutputTokens
		}
	}
	return a
}

type wireUsage struct {
	InputTokens          int `json:"input_tokens"`
	OutputTokens         int `json:"output_tokens"`
	CacheReadInputTokens int `json:"cache_read_input_tokens"`
}

func (u wireUsage) usage() llm.Usage {
	return llm.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadTokens: u.CacheReadInputTokens}
}

// message is the assistant message the engine should have made of a: the
// text, then the tool calls, in the order the recording has them (text
// comes first in every recording). A call of formatTool is text, as the
// engine turns it into the answer's text.
func (a answer) message(model, formatTool string) llm.Message {
	m := llm.Message{Role: llm.RoleAssistant, Model: model}
	if a.Text != "" {
		m.Content = append(m.Content, llm.Text(a.Text))
	}
	for _, c := range a.Calls {
		if c.Name == formatTool {
			m.Content = append(m.Content, llm.Text(c.Arguments))
			continue
		}
		m.Content = append(m.Content, c)
	}
	return m
}

// finish is the finish reason the engine reports for a's stop reason.
func (a answer) finish() llm.FinishReason {
	switch a.Stop {
	case "max_tokens":
		return llm.FinishMaxTokens
	case "refusal":
		return llm.FinishRefusal
	}
	return ""
}
