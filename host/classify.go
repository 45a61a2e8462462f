package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/tetratelabs/wazero/sys"
)

// failure turns what wazero returned from a guest call into an *Error with
// the reason a person (or a model) needs. The evidence, in order of
// precedence:
//
//   - the call's context: done means timeout or canceled, whatever the
//     guest was doing when wazero closed it;
//   - a refused memory grow: the guest's later failure (a trap, a Go
//     "out of memory" exit) is a consequence of the limit;
//   - the guest's stderr: a Go guest reports a stack overflow there;
//   - wazero's own error: an exit status, or a trap's message.
func failure(ctx context.Context, err error, memHit bool, stderr *capture, limit uint64, timeout time.Duration) *Error {
	e := &Error{Err: err, Stderr: stderr.String()}
	var exit *sys.ExitError
	isExit := errors.As(err, &exit)
	switch {
	case ctx.Err() != nil || isExit && exit.ExitCode() == sys.ExitCodeDeadlineExceeded:
		if errors.Is(ctx.Err(), context.Canceled) {
			e.Reason, e.Message = ReasonCanceled, "the call was canceled"
			e.Err = context.Canceled
			return e
		}
		e.Reason = ReasonTimeout
		if errors.Is(context.Cause(ctx), errCallTimeout) {
			e.Message = fmt.Sprintf("the call did not finish within its %v timeout and was stopped", timeout)
		} else {
			e.Message = "the call did not finish before its context's deadline and was stopped"
		}
		e.Err = context.DeadlineExceeded
		return e
	case isExit && exit.ExitCode() == sys.ExitCodeContextCanceled:
		e.Reason, e.Message, e.Err = ReasonCanceled, "the call was canceled", context.Canceled
		return e
	case memHit:
		e.Reason = ReasonMemoryLimit
		e.Message = fmt.Sprintf("the plugin needed more than its %s memory limit (host.WithMaxMemory sets it)", FormatSize(int64(limit)))
		return e
	case goStackOverflow(e.Stderr):
		e.Reason, e.Message = ReasonStackOverflow, firstLine(goFatal(e.Stderr))
		return e
	case isExit:
		e.ExitCode = exit.ExitCode()
		if msg := goFatal(e.Stderr); msg != "" {
			// A Go guest dies with exit status 2 after printing why.
			e.Reason, e.Message = ReasonTrap, firstLine(msg)
			return e
		}
		e.Reason, e.Message = ReasonExit, fmt.Sprintf("the plugin exited with status %d", e.ExitCode)
		return e
	}
	msg := firstLine(err.Error())
	if strings.Contains(msg, "stack overflow") {
		e.Reason = ReasonStackOverflow
	} else {
		e.Reason = ReasonTrap
	}
	e.Message = strings.TrimSuffix(msg, " (recovered by wazero)")
	return e
}

// errCallTimeout is the cause of a call context's end when the plugin's
// own timeout (not the caller's deadline) ran out: it lets failure say which
// limit stopped the call.
var errCallTimeout = errors.New("plugin call timeout")

// timeoutHint names, in a timeout's message, the Option that sets the limit
// that stopped the call of export fn.
func timeoutHint(e *Error, fn string) {
	if e.Reason != ReasonTimeout || !errors.Is(e.Err, context.DeadlineExceeded) || !strings.Contains(e.Message, "timeout") {
		return
	}
	opt := "WithToolTimeout"
	switch fn {
	case abi.ExportParse:
		opt = "WithParserTimeout"
	case abi.ExportDecide:
		opt = "WithRetryTimeout"
	}
	e.Message += " (host." + opt + " or host.WithTimeout sets it)"
}

// startupHint says, in a failure during an instance's start-up, that it
// was the start-up: a plugin that cannot start fails every call.
func startupHint(e *Error) {
	if e.Reason == ReasonTimeout && errors.Is(e.Err, context.DeadlineExceeded) {
		e.Message = strings.Replace(e.Message, "the call did not finish", "the plugin's start-up did not finish", 1)
		if strings.Contains(e.Message, "timeout") && !strings.Contains(e.Message, "host.With") {
			e.Message += " (start-up runs under the tool timeout: host.WithToolTimeout or host.WithTimeout sets it)"
		}
	}
}

// goFatal returns the part of a Go guest's stderr that explains its death:
// the "panic: ..." or "fatal error: ..." line onwards.
func goFatal(stderr string) string {
	for _, marker := range []string{"panic: ", "fatal error: "} {
		if i := strings.Index(stderr, marker); i >= 0 && (i == 0 || stderr[i-1] == '\n') {
			return stderr[i:]
		}
	}
	return ""
}

func goStackOverflow(stderr string) bool {
	return strings.Contains(stderr, "fatal error: stack overflow") ||
		strings.Contains(stderr, "goroutine stack exceeds")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// guestError decodes an error reply: an abi.Error as JSON, or else plain
// text taken as the message.
func guestError(reply []byte, stderr *capture) *Error {
	e := &Error{Reason: ReasonGuestError, Stderr: stderr.String()}
	var m abi.Error
	if json.Unmarshal(reply, &m) == nil && m.Message != "" {
		e.Message, e.RetryMessage = m.Message, m.RetryMessage
	} else {
		e.Message = strings.TrimSpace(string(reply))
	}
	if e.Message == "" {
		e.Message = "the plugin reported an error without a message"
	}
	return e
}
