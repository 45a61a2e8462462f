package llm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

// TestResumeAfterFailedContinuation: a stream is cut after "Grüße, wö"; the
// engine's continuation request then fails before any text (a 503) and
// the budget is spent. The stream's messages are the question and the
// partial answer, nothing else, so Resume(ctx, "Please continue.") sends
// exactly those and the user's turn: before, the engine's own continuation
// prompt stayed in the messages, and the model was sent two user turns.
func TestResumeAfterFailedContinuation(t *testing.T) {
	s := faultserver.New()
	defer s.Close()
	s.Script("gpt-4o-mini",
		faultserver.Cut("Grüße, wö"),
		faultserver.Fail(503),
		faultserver.Text("rld"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := []llm.Option{llm.WithEndpoint("openai", llm.Endpoint{BaseURL: s.URL(), APIKey: "sk-fault"}),
		llm.WithClock(clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))),
		llm.WithCooldowns(llm.NewCooldowns()), llm.WithMaxRetries(1)}
	sr, err := llm.Stream(ctx, "openai/gpt-4o-mini", []llm.Message{llm.User("greet")}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var failed error
	for s, err := range sr.TextStream() {
		if err != nil {
			failed = err
			break
		}
		text.WriteString(s)
	}
	if failed == nil || text.String() != "Grüße, wö" {
		t.Fatalf("read %q then %v; want the partial answer, then the failure", text.String(), failed)
	}
	msgs := sr.Messages()
	if len(msgs) != 2 || msgs[1].Role != llm.RoleAssistant || msgs[1].Text() != "Grüße, wö" {
		t.Fatalf("messages after the failure: %+v; want the question and the partial answer", msgs)
	}
	next, err := sr.Resume(ctx, llm.Text("Please continue."))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := next.Response()
	if err == nil {
		for range next.Chunks() {
		}
		resp, err = next.Response()
	}
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "rld" {
		t.Errorf("continuation %q", resp.Text())
	}
	reqs := s.Requests("gpt-4o-mini")
	last := reqs[len(reqs)-1].Messages
	var got []string
	for _, m := range last {
		got = append(got, m.Role+": "+m.Content)
	}
	want := []string{"user: greet", "assistant: Grüße, wö", "user: Please continue."}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Resume sent\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
