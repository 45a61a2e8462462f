package faultserver

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fail answers with an HTTP error carrying OpenAI's error body for status,
// worded as OpenAI words it:
//
//	400 invalid_request_error
//	401 invalid_api_key ("Incorrect API key provided: ...")
//	403 unsupported_country_region_territory
//	404 model_not_found (naming the requested model)
//	429 rate_limit_exceeded (see also RateLimit)
//	500, 502, 503, 504 and any 5xx: server_error
//
// Other statuses get a generic body of the same shape.
func Fail(status int) Step {
	name := "HTTP " + strconv.Itoa(status)
	if _, _, code := defaultError(status, "m"); code != "" {
		name += " " + code
	}
	return Step{name: name, serve: func(x *exchange) {
		msg, typ, code := defaultError(status, x.req.Model)
		x.writeJSON(status, APIError{Message: msg, Type: typ, Code: code})
	}}
}

// FailWith answers with status and the given error body.
func FailWith(status int, e APIError) Step {
	return failStep(status, e.Message, e.Type, e.Code)
}

func failStep(status int, message, typ, code string) Step {
	return Step{
		name: fmt.Sprintf("HTTP %d %s", status, message),
		serve: func(x *exchange) {
			x.writeJSON(status, APIError{Message: message, Type: typ, Code: code})
		},
	}
}

// defaultError returns OpenAI's message, type and code for status.
func defaultError(status int, model string) (msg, typ, code string) {
	switch {
	case status == 400:
		return "Invalid request.", "invalid_request_error", ""
	case status == 401:
		return "Incorrect API key provided: sk-fault*****. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"
	case status == 403:
		return "Country, region, or territory not supported", "request_forbidden", "unsupported_country_region_territory"
	case status == 404:
		return fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model), "invalid_request_error", "model_not_found"
	case status == 429:
		return rateLimitMessage(model, 0), "requests", "rate_limit_exceeded"
	case status == 500:
		return "The server had an error while processing your request. Sorry about that!", "server_error", ""
	case status == 502:
		return "Bad gateway.", "server_error", ""
	case status == 503:
		return "The engine is currently overloaded, please try again later.", "server_error", ""
	case status >= 500:
		return http.StatusText(status) + ".", "server_error", ""
	}
	return http.StatusText(status) + ".", "invalid_request_error", ""
}

func rateLimitMessage(model string, after time.Duration) string {
	msg := fmt.Sprintf("Rate limit reached for %s in organization org-faultserver on requests per min (RPM): Limit 3, Used 3, Requested 1.", model)
	if after > 0 {
		msg += fmt.Sprintf(" Please try again in %s.", after)
	}
	return msg + " Visit https://platform.openai.com/account/rate-limits to learn more."
}

// RateLimit answers 429 rate_limit_exceeded with a Retry-After header of
// retryAfter in whole seconds, rounded up (no header when retryAfter is 0).
func RateLimit(retryAfter time.Duration) Step {
	s := rateLimit(retryAfter)
	if retryAfter > 0 {
		secs := strconv.Itoa(int(math.Ceil(retryAfter.Seconds())))
		s = s.WithHeader("Retry-After", secs)
		s.name += " (Retry-After: " + secs + ")"
	}
	return s
}

// RateLimitMS answers 429 rate_limit_exceeded with a retry-after-ms header
// of retryAfter in milliseconds, the finer header OpenAI's own SDKs read
// first.
func RateLimitMS(retryAfter time.Duration) Step {
	ms := strconv.FormatInt(retryAfter.Milliseconds(), 10)
	s := rateLimit(retryAfter).WithHeader("retry-after-ms", ms)
	s.name += " (retry-after-ms: " + ms + ")"
	return s
}

func rateLimit(after time.Duration) Step {
	return Step{name: "HTTP 429 rate limit", serve: func(x *exchange) {
		x.writeJSON(http.StatusTooManyRequests, APIError{
			Message: rateLimitMessage(x.req.Model, after), Type: "requests", Code: "rate_limit_exceeded",
		})
	}}
}

