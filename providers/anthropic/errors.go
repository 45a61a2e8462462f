package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/anthropics/anthropic-sdk-go"

	"github.com/llmhost/llmhost/llm"
)

// errorBody is Anthropic's error shape, in HTTP bodies and in the data of
// an SSE "event: error" alike: {"type":"error","error":{"type","message"}}.
type errorBody struct {
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// error turns whatever the SDK returned before an answer started into an
// *llm.Error, keeping the SDK's error as the cause.
func (p *Provider) error(err error) *llm.Error {
	// What the SDK reports that is neither an API answer nor a network or
	// decoding failure comes from building the request (a bad option, or
	// its refusal of a non-streamed request it expects to take more than
	// ten minutes): the request itself is at fault.
	return p.classify(err, llm.KindBadRequest)
}

// streamError is error for a failure after a stream opened, when the
// request had been accepted: what is not otherwise classified (an error
// event the SDK could not decode into an API error) is the server's.
func (p *Provider) streamError(err error) *llm.Error {
	return p.classify(err, llm.KindServer)
}

// classify maps err, with other as the kind of what no rule covers.
func (p *Provider) classify(err error, other llm.Kind) *llm.Error {
	var e *llm.Error
	if errors.As(err, &e) {
		return e
	}
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) {
		return p.apiError(apiErr)
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) {
		return &llm.Error{Kind: llm.KindResponseValidation, Provider: p.name,
			Message: "the response could not be decoded: " + err.Error(), Err: err}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) || errors.Is(err, context.Canceled) || llm.KindOf(err) != "" {
		// No HTTP answer, or a body cut short: the engine's classification
		// of network failures (timeout or connection) applies.
		return llm.TransportError(p.name, "", err)
	}
	return &llm.Error{Kind: other, Provider: p.name, Message: err.Error(), Err: err}
}

// apiError maps an answer from the API. Message is Anthropic's own
// message; its error type stays reachable through the cause
// (anthropic.Error.Type).
//
// A status of 2xx means the error arrived as an "event: error" inside a
// stream that had started well (overloaded_error, api_error): the request
// was accepted and the server failed while answering. That is a server
// error whatever the event's type, worth retrying or resuming; Status stays
// 0 since no HTTP error status was sent.
func (p *Provider) apiError(apiErr *anthropic.Error) *llm.Error {
	var body errorBody
	_ = json.Unmarshal([]byte(apiErr.RawJSON()), &body)
	status := apiErr.StatusCode
	// The body was read up to llm.ResponseLimits.MaxErrorBody; the
	// message keeps a readable part of it.
	msg := llm.ErrorMessage(body.Error.Message)
	if msg == "" {
		msg = llm.ErrorMessage(apiErr.RawJSON())
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	e := &llm.Error{Provider: p.name, Status: status, Message: msg, Err: apiErr}
	if status < 300 {
		e.Kind, e.Status = llm.KindServer, 0
		return e
	}
	e.Kind = llm.KindForStatus(status)
	if apiErr.Response != nil {
		e.RetryAfter = llm.RetryAfter(apiErr.Response.Header, time.Now())
	}
	return e
}
