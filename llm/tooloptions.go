package llm

import (
	"fmt"
	"runtime"
	"unicode/utf8"
)

// DefaultMaxToolCalls is how many tool calls of one model answer are
// executed when no WithMaxToolCalls says otherwise. An answer asks for a
// handful; a model stuck in a loop, or a hostile one, can ask for a
// hundred thousand in a few megabytes, each of which may start a plugin
// instance. 128 is well above what real answers ask for in one turn.
const DefaultMaxToolCalls = 128

// toolLimits bound one turn of tool calls: how many run at once, and how
// many run at all.
type toolLimits struct {
	concurrency int // 0: max(4, GOMAXPROCS)
	calls       int // 0: DefaultMaxToolCalls
	output      int // 0: DefaultMaxToolOutput
}

// DefaultMaxToolOutput is how many bytes of one tool's output (its result,
// or its error's message) the model is sent when no WithMaxToolOutput says
// otherwise. 1 MiB is some 250,000 tokens, more than most context windows
// hold: a larger output cannot help the model, while a tool that returns a
// 100 MiB file or page would otherwise be held in memory, encoded into the
// next request (twice over, with its JSON escaping) and sent, to fail at
// the provider as context_length_exceeded or a 413.
const DefaultMaxToolOutput = 1 << 20

// WithMaxToolOutput sets how many bytes of one tool output the model is
// sent (default DefaultMaxToolOutput). A longer result, or error message,
// is cut at a character boundary and ends with a note saying how long it
// was and naming this option, so the model knows it saw a part. n <= 0
// restores the default.
func WithMaxToolOutput(n int) Option {
	return func(s *settings) { s.toolLimits.output = max(n, 0) }
}

func (l toolLimits) maxOutput() int {
	if l.output > 0 {
		return l.output
	}
	return DefaultMaxToolOutput
}

// bound cuts a tool's output to the limit, at a character boundary, and
// says so at its end.
func (l toolLimits) bound(s string) string {
	limit := l.maxOutput()
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n[output truncated: %d bytes, over the limit of %d (llm.WithMaxToolOutput)]", len(s), limit)
}

// WithToolConcurrency sets how many tool calls of one turn run at the same
// time (default max(4, GOMAXPROCS): tools are often waiting on the network,
// so a few more than the cores, but never one goroutine per call). n = 1
// runs them one after the other, in order; n <= 0 restores the default.
// Outputs are in the order of the calls whatever n is.
func WithToolConcurrency(n int) Option {
	return func(s *settings) { s.toolLimits.concurrency = max(n, 0) }
}

// WithMaxToolCalls sets how many tool calls of one model answer are
// executed (default DefaultMaxToolCalls). The calls beyond it are not run:
// each gets a ToolOutput whose Error, of KindToolExecution, tells the model
// the limit, so it can ask again for fewer. n <= 0 restores the default.
func WithMaxToolCalls(n int) Option {
	return func(s *settings) { s.toolLimits.calls = max(n, 0) }
}

func (l toolLimits) maxConcurrent() int {
	if l.concurrency > 0 {
		return l.concurrency
	}
	return max(4, runtime.GOMAXPROCS(0))
}

func (l toolLimits) maxCalls() int {
	if l.calls > 0 {
		return l.calls
	}
	return DefaultMaxToolCalls
}

// tooManyCalls is the Error of every call of a turn past the limit. It is
// one value shared by all of them: an answer of 100k calls must not cost
// 100k errors.
func tooManyCalls(asked, limit int) *Error {
	return &Error{Kind: KindToolExecution, Message: fmt.Sprintf(
		"not run: the answer asked for %d tool calls and at most %d are executed per turn (llm.WithMaxToolCalls); ask for at most %d at once",
		asked, limit, limit)}
}
