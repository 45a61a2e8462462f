package scenario

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/llmhost/llmhost/internal/faultserver"
)

// Main is the body of the program examples/NAME: offline by default,
// against a fault server that stages the scenario's failures; against a
// real provider when -model is given (its key comes from the provider's
// variable, e.g. OPENAI_API_KEY). It returns the exit status.
func Main(name string, args []string, out io.Writer) int {
	sc, ok := ByName(name)
	if !ok {
		fmt.Fprintf(out, "no scenario %q\n", name)
		return 2
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	model := fs.String("model", "", "a real model, provider/model (default: offline, against a scripted fault server)")
	fallback := fs.String("fallback", "", "a real fallback model, for the fallback scenario")
	timeout := fs.Duration("timeout", 2*time.Minute, "overall time limit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	fmt.Fprintf(out, "%s\n", sc.Title)
	if *model != "" {
		env := Env{Model: *model, Fallback: *fallback, Tools: GoCalculator(), Out: NewNarrator(out)}
		if env.Fallback == "" {
			env.Fallback = env.Model
		}
		if err := sc.Run(ctx, env); err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
			return 1
		}
		return 0
	}
	srv := faultserver.New()
	defer srv.Close()
	env := Offline(srv, out)
	env.Tools = GoCalculator()
	if err := RunOffline(ctx, sc, srv, env); err != nil {
		fmt.Fprintf(out, "error: %v\n", err)
		return 1
	}
	return 0
}

// RunOffline stages sc on srv, runs it, and checks what srv received
// meanwhile. Scenarios can share a server: each checks only its own
// requests.
func RunOffline(ctx context.Context, sc Scenario, srv *faultserver.Server, env Env) error {
	mark := -1
	for _, r := range srv.AllRequests() {
		mark = max(mark, r.Seq)
	}
	sc.Stage(srv, env)
	if err := sc.Run(ctx, env); err != nil {
		return err
	}
	return sc.Check(func(model string) []faultserver.Request {
		var out []faultserver.Request
		for _, r := range srv.Requests(model) {
			if r.Seq > mark {
				out = append(out, r)
			}
		}
		return out
	}, env)
}
