package replay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// This file turns recorded interactions into the faults that no recording
// holds (rate limits, server errors, broken streams), using each provider's
// recorded error shapes:
//
//	OpenAI:    {"error":{"message","type","param","code"}}
//	Anthropic: {"type":"error","error":{"type","message"}}, also as an SSE "event: error"
//	Google:    {"error":{"code","message","status"}}

// SetError replaces the response with the error the provider sends for
// status (429, 500, 503, 529, 401, ...), in its recorded body shape and with
// its content type. headers are extra key/value pairs, e.g.
// "Retry-After", "7" or "retry-after-ms", "1500".
func (it *Interaction) SetError(status int, headers ...string) {
	it.Response = ErrorResponse(it.Dialect(), status, "", headers...)
}

// ErrorResponse builds the error response a provider of dialect d sends for
// status. An empty message takes the provider's usual wording for that
// status. headers are extra key/value pairs.
func ErrorResponse(d Dialect, status int, message string, headers ...string) Response {
	if len(headers)%2 != 0 {
		panic("replay: ErrorResponse headers must be key/value pairs")
	}
	h := map[string]string{"content-type": errorContentType(d)}
	for i := 0; i < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return Response{Status: status, Headers: h, Body: ErrorBody(d, status, message)}
}

func errorContentType(d Dialect) string {
	switch d {
	case OpenAI:
		return "application/json; charset=utf-8"
	case Google:
		return "application/json; charset=UTF-8"
	}
	return "application/json"
}

// ErrorBody returns the JSON error body a provider of dialect d sends for
// status; an empty message takes the provider's usual wording. Keys come in
// the providers' own order.
func ErrorBody(d Dialect, status int, message string) string {
	switch d {
	case Anthropic:
		typ, msg := anthropicError(status)
		return mustJSON(anthropicErrorBody{Type: "error", Error: anthropicErrorDetail{Type: typ, Message: or(message, msg)}})
	case Google:
		st, msg := googleError(status)
		return mustJSON(googleErrorBody{Error: googleErrorDetail{Code: status, Message: or(message, msg), Status: st}})
	default:
		typ, code, msg := openAIError(status)
		return mustJSON(openAIErrorBody{Error: openAIErrorDetail{Message: or(message, msg), Type: typ, Code: code}})
	}
}

type openAIErrorBody struct {
	Error openAIErrorDetail `json:"error"`
}

type openAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    any     `json:"code"`
}

type anthropicErrorBody struct {
	Type  string               `json:"type"`
	Error anthropicErrorDetail `json:"error"`
}

type anthropicErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

type googleErrorBody struct {
	Error googleErrorDetail `json:"error"`
}

type googleErrorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// ErrorEvent returns the error event a provider of dialect d sends inside a
// 200 stream, framed as that provider frames events.
func ErrorEvent(d Dialect) string {
	switch d {
	case Anthropic:
		return "event: error\ndata: " + ErrorBody(Anthropic, 529, "") + "\n\n"
	case Google:
		return "data: " + ErrorBody(Google, http.StatusServiceUnavailable, "") + "\r\n\r\n"
	default:
		return "data: " + ErrorBody(OpenAI, http.StatusInternalServerError, "") + "\n\n"
	}
}

// openAIError gives type, code (nil for JSON null) and message per status.
func openAIError(status int) (typ string, code any, msg string) {
	switch {
	case status == 400:
		return "invalid_request_error", nil, "Invalid request."
	case status == 401:
		return "invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-repla*****ault. You can find your API key at https://platform.openai.com/account/api-keys."
	case status == 403:
		return "request_forbidden", "unsupported_country_region_territory", "Country, region, or territory not supported"
	case status == 404:
		return "invalid_request_error", "model_not_found", "The model `replay-model` does not exist or you do not have access to it."
	case status == 429:
		return "requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."
	case status == 503:
		return "server_error", nil, "The engine is currently overloaded, please try again later."
	case status >= 500:
		return "server_error", nil, "The server had an error while processing your request. Sorry about that!"
	}
	return "invalid_request_error", nil, http.StatusText(status)
}

