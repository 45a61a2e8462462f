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

// usageError is a mistake in how the command was invoked.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageArgs makes cobra's argument checks usage errors, with exit status 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{fmt.Errorf("%s: %w (see llmhost %s --help)", cmd.CommandPath(), err, cmd.Name())}
		}
		return nil
	}
}

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
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
