package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/llmhost/llmhost/llm"
)

// failure turns whatever go-openai returned into an *llm.Error of the right
// kind, using what the HTTP layer recorded in x (see transport.go). The
// questions are asked in the order that tells the cases apart:
//
//  0. Did the body pass one of the llm.ResponseLimits? That error stands.
//  1. Did the server answer with an error status? Its kind follows the
//     status, its message is the provider's own, Retry-After comes from the
//     recorded headers.
//  2. Did an error event arrive inside a 200 stream? That is the server
//     failing part way: server.
//  3. Did reading the body fail? The network cut it, or the context ended:
//     connection or timeout.
//  4. Was the request never sent? go-openai refused it (a reasoning model
//     with a temperature, say), or it could not be encoded: bad_request,
//     unless the context ended first.
//  5. Did no response arrive? Connection or timeout.
//  6. Otherwise a 2xx body arrived whole and did not decode:
//     response_validation.
func (p *Provider) failure(err error, x *exchange) *llm.Error {
	sent, status, header, readErr := x.snapshot()

	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	var limitErr *llm.Error
	switch {
	case errors.Is(readErr, llm.ErrResponseTooLarge) && errors.As(readErr, &limitErr):
		// The body passed one of the llm.ResponseLimits. Whatever go-openai
		// made of what came before (an error event it pieced together from
		// stray lines, say), that is what went wrong.
		return limitErr
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode > 0:
		return p.statusError(apiErr.HTTPStatusCode, header, apiErr.Message, apiErr.Code, err)
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode > 0:
		// An error status whose body is not OpenAI's error object: a proxy's
		// HTML page, a plain-text message from a local server.
		return p.statusError(reqErr.HTTPStatusCode, header, bodyMessage(reqErr.Body), nil, err)
	case errors.As(err, &apiErr):
		// go-openai returns an error event of a 200 stream
		// (data: {"error": {...}}) as an APIError without a status.
		return &llm.Error{Kind: llm.KindServer, Provider: p.name, Status: status,
			Message: or(llm.ErrorMessage(apiErr.Message), "the server reported an error inside the stream"), Err: err}
	case readErr != nil:
		// Status stays 0, as for every transport failure: a 200 whose body
		// broke off is no answer.
		return llm.TransportError(p.name, "", readErr)
	case !sent:
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return llm.TransportError(p.name, "", err)
		}
		return &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
			Message: "the request was not sent: " + err.Error(), Err: err}
	case status == 0:
		return llm.TransportError(p.name, "", err)
	}
	return &llm.Error{Kind: llm.KindResponseValidation, Provider: p.name, Status: status,
		Message: "the response could not be decoded: " + err.Error(), Err: err}
}

// statusError is the error of an HTTP error status.
func (p *Provider) statusError(status int, h http.Header, message string, code any, err error) *llm.Error {
	return &llm.Error{
		Kind:       kindOf(status, code),
		Provider:   p.name,
		Status:     status,
		RetryAfter: llm.RetryAfter(h, time.Now()),
		Message:    or(llm.ErrorMessage(message), http.StatusText(status)),
		Err:        err,
	}
}

// kindOf maps an HTTP status, and OpenAI's error code, to a kind.
func kindOf(status int, code any) llm.Kind {
	if status == http.StatusBadRequest && code == "model_not_found" {
		// OpenAI answers some unknown models with a 400 rather than a 404.
		return llm.KindNotFound
	}
	return llm.KindForStatus(status)
}

// bodyMessage is the message of an error body that is not OpenAI's error
// object: enough for a server's sentence, not a whole HTML page.
func bodyMessage(body []byte) string { return llm.ErrorMessage(string(body)) }

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// badRequest is the error of a request that cannot be expressed on the
// wire, found before anything was sent.
func (p *Provider) badRequest(format string, args ...any) *llm.Error {
	return &llm.Error{Kind: llm.KindBadRequest, Provider: p.name, Message: fmt.Sprintf(format, args...)}
}
