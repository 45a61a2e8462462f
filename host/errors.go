package host

import (
	"fmt"
	"strings"
)

// Reason says why a plugin call failed. Each has its own value so that a
// caller, and the model reading the tool's error, can tell them apart.
type Reason string

const (
	// ReasonTrap: the guest trapped (unreachable, out-of-bounds access, a Go
	// runtime panic that escaped the guest SDK, a host function refusing,
	// such as an Extism HTTP request to a host that was not granted).
	ReasonTrap Reason = "trap"
	// ReasonStackOverflow: the guest recursed past the stack limit.
	ReasonStackOverflow Reason = "stack_overflow"
	// ReasonTimeout: the call ran past its timeout and was stopped.
	ReasonTimeout Reason = "timeout"
	// ReasonCanceled: the caller's context was canceled during the call.
	ReasonCanceled Reason = "canceled"
	// ReasonMemoryLimit: the guest failed after asking for more memory than
	// its limit allows.
	ReasonMemoryLimit Reason = "memory_limit"
	// ReasonExit: the guest called exit (WASI proc_exit) with this status.
	ReasonExit Reason = "exit"
	// ReasonInputTooLarge: the input exceeds the plugin's input cap; the
	// guest was not called.
	ReasonInputTooLarge Reason = "input_too_large"
	// ReasonOutputTooLarge: the guest's reply exceeds the output cap.
	ReasonOutputTooLarge Reason = "output_too_large"
	// ReasonGuestError: the guest reported an error (an error reply, an
	// Extism error_set, a recovered panic in a Go tool).
	ReasonGuestError Reason = "guest_error"
	// ReasonMalformedReply: the guest's reply breaks the contract (not the
	// expected JSON, or outside its memory).
	ReasonMalformedReply Reason = "malformed_reply"
	// ReasonMissingExport: the function called is not exported, or not with
	// the signature the ABI needs.
	ReasonMissingExport Reason = "missing_export"
	// ReasonToolNotFound: the plugin declares no tool of that name.
	ReasonToolNotFound Reason = "tool_not_found"
	// ReasonInvalidArguments: the tool's arguments do not satisfy its
	// parameter schema; the guest was not called.
	ReasonInvalidArguments Reason = "invalid_arguments"
	// ReasonUnsupported: the plugin does not offer that kind (no parser, no
	// retry strategy).
	ReasonUnsupported Reason = "unsupported"
	// ReasonClosed: the plugin was closed.
	ReasonClosed Reason = "closed"
)

// Error is the error of every failed plugin call. Use errors.As to get it:
//
//	var perr *host.Error
//	if errors.As(err, &perr) && perr.Reason == host.ReasonTimeout { ... }
//
// Load errors (a bad file, a sha256 mismatch, a missing export) are plain
// errors: they happen before there is a plugin to call.
type Error struct {
	Reason Reason
	// Plugin is the plugin's name; Function the export called.
	Plugin, Function string
	// Message says what happened, in words fit for a model to read.
	Message string
	// RetryMessage is a parser's advice to the model (guest errors only).
	RetryMessage string
	// Stderr is what the guest wrote to stderr during the call, up to the
	// plugin's cap: a Go guest's panic and stack trace land here.
	Stderr string
	// ExitCode is the guest's exit status, for ReasonExit.
	ExitCode uint32
	// Err is the underlying error (wazero's trap, context.DeadlineExceeded,
	// ...), if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin %s: %s: %s", e.Plugin, e.Function, e.Reason)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
