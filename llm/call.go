package llm

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Call sends messages to model, a "provider/model" id, and returns the
// answer. Failures of the kinds the retry policy names are retried with
// backoff, then the fallback models are tried; the Response records every
// failed attempt before the answer. With a Format, the answer is parsed and
// validated, and the model is asked to correct itself up to the parse-retry
// limit.
//
// A context made by UseModel replaces model.
func Call(ctx context.Context, model string, messages []Message, opts ...Option) (*Response, error) {
	return newSettings(opts).call(ctx, model, cloneMessages(messages))
}

func (s *settings) call(ctx context.Context, model string, msgs []Message) (*Response, error) {
	if m, ok := ModelOverride(ctx); ok {
		model = m
	}
	resp, err := s.complete(ctx, model, msgs)
	if err != nil {
		return nil, err
	}
	if s.toolLoop {
		resp, err = resp.RunTools(ctx)
		if err != nil {
			return resp, err
		}
	}
	if s.format != nil {
		return s.validate(ctx, resp, false)
	}
	return resp, nil
}

// complete makes one answer, with retries and fallbacks.
func (s *settings) complete(ctx context.Context, model string, msgs []Message) (*Response, error) {
	var comp *Completion
	t, attempts, err := s.run(ctx, model, false, func(ctx context.Context, t target) error {
		req, err := s.request(t, msgs)
		if err != nil {
			return err
		}
		c, err := t.p.Complete(ctx, req)
		if err != nil {
			return err
		}
		comp = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	msg := comp.Message
	msg.Role, msg.Model = RoleAssistant, t.id
	msg = s.formatToolAsText(msg)
	return &Response{
		Model:         t.id,
		ProviderModel: comp.ProviderModel,
		Messages:      append(slices.Clip(msgs), msg),
		Usage:         comp.Usage,
		FinishReason:  comp.FinishReason,
		Attempts:      attempts,
		s:             s,
		answer:        len(msgs),
	}, nil
}

// request builds what the provider of t is sent: the messages, the tools,
// and the format in the mode t's provider supports.
func (s *settings) request(t target, msgs []Message) (*Request, error) {
	req := &Request{Model: t.model, Messages: msgs, Params: s.params}
	for _, tool := range s.tools {
		req.Tools = append(req.Tools, tool.Definition())
	}
	if s.format != nil {
		if err := s.format.apply(req, capabilitiesOf(t)); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func capabilitiesOf(t target) Capabilities {
	if cr, ok := t.p.(CapabilityReporter); ok {
		return cr.Capabilities(t.model)
	}
	return Capabilities{DefaultFormat: FormatTool, Formats: []FormatMode{FormatTool}}
}

// validate parses the answer and, while it fails with a *ParseError and
// retries are left, resumes with the error's RetryMessage, streamed when
// the answer was. An answer the model ended by refusing, or by running out
// of tokens, is not sent back: asking again would get the same. The
// returned Response holds the whole exchange; on failure it is returned
// with the error, so nothing the model said is lost.
func (s *settings) validate(ctx context.Context, resp *Response, streamed bool) (*Response, error) {
	for retry := 0; ; retry++ {
		v, err := s.format.parse(ctx, resp.Text())
		if err == nil {
			resp.Parsed = v
			return resp, nil
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			return resp, err
		}
		stopped := resp.FinishReason == FinishRefusal || resp.FinishReason == FinishMaxTokens
		if retry >= s.parseRetries || stopped {
			msg := pe.Error()
			if stopped {
				msg = fmt.Sprintf("the model stopped with %s, so its answer cannot be parsed: %s", resp.FinishReason, msg)
			}
			return resp, &Error{Kind: KindParse, Provider: providerOf(resp.Model), Model: resp.Model,
				Message: msg, Attempts: resp.Attempts, Err: pe}
		}
		s.emit(Event{Type: EventParse, Model: resp.Model, Attempt: retry + 1, Err: pe})
		msgs := append(cloneMessages(resp.Messages), User(pe.RetryMessage()))
		var next *Response
		if streamed {
			var sr *StreamResponse
			if sr, err = s.stream(ctx, resp.Model, msgs); err == nil {
				next, err = sr.result()
			}
		} else {
			next, err = s.complete(ctx, resp.Model, msgs)
		}
		if err != nil {
			return resp, err
		}
		next.Attempts = append(slices.Clip(resp.Attempts), next.Attempts...)
		next.Usage.add(resp.Usage)
		next.ToolOutputs = resp.ToolOutputs
		resp = next
	}
}

func providerOf(id string) string {
	p, _, _ := SplitModel(id)
	return p
}
