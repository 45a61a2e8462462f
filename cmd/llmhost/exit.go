package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/llmhost/llmhost/llm"
)

// Exit codes. Each error kind has its own, so scripts can react to a rate
// limit differently from a bad key without parsing text. They are part of
// the CLI's contract and listed in README.md.
const (
	exitOK      = 0
	exitFailure = 1 // an error of no known kind
	exitUsage   = 2 // bad flags or arguments
	// exitInterrupted is the shell's status for a command ended by
	// SIGINT (128 + 2): the call was stopped, whatever it was doing.
	exitInterrupted = 130
)

var exitCodes = map[llm.Kind]int{
	llm.KindAuthentication:      10,
	llm.KindPermission:          11,
	llm.KindBadRequest:          12,
	llm.KindNotFound:            13,
	llm.KindRateLimit:           14,
	llm.KindServer:              15,
	llm.KindTimeout:             16,
	llm.KindConnection:          17,
	llm.KindResponseValidation:  18,
	llm.KindParse:               20,
	llm.KindToolExecution:       21,
	llm.KindToolNotFound:        22,
	llm.KindMissingAPIKey:       30,
	llm.KindNoProvider:          31,
	llm.KindFeatureNotSupported: 32,
	llm.KindRetriesExhausted:    40,
}

// exitCode returns the exit status for err.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ie *interruptedError
	if errors.As(err, &ie) {
		return exitInterrupted
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	if c, ok := exitCodes[llm.KindOf(err)]; ok {
		return c
	}
	return exitFailure
}

// usageError is a mistake in how the command was invoked. flags marks
// one found while parsing the flags, when the flags after it were not
// read.
type usageError struct {
	err   error
	flags bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageArgs makes cobra's argument checks usage errors, with exit status 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err: fmt.Errorf("%s: %w (see %s --help)", cmd.CommandPath(), err, cmd.CommandPath())}
		}
		return nil
	}
}

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// interruptedError is a command stopped by SIGINT (Ctrl-C).
type interruptedError struct{ err error }

func (e *interruptedError) Error() string { return "interrupted: " + e.err.Error() }
func (e *interruptedError) Unwrap() error { return e.err }

// Kinds the --json object reports for failures that are not the engine's:
// they complete llm's kinds, each with its own exit status.
const (
	kindUsage       llm.Kind = "usage"       // exit 2
	kindInterrupted llm.Kind = "interrupted" // exit 130
	kindPluginLoad  llm.Kind = "plugin_load" // exit 51
	kindPlugin      llm.Kind = "plugin"      // exit 50
	kindInternal    llm.Kind = "internal"    // exit 1: a bug in llmhost
)

// cliKind is the kind of a failure of the CLI itself, or "" for an
// engine error, whose kind is its own.
func cliKind(err error) llm.Kind {
	var ie *interruptedError
	var ue *usageError
	var pe *panicError
	var ce *codedError
	switch {
	case errors.As(err, &ie):
		return kindInterrupted
	case errors.As(err, &ue):
		return kindUsage
	case errors.As(err, &pe):
		return kindInternal
	case errors.As(err, &ce) && ce.code == exitPluginLoad:
		return kindPluginLoad
	case errors.As(err, &ce) && ce.code == exitPlugin:
		return kindPlugin
	}
	return ""
}

// panicError is a panic of the command, recovered so that the process
// still reports it the documented way (and --json still prints its one
// object).
type panicError struct {
	value any
}

func (e *panicError) Error() string {
	return fmt.Sprintf("internal error (a bug in llmhost; please report it): panic: %v", e.value)
}

// codedError carries an exit code that has already been reported, as with
// --json, where the error went to stdout inside the result object.
type codedError struct {
	code     int
	err      error
	reported bool
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// report prints err for a human on stderr, unless it was already reported,
// and returns the exit status.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ce *codedError
	if !errors.As(err, &ce) || !ce.reported {
		fmt.Fprintf(stderr, "llmhost: %s\n", describe(err))
	}
	return exitCode(err)
}

// describe renders an error with the attempts that led to it.
func describe(err error) string {
	var ie *interruptedError
	if errors.As(err, &ie) {
		return "interrupted: " + describe(ie.err)
	}
	var e *llm.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	s := e.Error()
	if e.Kind != llm.KindRetriesExhausted && len(e.Attempts) > 0 {
		s += fmt.Sprintf(" (after %d failed attempts)", len(e.Attempts))
	}
	return s
}