// anthropicError gives the error type and message per status, as documented
// by Anthropic (529 is its "overloaded").
func anthropicError(status int) (typ, msg string) {
	switch status {
	case 400:
		return "invalid_request_error", "Invalid request."
	case 401:
		return "authentication_error", "invalid x-api-key"
	case 403:
		return "permission_error", "Your API key does not have permission to use the specified resource."
	case 404:
		return "not_found_error", "model: replay-model"
	case 413:
		return "request_too_large", "Request exceeds the maximum allowed number of bytes."
	case 429:
		return "rate_limit_error", "Number of requests has exceeded your per-minute rate limit."
	case 529:
		return "overloaded_error", "Overloaded"
	}
	if status >= 500 {
		return "api_error", "Internal server error"
	}
	return "invalid_request_error", http.StatusText(status)
}

// googleError gives the google.rpc status name and message per HTTP status.
func googleError(status int) (st, msg string) {
	switch status {
	case 400:
		return "INVALID_ARGUMENT", "Request contains an invalid argument."
	case 401:
		return "UNAUTHENTICATED", "Request had invalid authentication credentials."
	case 403:
		return "PERMISSION_DENIED", "The caller does not have permission."
	case 404:
		return "NOT_FOUND", "models/replay-model is not found for API version v1beta."
	case 429:
		return "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."
	case 500:
		return "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	case 503:
		return "UNAVAILABLE", "The model is overloaded. Please try again later."
	case 504:
		return "DEADLINE_EXCEEDED", "The request timed out. Please try again."
	}
	if status >= 500 {
		return "UNKNOWN", http.StatusText(status)
	}
	return "FAILED_PRECONDITION", http.StatusText(status)
}

// CutStream keeps the first n events of the stream and then drops the
// connection, so the client reads an unexpected EOF rather than a clean end.
// With midData the cut falls inside the data: line of event n+1 (which must
// exist); without, it falls on an event boundary (n may then equal the number
// of events: everything arrives but the response never ends properly).
func (it *Interaction) CutStream(n int, midData bool) error {
	events, err := it.streamEvents(n)
	if err != nil {
		return err
	}
	body := strings.Join(events[:n], "")
	if midData {
		if n == len(events) {
			return fmt.Errorf("replay: cannot cut inside event %d of a %d-event stream", n+1, len(events))
		}
		body += cutInsideData(events[n])
	}
	it.Response.Body = body
	it.Response.Abort = true
	return nil
}

// InjectErrorEvent keeps the first n events of the stream, then sends the
// provider's error event (see [ErrorEvent]) and ends the response cleanly, as
// providers do when they fail mid-stream with a 200 already sent.
func (it *Interaction) InjectErrorEvent(n int) error {
	return it.InjectEvent(n, ErrorEvent(it.Dialect()))
}

// InjectEvent keeps the first n events of the stream, then sends event (raw
// SSE text, framing included) and ends the response cleanly.
func (it *Interaction) InjectEvent(n int, event string) error {
	events, err := it.streamEvents(n)
	if err != nil {
		return err
	}
	it.Response.Body = strings.Join(events[:n], "") + event
	it.Response.Abort = false
	return nil
}

func (it *Interaction) streamEvents(n int) ([]string, error) {
	if !it.Streamed() {
		return nil, fmt.Errorf("replay: %s %s: response is not an event stream", it.Request.Method, it.Request.URI)
	}
	events := splitEvents(it.Response.Body)
	if n < 0 || n > len(events) {
		return nil, fmt.Errorf("replay: event %d out of range: the stream has %d events", n, len(events))
	}
	return events, nil
}

// MalformBody makes the response unparseable while keeping its status and
// headers. A JSON body gets a syntax error. An event stream keeps its
// first event, then carries an event whose data is not JSON, then its
// dialect's usual end, so the client fails on parsing, not on the connection.
func (it *Interaction) MalformBody() {
	r := &it.Response
	r.Abort = false
	if !r.isSSE() {
		// A syntax error, not a truncation: a short body would read like a
		// cut connection (unexpected EOF) to a JSON decoder.
		r.Body = `{"id": "malformed", "choices": [{"index": 0, "message": {"content": not json}}]}`
		return
	}
	first := ""
	if events := splitEvents(r.Body); len(events) > 0 {
		first = events[0]
	}
	switch it.Dialect() {
	case Anthropic:
		r.Body = first + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{not json}\n\n"
	case Google:
		r.Body = first + "data: {\"candidates\": [{not json}\r\n\r\n"
	default:
		r.Body = first + "data: {\"id\":\"malformed\",\"choices\":[{not json}\n\ndata: [DONE]\n\n"
	}
}

// Drop makes the server close the connection without writing anything: the
// client sees the connection end before any response.
func (it *Interaction) Drop() {
	it.Response = Response{Abort: true}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
