package openai

import (
	"context"
	"encoding/json"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/llmhost/llmhost/llm"
)

// Provider speaks chat completions to one OpenAI-compatible server. It
// makes exactly one attempt per call and reports every failure as an
// *llm.Error; retries, fallbacks and stream resumption are the engine's.
// A Provider is safe for concurrent use.
type Provider struct {
	name    string // the registered name, e.g. "ollama"
	server  Server
	baseURL string
	client  *goopenai.Client
}

var (
	_ llm.Provider           = (*Provider)(nil)
	_ llm.CapabilityReporter = (*Provider)(nil)
)

// Name returns the provider's registered name, e.g. "openrouter".
func (p *Provider) Name() string { return p.name }

// BaseURL returns the base URL requests go to, e.g.
// "http://localhost:11434/v1".
func (p *Provider) BaseURL() string { return p.baseURL }

// Complete sends req and returns the whole answer.
func (p *Provider) Complete(ctx context.Context, req *llm.Request) (*llm.Completion, error) {
	creq, err := p.chatRequest(req, false)
	if err != nil {
		return nil, err
	}
	ctx, x := withExchange(ctx)
	resp, err := p.client.CreateChatCompletion(ctx, creq)
	if err != nil {
		return nil, p.failure(err, x)
	}
	return p.completion(resp, x)
}

// completion converts a whole answer. Only the first choice counts: the
// engine never asks for more.
func (p *Provider) completion(resp goopenai.ChatCompletionResponse, x *exchange) (*llm.Completion, error) {
	if len(resp.Choices) == 0 {
		_, status, _, _ := x.snapshot()
		return nil, &llm.Error{Kind: llm.KindResponseValidation, Provider: p.name, Status: status,
			Message: "the response holds no choices"}
	}
	choice := resp.Choices[0]
	m := choice.Message
	var parts []llm.Part
	if m.ReasoningContent != "" {
		// The reasoning that DeepSeek, vLLM and llama.cpp report beside
		// the answer.
		parts = append(parts, llm.Thought{Text: m.ReasoningContent})
	}
	if m.Content != "" {
		parts = append(parts, llm.Text(m.Content))
	}
	if m.Refusal != "" {
		// A refusal is the answer's text: it is what the model said.
		parts = append(parts, llm.Text(m.Refusal))
	}
	for _, c := range m.ToolCalls {
		parts = append(parts, llm.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: json.RawMessage(or(c.Function.Arguments, "{}"))})
	}
	return &llm.Completion{
		Message:       llm.Message{Role: llm.RoleAssistant, Content: parts},
		Usage:         usage(&resp.Usage),
		FinishReason:  finishReason(choice.FinishReason, m.Refusal != ""),
		ProviderModel: resp.Model,
	}, nil
}

// finishReason maps OpenAI's finish_reason. A refusal arrives with "stop"
// and a refusal text; a moderation stop says content_filter. Both are
// refusals to the caller.
func finishReason(r goopenai.FinishReason, refused bool) llm.FinishReason {
	switch {
	case refused, r == goopenai.FinishReasonContentFilter:
		return llm.FinishRefusal
	case r == goopenai.FinishReasonLength:
		return llm.FinishMaxTokens
	}
	return ""
}

func usage(u *goopenai.Usage) llm.Usage {
	if u == nil {
		return llm.Usage{}
	}
	out := llm.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if d := u.PromptTokensDetails; d != nil {
		out.CacheReadTokens = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.ReasoningTokens = d.ReasoningTokens
	}
	return out
}
