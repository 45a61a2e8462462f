package google_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// answer is what a recorded response says, read with encoding/json alone,
// independently of the SDK and of the provider's decoding.
type answer struct {
	Parts  []llm.Part // as the engine keeps them: adjacent text merged
	Usage  llm.Usage
	Finish string // Gemini's finishReason
	Model  string
}

type wireChunk struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text         string `json:"text"`
				Thought      bool   `json:"thought"`
				Signature    string `json:"thoughtSignature"`
				FunctionCall *struct {
					Name string          `json:"name"`
					Args json.RawMessage `json:"args"`
				} `json:"functionCall"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	Usage struct {
		Prompt     int `json:"promptTokenCount"`
		Candidates int `json:"candidatesTokenCount"`
		Thoughts   int `json:"thoughtsTokenCount"`
		Cached     int `json:"cachedContentTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

// recordedAnswer reads the response of it, a JSON body or an event stream
// of such bodies.
func recordedAnswer(t *testing.T, it replay.Interaction) answer {
	t.Helper()
	var chunks []string
	if it.Streamed() {
		sc := bufio.NewScanner(strings.NewReader(it.Response.Body))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "data: "); ok {
				chunks = append(chunks, data)
			}
		}
	} else {
		chunks = []string{it.Response.Body}
	}
	var a answer
	calls := 0
	for _, raw := range chunks {
		var c wireChunk
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			t.Fatalf("recorded chunk %s: %v", raw, err)
		}
		a.Model = c.ModelVersion
		// Usage is a running total: the engine keeps each field's latest
		// non-zero value.
		mergeUsage(&a.Usage, llm.Usage{InputTokens: c.Usage.Prompt, OutputTokens: c.Usage.Candidates + c.Usage.Thoughts,
			ReasoningTokens: c.Usage.Thoughts, CacheReadTokens: c.Usage.Cached})
		if len(c.Candidates) == 0 {
			continue
		}
		cand := c.Candidates[0]
		if cand.FinishReason != "" {
			a.Finish = cand.FinishReason
		}
		for _, p := range cand.Content.Parts {
			switch {
			case p.Thought:
				a.add(llm.Thought{Text: p.Text, Signature: p.Signature})
				continue
			case p.FunctionCall != nil:
				var args any
				if err := json.Unmarshal(p.FunctionCall.Args, &args); err != nil {
					t.Fatal(err)
				}
				canonical, _ := json.Marshal(args)
				a.add(llm.ToolCall{ID: fmt.Sprintf("gemini-call:%s:%d", c.ResponseID, calls), Name: p.FunctionCall.Name, Arguments: canonical})
				calls++
			case p.Text != "":
				a.add(llm.Text(p.Text))
			}
			if p.Signature != "" {
				a.add(llm.Thought{Signature: p.Signature})
			}
		}
	}
	return a
}

func mergeUsage(dst *llm.Usage, src llm.Usage) {
	if src.InputTokens != 0 {
		dst.InputTokens = src.InputTokens
	}
	if src.OutputTokens != 0 {
		dst.OutputTokens = src.OutputTokens
	}
	if src.ReasoningTokens != 0 {
		dst.ReasoningTokens = src.ReasoningTokens
	}
	if src.CacheReadTokens != 0 {
		dst.CacheReadTokens = src.CacheReadTokens
	}
}

// add appends p, merging adjacent text as the engine's accumulator does.
func (a *answer) add(p llm.Part) {
	if t, ok := p.(llm.Text); ok && len(a.Parts) > 0 {
		if last, ok := a.Parts[len(a.Parts)-1].(llm.Text); ok {
			a.Parts[len(a.Parts)-1] = last + t
			return
		}
	}
	a.Parts = append(a.Parts, p)
}

// message is the assistant message the engine should have made of a; a
// call of formatTool is text, as the engine turns it into the answer.
func (a answer) message(model, formatTool string) llm.Message {
	m := llm.Message{Role: llm.RoleAssistant, Model: model}
	for _, p := range a.Parts {
		if c, ok := p.(llm.ToolCall); ok && c.Name == formatTool {
			p = llm.Text(c.Arguments)
		}
		m.Content = append(m.Content, p)
	}
	return m
}

func (a answer) finish() llm.FinishReason {
	switch a.Finish {
	case "MAX_TOKENS":
		return llm.FinishMaxTokens
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII":
		return llm.FinishRefusal
	}
	return ""
}
