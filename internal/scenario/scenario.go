// Package scenario holds the six reliability scenarios of Mirascope's
// documentation, written against llmhost's public API. `llmhost demo` runs
// them all offline and the programs under examples/ run one each, offline
// or against a real provider.
//
// Each scenario has three parts: Stage scripts the failures into a
// faultserver for an offline run, Run is the code a user would write, and
// Check proves from what the server received that the engine did what the
// narration says.
package scenario

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

// Env is where a scenario runs.
type Env struct {
	Model    string       // the primary model, "provider/model"
	Fallback string       // a second model, for the fallback scenario
	Options  []llm.Option // endpoints, keys, cooldowns
	Tools    []llm.Tool   // a calculator with divide, for the tool scenario
	Out      io.Writer    // narration
}

// Scenario is one documented reliability scenario.
type Scenario struct {
	Name  string // the example's directory under examples/
	Title string
	Stage func(s *faultserver.Server, env Env)
	Run   func(ctx context.Context, env Env) error
	// Check reads what the server received during the run: sent(model)
	// returns the requests for model since the scenario was staged.
	Check func(sent func(model string) []faultserver.Request, env Env) error
}

// All lists the scenarios in the order the documentation tells them.
var All = []Scenario{Retry, RetrySpecific, StreamResume, ParseFeedback, ToolRecovery, Fallback}

// ByName returns the scenario named name.
func ByName(name string) (Scenario, bool) {
	for _, s := range All {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Offline returns an Env whose models are served by s: the primary as
// openai/gpt-4o-mini and the fallback as ollama/llama3.2, so the fallback
// crosses providers.
func Offline(s *faultserver.Server, out io.Writer) Env {
	return Env{
		Model:    "openai/gpt-4o-mini",
		Fallback: "ollama/llama3.2",
		Options: []llm.Option{
			llm.WithEndpoint("openai", llm.Endpoint{BaseURL: s.URL(), APIKey: "sk-offline-demo"}),
			llm.WithEndpoint("ollama", llm.Endpoint{BaseURL: s.URL()}),
			llm.WithCooldowns(llm.NewCooldowns()),
		},
		Out: NewNarrator(out),
	}
}

// bare is the model name a provider sees: "gpt-4o-mini" for
// "openai/gpt-4o-mini".
func bare(id string) string {
	_, m, _ := strings.Cut(id, "/")
	return m
}

func (e Env) opts(more ...llm.Option) []llm.Option {
	return append(append([]llm.Option{llm.WithObserver(Narrate(e.Out))}, e.Options...), more...)
}

func (e Env) say(format string, args ...any) { line(e.Out, format, args...) }

// Narrator is an io.Writer for narration that interleaves with streamed
// text: it remembers whether a line is open, so that an event reported in
// the middle of a stream starts on a line of its own.
type Narrator struct {
	w   io.Writer
	mid bool
}

// NewNarrator wraps w.
func NewNarrator(w io.Writer) *Narrator {
	if n, ok := w.(*Narrator); ok {
		return n
	}
	return &Narrator{w: w}
}

func (n *Narrator) Write(p []byte) (int, error) {
	if len(p) > 0 {
		n.mid = p[len(p)-1] != '\n'
	}
	return n.w.Write(p)
}

// line prints one indented line of narration, closing an open line first.
func line(w io.Writer, format string, args ...any) {
	if n, ok := w.(*Narrator); ok && n.mid {
		fmt.Fprintln(n)
	}
	fmt.Fprintf(w, "  "+format+"\n", args...)
}

// stream prints streamed text as it arrives, indented like the narration.
func (e Env) stream(text string) {
	if n, ok := e.Out.(*Narrator); ok && !n.mid {
		fmt.Fprint(e.Out, "  ")
	}
	fmt.Fprint(e.Out, text)
}

// Narrate prints what the engine does, as it does it.
func Narrate(w io.Writer) func(llm.Event) {
	return func(e llm.Event) {
		switch e.Type {
		case llm.EventAttempt:
			if e.Attempt == 1 {
				line(w, "-> request to %s", e.Model)
			} else {
				line(w, "-> attempt %d on %s", e.Attempt, e.Model)
			}
		case llm.EventFailure:
			k, status := llm.KindOf(e.Err), ""
			if le, ok := e.Err.(*llm.Error); ok && le.Status != 0 {
				status = fmt.Sprintf(" (HTTP %d)", le.Status)
			}
			switch e.Decision.Action {
			case llm.ActionRetry:
				line(w, "<- %s%s: retrying in %s", k, status, e.Decision.Delay.Round(10*time.Millisecond))
			case llm.ActionFallback:
				line(w, "<- %s%s: retries used up, falling back to the next model", k, status)
			default:
				line(w, "<- %s%s: not retried", k, status)
			}
		case llm.EventSuccess:
			line(w, "<- answer from %s", e.Model)
		case llm.EventResume:
			line(w, "-- the stream broke after content: keeping the partial answer; asking %s to continue", e.Model)
		case llm.EventParse:
			line(w, "<- the answer did not validate (%v): sending the error back to the model", e.Err)
		case llm.EventToolCall:
			if e.Output.Error != nil {
				line(w, "tool %s failed; the model reads: %q", e.Output.Name, e.Output.Content())
			} else {
				line(w, "tool %s returned %s", e.Output.Name, e.Output.Result)
			}
		}
	}
}

func expect(cond bool, format string, args ...any) error {
	if cond {
		return nil
	}
	return fmt.Errorf(format, args...)
}
