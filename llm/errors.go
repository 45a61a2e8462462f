package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Kind names a class of failure. The same names are used in Go, in the CLI's
// --json output and in the plugin ABI, so they never change once published.
//
// A Kind is also an error value, which makes every kind a target for
// errors.Is:
//
//	if errors.Is(err, llm.KindRateLimit) { ... }
type Kind string

// Provider kinds: what an LLM API (or the network on the way to it) said.
const (
	KindAuthentication     Kind = "authentication"      // 401
	KindPermission         Kind = "permission"          // 403
	KindBadRequest         Kind = "bad_request"         // 400, 409, 422
	KindNotFound           Kind = "not_found"           // 404, OpenAI's 400 model_not_found
	KindRateLimit          Kind = "rate_limit"          // 429
	KindServer             Kind = "server"              // 5xx, 529, an error event inside a 200 stream
	KindTimeout            Kind = "timeout"             // a deadline passed: per attempt or overall
	KindConnection         Kind = "connection"          // the request never got an HTTP answer
	KindResponseValidation Kind = "response_validation" // a malformed body or stream
)

// Parsing and tool kinds.
const (
	KindParse         Kind = "parse"
	KindToolExecution Kind = "tool_execution"
	KindToolNotFound  Kind = "tool_not_found"
)

// Configuration kinds: the call could not be made as asked.
const (
	KindMissingAPIKey       Kind = "missing_api_key"
	KindNoProvider          Kind = "no_provider"
	KindFeatureNotSupported Kind = "feature_not_supported"
)

// KindRetriesExhausted is the error of a call whose every attempt, on every
// model, failed. Its Attempts list them all.
const KindRetriesExhausted Kind = "retries_exhausted"

// Kinds lists every kind, in the order of the architecture's table.
var Kinds = []Kind{
	KindAuthentication, KindPermission, KindBadRequest, KindNotFound, KindRateLimit,
	KindServer, KindTimeout, KindConnection, KindResponseValidation,
	KindParse, KindToolExecution, KindToolNotFound,
	KindMissingAPIKey, KindNoProvider, KindFeatureNotSupported,
	KindRetriesExhausted,
}

// Error implements error so that a Kind can be the target of errors.Is.
func (k Kind) Error() string { return string(k) }

