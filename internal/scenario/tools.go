package scenario

import (
	"context"
	"strings"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

// ToolRecovery is "recovering from tool errors": the model divides by
// zero, the tool panics, the panic becomes the tool's output, and the model
// reads it and answers.
var ToolRecovery = Scenario{
	Name:  "tool-errors",
	Title: "Tool panic, then the model adapts",
	Stage: func(s *faultserver.Server, env Env) {
		s.Script(bare(env.Model),
			faultserver.ToolCalls([]faultserver.ToolCall{{Name: "divide", Arguments: `{"a": 1, "b": 0}`}}),
			faultserver.Func(func(r faultserver.Request) faultserver.Step {
				if last := r.LastMessage(); last.Role == "tool" && strings.Contains(last.Content, "division by zero") {
					return faultserver.Text("1 divided by 0 is undefined: the calculator reports a division by zero.")
				}
				return faultserver.Fail(400)
			}))
	},
	Run: func(ctx context.Context, env Env) error {
		resp, err := llm.Call(ctx, env.Model, []llm.Message{llm.User("Use the calculator: what is 1 divided by 0?")},
			env.opts(llm.WithTools(env.Tools...), llm.WithToolLoop(), llm.WithMaxSteps(4))...)
		if err != nil {
			return err
		}
		env.say("answer: %s", resp.Text())
		return nil
	},
	Check: func(sent func(string) []faultserver.Request, env Env) error {
		reqs := sent(bare(env.Model))
		if err := expect(len(reqs) == 2, "want 2 requests, got %d", len(reqs)); err != nil {
			return err
		}
		last := reqs[1].LastMessage()
		return expect(last.Role == "tool" && strings.Contains(last.Content, "division by zero"),
			"the tool's panic must reach the model, it read %q", last.Content)
	},
}
