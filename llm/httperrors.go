package llm

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Helpers for drivers: the parts of error mapping every HTTP provider
// shares, so that all of them classify the same status the same way.

// KindForStatus maps an HTTP error status to its kind, as the provider
// contract lists them: 401 authentication, 403 permission, 404 not_found,
// 408 timeout, 429 rate_limit, any other 4xx bad_request, 5xx (529
// included) server. A status that is not an error is a response the client
// could not make sense of: response_validation. Providers handle their own
// exceptions (OpenAI's 400 model_not_found, Google's 400 for a bad key)
// before calling it.
func KindForStatus(status int) Kind {
	switch {
	case status == http.StatusUnauthorized:
		return KindAuthentication
	case status == http.StatusForbidden:
		return KindPermission
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusRequestTimeout:
		return KindTimeout
	case status == http.StatusTooManyRequests:
		return KindRateLimit
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	}
	return KindResponseValidation
}

// maxRetryAfter bounds what a server can ask for, so that an absurd value
// cannot overflow a time.Duration. The engine caps its wait far lower.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads how long a server asked the client to wait:
// retry-after-ms (milliseconds, the precise form OpenAI and Anthropic send)
// wins over Retry-After, which is seconds or an HTTP date. It returns 0 when
// neither is present or usable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if ms, ok := positive(h.Get("retry-after-ms")); ok {
		return clampDuration(ms * float64(time.Millisecond))
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, ok := positive(v); ok {
		return clampDuration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

func positive(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, false
	}
	return f, true
}

func clampDuration(ns float64) time.Duration {
	if ns >= float64(maxRetryAfter) {
		return maxRetryAfter
	}
	return time.Duration(ns)
}

// MaxErrorMessage bounds the part of an error body that becomes an Error's
// message: room for the longest real message (Google's quota errors run to
// several hundred bytes), not for a whole HTML page or a body a hostile
// server made huge. The body itself is read only up to
// ResponseLimits.MaxErrorBody.
const MaxErrorMessage = 2 << 10

// ErrorMessage returns the message of an error body: s trimmed and, past
// MaxErrorMessage bytes, cut at a character boundary and marked with "…".
// Bytes that are not UTF-8 and control characters other than newline and
// tab become U+FFFD: the message is the server's text, and the CLI prints
// it to a terminal, where a hostile server's escape sequences (ESC, CSI)
// could otherwise rewrite the screen or the window title.
func ErrorMessage(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxErrorMessage {
		cut := MaxErrorMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // never split a character
		}
		s = s[:cut] + "…"
	}
	return printable(s)
}

// printable replaces invalid UTF-8 and control characters (C0 but newline
// and tab, DEL, C1) with U+FFFD, allocating only when there is one.
func printable(s string) string {
	clean := func(r rune) bool {
		return r != utf8.RuneError && (r >= 0x20 || r == '\n' || r == '\t') && (r < 0x7f || r > 0x9f)
	}
	ok := true
	for _, r := range s {
		if !clean(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if clean(r) {
			return r
		}
		return utf8.RuneError
	}, s)
}