// Cut sends partial and then drops the connection in the middle of the
// next chunk's data: line, so the client reads an unexpected EOF after some
// content arrived. A plain (non-streaming) request gets the first half of a
// completion body holding partial, then the same drop.
func Cut(partial string, opts ...Option) Step {
	a := newAnswer("", opts)
	return Step{name: "stream cut after " + brief(partial), serve: func(x *exchange) {
		if x.req.Stream {
			st := x.startStream()
			st.roleAndText(partial, a.splitText)
			line := st.chunkLine(delta{Content: jsonString(" and then")})
			st.raw(line[:len(line)/2])
		} else {
			body := mustJSON(x.partialCompletion(partial))
			x.w.Header().Set("Content-Type", "application/json")
			x.w.WriteHeader(http.StatusOK)
			x.w.Write(body[:len(body)/2])
		}
		x.abort()
	}}
}

// ErrorFrame sends partial in a 200 stream and then an error frame, the way
// OpenAI reports a failure once the stream has begun:
//
//	data: {"error":{"message":"The server had an error ...","type":"server_error","param":null,"code":null}}
//
// and ends the stream there, without data: [DONE]. A plain request, which
// cannot carry a frame, gets a 500 server_error instead.
func ErrorFrame(partial string, opts ...Option) Step {
	a := newAnswer("", opts)
	msg, typ, _ := defaultError(http.StatusInternalServerError, "")
	return Step{name: "error frame after " + brief(partial), serve: func(x *exchange) {
		if !x.req.Stream {
			x.writeJSON(http.StatusInternalServerError, APIError{Message: msg, Type: typ})
			return
		}
		st := x.startStream()
		st.roleAndText(partial, a.splitText)
		st.raw("data: " + string(mustJSON(APIError{Message: msg, Type: typ})) + "\n\n")
	}}
}

// Malformed answers 200 with a body the client cannot parse, ending the
// response cleanly (the fault is the content, not the connection). A plain
// request gets a completion JSON with a syntax error; a stream gets partial,
// then a chunk whose data is not JSON, then data: [DONE].
func Malformed(partial string, opts ...Option) Step {
	a := newAnswer("", opts)
	return Step{name: "malformed body after " + brief(partial), serve: func(x *exchange) {
		if !x.req.Stream {
			body := mustJSON(x.partialCompletion(partial))
			x.w.Header().Set("Content-Type", "application/json")
			x.w.WriteHeader(http.StatusOK)
			// A syntax error, not a truncation: a short body would read
			// like a cut connection (unexpected EOF) to a JSON decoder.
			x.w.Write(append(body[:len(body)-1], ",}"...))
			return
		}
		st := x.startStream()
		st.roleAndText(partial, a.splitText)
		st.raw(`data: {"id":"` + x.id + `","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":not json}}]}` + "\n\n")
		st.done()
	}}
}

// Stall sends the response headers and partial (for a stream; nothing of a
// plain body), then sends nothing more. It returns as soon as the client
// gives up or the server closes, so a stalled request never outlives its
// client; after d (if d > 0) it drops the connection itself. A stall never
// ends the response cleanly.
func Stall(partial string, d time.Duration, opts ...Option) Step {
	a := newAnswer("", opts)
	name := "stall after " + brief(partial)
	if d > 0 {
		name += " for " + d.String()
	}
	return Step{name: name, serve: func(x *exchange) {
		if x.req.Stream {
			st := x.startStream()
			if partial != "" {
				st.roleAndText(partial, a.splitText)
			}
		} else {
			x.w.Header().Set("Content-Type", "application/json")
			x.w.WriteHeader(http.StatusOK)
			x.rc.Flush()
		}
		var expired <-chan time.Time
		if d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-x.ctx.Done():
		case <-expired:
		}
		x.abort()
	}}
}

// partialCompletion is a completion carrying partial as its text, for the
// faults that break a plain body.
func (x *exchange) partialCompletion(partial string) completion {
	return completion{
		ID: x.id, Object: "chat.completion", Created: x.created, Model: x.req.Model,
		Choices:     []choice{{Message: message{Role: "assistant", Content: &partial, Annotations: []any{}}, FinishReason: "stop"}},
		Usage:       newUsage(1, max(words(partial), 1)),
		ServiceTier: "default", SystemFingerprint: fingerprint,
	}
}
