package main

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/llmhost/llmhost/llm"
)

// result is the one object `llmhost call --json` prints. Its shape is the
// CLI contract of ARCHITECTURE.md: fields are never removed or renamed.
type result struct {
	Model        string           `json:"model"`
	Text         string           `json:"text"`
	Parsed       json.RawMessage  `json:"parsed"`
	FinishReason llm.FinishReason `json:"finish_reason"`
	Usage        llm.Usage        `json:"usage"`
	Attempts     []llm.Attempt    `json:"attempts"`
	ToolOutputs  []llm.ToolOutput `json:"tool_outputs"`
	Error        *llm.Error       `json:"error"`
}

// newResult fills the contract's object from whatever the call produced:
// on failure, resp may hold the partial answer, and it is kept.
func newResult(model string, resp *llm.Response, err error) result {
	r := result{Model: model, Attempts: []llm.Attempt{}, ToolOutputs: []llm.ToolOutput{}}
	if resp != nil {
		if resp.Model != "" {
			r.Model = resp.Model
		}
		r.Text = resp.Text()
		r.Parsed = resp.Parsed
		r.FinishReason = resp.FinishReason
		r.Usage = resp.Usage
		if resp.Attempts != nil {
			r.Attempts = resp.Attempts
		}
		if resp.ToolOutputs != nil {
			r.ToolOutputs = resp.ToolOutputs
		}
	}
	if err != nil {
		var e *llm.Error
		found := errors.As(err, &e)
		if k := cliKind(err); k != "" {
			// A failure of the CLI's own (a usage error, an interrupt, a
			// plugin that did not load) keeps the attempts made before it.
			le := &llm.Error{Kind: k, Message: describe(err)}
			if found {
				le.Provider, le.Attempts = e.Provider, e.Attempts
			}
			e = le
		} else if !found {
			e = &llm.Error{Kind: llm.KindOf(err), Message: err.Error()}
		}
		r.Error = e
		if len(r.Attempts) == 0 && len(e.Attempts) > 0 {
			r.Attempts = e.Attempts
		}
	}
	return r
}

func (r result) write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
