package google

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/llmhost/llmhost/llm"
)

// error turns whatever the SDK returned into an *llm.Error, keeping the
// SDK's error as the cause. ex is what the transport saw of the exchange.
func (p *Provider) error(err error, ex *exchange) *llm.Error {
	var e *llm.Error
	if errors.As(err, &e) {
		return e
	}
	status, header, readErr := ex.response()
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		return p.apiError(apiErr, status, header)
	}
	if readErr != nil {
		// The body was cut: whatever the SDK made of the half it read, the
		// failure is the connection's.
		return llm.TransportError(p.name, "", readErr)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) || errors.Is(err, context.Canceled) || llm.KindOf(err) != "" {
		return llm.TransportError(p.name, "", err)
	}
	if status == 0 {
		// No answer arrived, nor did the network fail: the SDK refused the
		// request before sending it (a model id such as "../../admin" is
		// "invalid model parameter"). The fault is the request's.
		return &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
			Message: "the request was refused before it was sent: " + err.Error(), Err: err}
	}
	// An answer arrived and could not be understood: a body or an event
	// that is not the JSON Gemini sends.
	return &llm.Error{Kind: llm.KindResponseValidation, Provider: p.name,
		Message: "the response could not be decoded: " + err.Error(), Err: err}
}

// apiError maps an error answer. status is the HTTP status the transport
// saw: 200 when the error came as an event inside a stream, which is a
// server failure whatever its code, and 0 when the transport saw nothing,
// in which case the code in the body stands for it.
func (p *Provider) apiError(apiErr genai.APIError, status int, header http.Header) *llm.Error {
	// The body was read up to llm.ResponseLimits.MaxErrorBody, and the SDK
	// makes a body that is not its error object the message: keep a
	// readable part of it.
	e := &llm.Error{Provider: p.name, Message: llm.ErrorMessage(apiErr.Message), Err: apiErr}
	if e.Message == "" {
		e.Message = llm.ErrorMessage(apiErr.Status)
	}
	if status == 0 {
		status = apiErr.Code
	}
	if e.Message == "" {
		// {"error":{}}: say at least what the status says.
		e.Message = strings.TrimSpace(strconv.Itoa(status) + " " + http.StatusText(status))
	}
	if status >= 200 && status < 300 {
		e.Kind = llm.KindServer
		return e
	}
	e.Status = status
	e.Kind = kindOf(status, apiErr)
	e.RetryAfter = llm.RetryAfter(header, time.Now())
	if e.RetryAfter == 0 {
		e.RetryAfter = retryDelay(apiErr.Details)
	}
	return e
}

// kindOf maps an error status. Google answers an invalid API key with 400
// INVALID_ARGUMENT, not 401; the ErrorInfo detail says API_KEY_INVALID.
func kindOf(status int, apiErr genai.APIError) llm.Kind {
	if status == http.StatusBadRequest && invalidKey(apiErr) {
		return llm.KindAuthentication
	}
	return llm.KindForStatus(status)
}

// invalidKey reports whether a 400 is about the API key: by the ErrorInfo
// reason, or by the message when the details are missing.
func invalidKey(apiErr genai.APIError) bool {
	for _, d := range apiErr.Details {
		if t, _ := d["@type"].(string); strings.HasSuffix(t, "google.rpc.ErrorInfo") {
			if r, _ := d["reason"].(string); r == "API_KEY_INVALID" {
				return true
			}
		}
	}
	return strings.Contains(apiErr.Message, "API key not valid")
}

// retryDelay reads the RetryInfo detail Google sends with quota errors:
// {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
// a protobuf Duration in its JSON form (seconds, maybe fractional, and "s").
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		s, _ := d["retryDelay"].(string)
		secs, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
		if err == nil && secs > 0 {
			return time.Duration(secs * float64(time.Second))
		}
	}
	return 0
}