// Error is the one error type of the engine. Every failure a provider, the
// engine or a tool reports is an *Error, or wraps one, so a single errors.As
// reaches the kind, the provider, the model, the HTTP status and the
// provider's advice on when to come back:
//
//	var e *llm.Error
//	if errors.As(err, &e) && e.Kind == llm.KindRateLimit {
//		log.Printf("%s said wait %s", e.Provider, e.RetryAfter)
//	}
//
// The provider's own error (an SDK error, a net.OpError, a *ParseError ...)
// stays reachable through Unwrap.
type Error struct {
	Kind     Kind
	Provider string // registered provider name, e.g. "openai", "ollama"
	Model    string // model id as called, "provider/model"
	Status   int    // HTTP status, 0 when there was no HTTP answer

	// RetryAfter is how long the provider asked the caller to wait
	// (Retry-After or retry-after-ms); zero when it did not say.
	RetryAfter time.Duration

	// Message is the human-readable reason, usually the provider's own words.
	Message string

	// Attempts lists the failed attempts that came before this error, in
	// order. It is always set on KindRetriesExhausted, and on any error the
	// engine returns after earlier attempts failed.
	Attempts []Attempt

	// Err is the underlying cause.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	if e.Model != "" {
		b.WriteString(": ")
		b.WriteString(e.Model)
	} else if e.Provider != "" {
		b.WriteString(": ")
		b.WriteString(e.Provider)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Kind == KindRetriesExhausted && len(e.Attempts) > 0 {
		fmt.Fprintf(&b, " [%d attempts:", len(e.Attempts))
		for i, a := range e.Attempts {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s", a)
		}
		b.WriteString("]")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's Kind, so errors.Is(err,
// llm.KindNotFound) works through any wrapping.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// As offers every Error under its per-kind type (RateLimitError,
// AuthenticationError, ...), for code that prefers to switch on types:
//
//	var rl *llm.RateLimitError
//	if errors.As(err, &rl) { wait(rl.RetryAfter) }
func (e *Error) As(target any) bool {
	switch t := target.(type) {
	case **AuthenticationError:
		return view(e, KindAuthentication, t, func() *AuthenticationError { return &AuthenticationError{e} })
	case **PermissionError:
		return view(e, KindPermission, t, func() *PermissionError { return &PermissionError{e} })
	case **BadRequestError:
		return view(e, KindBadRequest, t, func() *BadRequestError { return &BadRequestError{e} })
	case **NotFoundError:
		return view(e, KindNotFound, t, func() *NotFoundError { return &NotFoundError{e} })
	case **RateLimitError:
		return view(e, KindRateLimit, t, func() *RateLimitError { return &RateLimitError{e} })
	case **ServerError:
		return view(e, KindServer, t, func() *ServerError { return &ServerError{e} })
	case **TimeoutError:
		return view(e, KindTimeout, t, func() *TimeoutError { return &TimeoutError{e} })
	case **ConnectionError:
		return view(e, KindConnection, t, func() *ConnectionError { return &ConnectionError{e} })
	case **ResponseValidationError:
		return view(e, KindResponseValidation, t, func() *ResponseValidationError { return &ResponseValidationError{e} })
	case **ToolExecutionError:
		return view(e, KindToolExecution, t, func() *ToolExecutionError { return &ToolExecutionError{e} })
	case **ToolNotFoundError:
		return view(e, KindToolNotFound, t, func() *ToolNotFoundError { return &ToolNotFoundError{e} })
	case **MissingAPIKeyError:
		return view(e, KindMissingAPIKey, t, func() *MissingAPIKeyError { return &MissingAPIKeyError{e} })
	case **NoProviderError:
		return view(e, KindNoProvider, t, func() *NoProviderError { return &NoProviderError{e} })
	case **FeatureNotSupportedError:
		return view(e, KindFeatureNotSupported, t, func() *FeatureNotSupportedError { return &FeatureNotSupportedError{e} })
	case **RetriesExhaustedError:
		return view(e, KindRetriesExhausted, t, func() *RetriesExhaustedError { return &RetriesExhaustedError{e} })
	}
	return false
}

func view[T any](e *Error, k Kind, target **T, mk func() *T) bool {
	if e.Kind != k {
		return false
	}
	*target = mk()
	return true
}

// Per-kind views of *Error. Each is the same error under a type of its own,
// carrying every field of Error (Status, Provider, Model, RetryAfter, the
// cause through Unwrap) by promotion.
type (
	AuthenticationError      struct{ *kindError }
	PermissionError          struct{ *kindError }
	BadRequestError          struct{ *kindError }
	NotFoundError            struct{ *kindError }
	RateLimitError           struct{ *kindError }
	ServerError              struct{ *kindError }
	TimeoutError             struct{ *kindError }
	ConnectionError          struct{ *kindError }
	ResponseValidationError  struct{ *kindError }
	ToolExecutionError       struct{ *kindError }
	ToolNotFoundError        struct{ *kindError }
	MissingAPIKeyError       struct{ *kindError }
	NoProviderError          struct{ *kindError }
	FeatureNotSupportedError struct{ *kindError }
	RetriesExhaustedError    struct{ *kindError }
)

// kindError lets the views embed *Error without a field named Error, which
// would hide the Error method.
type kindError = Error

// KindOf returns the kind of err: the Kind of the first *Error in its chain,
// KindParse for a bare *ParseError, KindTimeout or KindConnection for context
// and network failures that were never classified, and "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return KindParse
	}
	var k Kind
	if errors.As(err, &k) {
		return k
	}
	return classifyTransport(err)
}

// Attempt records one failed try of a call: which model, and how it failed.
type Attempt struct {
	Model string `json:"model"`
	Error *Error `json:"error"`
}

func (a Attempt) String() string {
	s := fmt.Sprintf("%s %s", a.Model, a.Error.Kind)
	if a.Error.Status != 0 {
		s += fmt.Sprintf(" %d", a.Error.Status)
	}
	return s
}

// MarshalJSON gives the error the shape of the CLI contract and of the ABI:
// {"kind","status","provider","message"}, with retry_after_ms when set.
func (e *Error) MarshalJSON() ([]byte, error) {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return json.Marshal(struct {
		Kind         Kind   `json:"kind"`
		Status       int    `json:"status"`
		Provider     string `json:"provider"`
		Message      string `json:"message"`
		RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	}{e.Kind, e.Status, e.Provider, msg, e.RetryAfter.Milliseconds()})
}

// TransportError classifies a failure that happened before any HTTP answer
// arrived, or while a body was being read: a passed deadline is
// KindTimeout, anything else from the network is KindConnection. Providers
// call it so that every SDK's transport errors come out the same.
func TransportError(provider, model string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	k := classifyTransport(err)
	if k == "" {
		k = KindConnection
	}
	return &Error{Kind: k, Provider: provider, Model: model, Message: err.Error(), Err: err}
}

func classifyTransport(err error) Kind {
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTimeout
	}
	if errors.Is(err, context.Canceled) {
		return ""
	}
	var op *net.OpError
	var dns *net.DNSError
	var ue *url.Error
	if errors.As(err, &op) || errors.As(err, &dns) || errors.As(err, &ue) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return KindConnection
	}
	return ""
}
