package scenario

import (
	"context"
	"strings"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

// StreamResume is "resuming a failed stream": the connection is cut in the
// middle of a chunk; the engine keeps what arrived, asks the model to
// continue, and the reader sees one unbroken answer.
var StreamResume = Scenario{
	Name:  "stream-resume",
	Title: "Stream cut, then resumed",
	Stage: func(s *faultserver.Server, env Env) {
		s.Script(bare(env.Model),
			faultserver.Cut("The three primary colours of paint are red,"),
			faultserver.Text(" yellow and blue."))
	},
	Run: func(ctx context.Context, env Env) error {
		sr, err := llm.Stream(ctx, env.Model, []llm.Message{llm.User("Name the three primary colours of paint.")}, env.opts()...)
		if err != nil {
			return err
		}
		var got strings.Builder
		for text, err := range sr.TextStream() {
			if err != nil {
				return err
			}
			got.WriteString(text)
			env.stream(text)
		}
		env.say("received, whole: %q", got.String())
		env.say("messages: %d (question, partial answer, request to continue, continuation)", len(sr.Messages()))
		return nil
	},
	Check: func(sent func(string) []faultserver.Request, env Env) error {
		reqs := sent(bare(env.Model))
		if err := expect(len(reqs) == 2, "want 2 requests (cut, continuation), got %d", len(reqs)); err != nil {
			return err
		}
		msgs := reqs[1].Messages
		return expect(len(msgs) == 3 && msgs[1].Role == "assistant" && msgs[1].Content == "The three primary colours of paint are red,",
			"the continuation request must carry the partial answer, carried %+v", msgs)
	},
}
