package scenario

import (
	"context"
	"strings"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

// Book is the shape asked of the model in ParseFeedback.
type Book struct {
	Title  string `json:"title"`
	Author string `json:"author"`
	Rating int    `json:"rating" jsonschema:"minimum=1,maximum=10,description=out of 10"`
}

// ParseFeedback is "feeding parse errors back": the first answer breaks
// the schema; the engine sends the model a message naming the field and the
// rule, and the second answer validates.
var ParseFeedback = Scenario{
	Name:  "parse-feedback",
	Title: "Parse error, then corrected",
	Stage: func(s *faultserver.Server, env Env) {
		s.Script(bare(env.Model),
			faultserver.Text(`Here it is: {"title": "The Name of the Wind", "author": "Patrick Rothfuss", "rating": "ten"}`),
			faultserver.Text(`{"title": "The Name of the Wind", "author": "Patrick Rothfuss", "rating": 10}`))
	},
	Run: func(ctx context.Context, env Env) error {
		resp, err := llm.Call(ctx, env.Model, []llm.Message{llm.User("Recommend a fantasy book, rated out of 10.")},
			env.opts(llm.WithFormat(llm.FormatFor[Book]()), llm.WithParseRetries(2))...)
		if err != nil {
			return err
		}
		var b Book
		if err := resp.Parse(&b); err != nil {
			return err
		}
		env.say("parsed: %+v", b)
		return nil
	},
	Check: func(sent func(string) []faultserver.Request, env Env) error {
		reqs := sent(bare(env.Model))
		if err := expect(len(reqs) == 2, "want 2 requests, got %d", len(reqs)); err != nil {
			return err
		}
		last := reqs[1].LastMessage()
		return expect(last.Role == "user" && strings.Contains(last.Content, "/rating"),
			"the retry must name the failing field, said %q", last.Content)
	},
}
