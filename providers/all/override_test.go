package all_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// TestResumeWithOverride replays test_resume_with_override, whose
// recordings cross providers: a call answered by one provider is resumed,
// under llm.UseModel, by another. The assistant turn written by the first
// provider must reach the second in the second's own form, and the answer
// must come back from the second.
func TestResumeWithOverride(t *testing.T) {
	recs, err := replay.Glob("test_resume_with_override/*/sync.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 3 {
		t.Fatalf("found %d recordings, want one per provider", len(recs))
	}
	for _, rec := range recs {
		t.Run(rec.Name, func(t *testing.T) {
			c, err := rec.Load()
			if err != nil {
				t.Fatal(err)
			}
			srv := replay.Serve(t, c)
			first, second := c.Interactions[0], c.Interactions[1]
			opts := []llm.Option{llm.WithMaxRetries(0), llm.WithCooldowns(llm.NewCooldowns())}
			for _, d := range []replay.Dialect{first.Dialect(), second.Dialect()} {
				opts = append(opts, llm.WithEndpoint(providerOf(d), llm.Endpoint{BaseURL: srv.BaseURLFor(d), APIKey: "test-key"}))
			}
			firstModel := providerOf(first.Dialect()) + "/" + first.Model()
			secondModel := providerOf(second.Dialect()) + "/" + second.Model()

			ctx := context.Background()
			resp, err := llm.Call(ctx, firstModel, []llm.Message{llm.User("Who created you?")}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != firstModel {
				t.Errorf("answered by %s, want %s", resp.Model, firstModel)
			}
			resp, err = resp.Resume(llm.UseModel(ctx, secondModel), llm.Text("Can you double-check that?"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != secondModel {
				t.Errorf("the resumed call was answered by %s, want %s (the context's model)", resp.Model, secondModel)
			}
			want := []llm.Message{
				llm.User("Who created you?"),
				{Role: llm.RoleAssistant, Model: firstModel, Content: []llm.Part{llm.Text(answers[first.Dialect()])}},
				llm.User("Can you double-check that?"),
				{Role: llm.RoleAssistant, Model: secondModel, Content: []llm.Part{llm.Text(doubleChecked[rec.Provider])}},
			}
			if d := cmp.Diff(want, resp.Messages); d != "" {
				t.Errorf("conversation (-want +got):\n%s", d)
			}
			// The request bodies are compared whole, each in its provider's
			// terms: text may go as a string or a block (Anthropic), an
			// empty generationConfig is no generationConfig (Google). The
			// OpenAI request is compared on what the override concerns
			// (model and messages); its provider's own tests compare the rest.
			for _, got := range srv.Requests() {
				opts := []replay.DiffOption{replay.CollapseTextBlocks(), replay.IgnoreEmpty()}
				if c.Interactions[got.Index].Dialect() == replay.OpenAI {
					opts = append(opts, replay.Fields("model", "messages"))
				}
				if d := replay.DiffRequest(c.Interactions[got.Index].Request, got, opts...); d != "" {
					t.Errorf("request %d differs from the recording (-recorded +sent):\n%s", got.Index, d)
				}
			}
			if err := srv.Verify(); err != nil {
				t.Error(err)
			}
		})
	}
}

// answers are the recorded first answers, by the provider that gave them.
var answers = map[replay.Dialect]string{
	replay.Google:    "I am a large language model, trained by Google.",
	replay.Anthropic: "I was created by Anthropic.",
}

// doubleChecked are the recorded second answers, by the recording's
// provider (the one the conversation was switched to).
var doubleChecked = map[string]string{
	"anthropic": "You're absolutely right - I apologize for the error. I am Claude, and I was created by Anthropic, not Google. Thank you for prompting me to double-check that basic fact about myself.",
	"google":    "You are absolutely right to ask for a double-check! My apologies for the confusion.\n\nI am a large language model, trained by **Google**.",
	"openai":    "I apologize for the mistake. I am actually based on OpenAI's GPT-3 model. OpenAI developed and trained me.",
}

// providerOf names the llmhost provider of a recorded dialect.
func providerOf(d replay.Dialect) string {
	switch d {
	case replay.Anthropic:
		return "anthropic"
	case replay.Google:
		return "google"
	}
	return "openai"
}

func TestRegistersAnthropicAndGoogle(t *testing.T) {
	for _, name := range []string{"anthropic", "google"} {
		if !slices.Contains(llm.Drivers(), name) {
			t.Errorf("provider %q is not registered; registered: %v", name, llm.Drivers())
		}
	}
}
