package anthropic_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// The recordings hold no rate limits, server errors or broken streams; the
// tests here make them from the recorded test_call exchange and Anthropic's
// error shapes (see the replay package's fault helpers).

const (
	callSync   = "test_call/anthropic_claude_sonnet_4_0/sync.json"
	callStream = "test_call/anthropic_claude_sonnet_4_0/stream.json"
)

var question = []llm.Message{llm.User("What is 4200 + 42?")}

// load returns a recording and a fresh copy of its cassette to alter.
func load(t *testing.T, name string) (replay.Recording, *replay.Cassette) {
	t.Helper()
	recs, err := replay.Glob(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := recs[0].Load()
	if err != nil {
		t.Fatal(err)
	}
	return recs[0], c
}

// failing serves the test_call recording of kind ("sync" or "stream") with
// its one response altered by alter.
func failing(t *testing.T, kind string, alter func(*replay.Interaction)) *session {
	t.Helper()
	rec, c := load(t, "test_call/anthropic_claude_sonnet_4_0/"+kind+".json")
	alter(&c.Interactions[0])
	return serveCassette(t, rec, c)
}

// callErr makes the call of the session's kind and returns its error.
func callErr(t *testing.T, s *session, opts ...llm.Option) error {
	t.Helper()
	_, err := s.Call(context.Background(), question, opts...)
	if err == nil {
		t.Fatal("the call succeeded; want an error")
	}
	return err
}

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		status  int
		headers []string
		want    llm.Error
	}{
		{429, []string{"retry-after", "7"}, llm.Error{Kind: llm.KindRateLimit, RetryAfter: 7 * time.Second,
			Message: "Number of requests has exceeded your per-minute rate limit."}},
		{429, []string{"retry-after-ms", "1500", "retry-after", "2"}, llm.Error{Kind: llm.KindRateLimit, RetryAfter: 1500 * time.Millisecond,
			Message: "Number of requests has exceeded your per-minute rate limit."}},
		{429, nil, llm.Error{Kind: llm.KindRateLimit, Message: "Number of requests has exceeded your per-minute rate limit."}},
		{500, nil, llm.Error{Kind: llm.KindServer, Message: "Internal server error"}},
		{503, nil, llm.Error{Kind: llm.KindServer, Message: "Internal server error"}},
		{529, []string{"retry-after", "3"}, llm.Error{Kind: llm.KindServer, RetryAfter: 3 * time.Second, Message: "Overloaded"}},
		{400, nil, llm.Error{Kind: llm.KindBadRequest, Message: "Invalid request."}},
		{401, nil, llm.Error{Kind: llm.KindAuthentication, Message: "invalid x-api-key"}},
		{403, nil, llm.Error{Kind: llm.KindPermission, Message: "Your API key does not have permission to use the specified resource."}},
		{404, nil, llm.Error{Kind: llm.KindNotFound, Message: "model: replay-model"}},
		{413, nil, llm.Error{Kind: llm.KindBadRequest, Message: "Request exceeds the maximum allowed number of bytes."}},
	}
	for _, kind := range []string{"sync", "stream"} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d%v", kind, tt.status, tt.headers), func(t *testing.T) {
				s := failing(t, kind, func(it *replay.Interaction) { it.SetError(tt.status, tt.headers...) })
				err := callErr(t, s)
				want := tt.want
				want.Provider, want.Model, want.Status = "anthropic", s.Model(), tt.status
				if d := cmp.Diff(&want, asError(t, err), errorOpts); d != "" {
					t.Errorf("status %d: error (-want +got):\n%s", tt.status, d)
				}
				var apiErr *sdk.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
					t.Errorf("the SDK's error is not the cause: %#v", err)
				}
				if n := len(s.Srv.Requests()); n != 1 {
					t.Errorf("%d requests, want 1: the SDK must not retry", n)
				}
			})
		}
	}
}

// TestRetryAfterHonoured checks the whole path of a rate limit: the
// provider reads retry-after-ms, the engine waits exactly that (on a fake
// clock) and the second attempt answers.
func TestRetryAfterHonoured(t *testing.T) {
	rec, c := load(t, callSync)
	limited := c.Interactions[0]
	limited.SetError(529, "retry-after-ms", "250")
	c.Interactions = append([]replay.Interaction{limited}, c.Interactions...)
	s := serveCassette(t, rec, c)
	clock := &clocktest.Clock{}
	resp, err := llm.Call(context.Background(), s.Model(), question,
		s.Options(llm.WithRetry(llm.RetryPolicy{MaxRetries: 2}), llm.WithClock(clock))...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.Text(), "4200 + 42 = 4242"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if d := cmp.Diff([]time.Duration{250 * time.Millisecond}, clock.Sleeps()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	if len(resp.Attempts) != 1 || resp.Attempts[0].Error.Kind != llm.KindServer || resp.Attempts[0].Error.Status != 529 {
		t.Errorf("attempts = %v, want one overloaded (529) failure", resp.Attempts)
	}
}

// readStream reads a stream to its end and returns the text deltas it
// yielded and its final error.
func readStream(t *testing.T, sr *llm.StreamResponse) ([]string, error) {
	t.Helper()
	var texts []string
	for text, err := range sr.TextStream() {
		if err != nil {
			return texts, err
		}
		texts = append(texts, text)
	}
	return texts, nil
}

// errorEvent is Anthropic's error event, as sent inside a 200 stream.
func errorEvent(typ, msg string) string {
	return "event: error\ndata: " + mustJSON(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}}) + "\n\n"
}

// TestStreamErrorEvent is the "done when": a 200 stream that carries
// an error event after some text yields a server error, and the partial
// text stays in the stream's messages.
func TestStreamErrorEvent(t *testing.T) {
	for _, tt := range []struct{ typ, msg string }{
		{"overloaded_error", "Overloaded"},
		{"api_error", "Internal server error"},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			// Events: message_start, content_block_start, "4200 + 42 =",
			// then the error instead of the rest.
			s := failing(t, "stream", func(it *replay.Interaction) {
				if err := it.InjectEvent(3, errorEvent(tt.typ, tt.msg)); err != nil {
					t.Fatal(err)
				}
			})
			sr, err := llm.Stream(context.Background(), s.Model(), question, s.Options()...)
			if err != nil {
				t.Fatal(err)
			}
			texts, err := readStream(t, sr)
			if d := cmp.Diff([]string{"4200 + 42 ="}, texts); d != "" {
				t.Errorf("text received (-want +got):\n%s", d)
			}
			want := &llm.Error{Kind: llm.KindServer, Provider: "anthropic", Model: s.Model(), Message: tt.msg}
			if d := cmp.Diff(want, asError(t, err), errorOpts); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
			var apiErr *sdk.Error
			if !errors.As(err, &apiErr) || string(apiErr.Type()) != tt.typ {
				t.Errorf("the SDK's error (%s) is not the cause: %v", tt.typ, err)
			}
			wantMsgs := append(question[:1:1], s.assistant(llm.Text("4200 + 42 =")))
			if d := cmp.Diff(wantMsgs, sr.Messages()); d != "" {
				t.Errorf("messages keep the partial answer (-want +got):\n%s", d)
			}
		})
	}
}

// TestStreamResumedAfterErrorEvent lets the engine resume the stream that
// failed part way: the second request carries the partial answer and the
// request to continue, and the reader gets the partial text then the
// continuation.
func TestStreamResumedAfterErrorEvent(t *testing.T) {
	rec, c := load(t, callStream)
	broken := c.Interactions[0]
	if err := broken.InjectErrorEvent(3); err != nil {
		t.Fatal(err)
	}
	c.Interactions = append([]replay.Interaction{broken}, c.Interactions...)
	s := serveCassette(t, rec, c)
	clock := &clocktest.Clock{}
	sr, err := llm.Stream(context.Background(), s.Model(), question,
		s.Options(llm.WithRetry(llm.RetryPolicy{MaxRetries: 2}), llm.WithClock(clock))...)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := readStream(t, sr)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(texts, ""), "4200 + 42 =4200 + 42 = 4242"; got != want {
		t.Errorf("text = %q, want the partial answer then the (recorded) continuation %q", got, want)
	}
	reqs := s.Srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	want := []any{
		map[string]any{"role": "user", "content": "What is 4200 + 42?"},
		map[string]any{"role": "assistant", "content": "4200 + 42 ="},
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": llm.ResumePrompt, "cache_control": map[string]any{"type": "ephemeral"}}}},
	}
	if d := replay.DiffJSON(want, reqs[1].Body["messages"], replay.CollapseTextBlocks()); d != "" {
		t.Errorf("the resumed request's messages (-want +got):\n%s", d)
	}
	if atts := sr.Attempts(); len(atts) != 1 || atts[0].Error.Kind != llm.KindServer {
		t.Errorf("attempts = %v, want the overloaded stream", atts)
	}
}

func TestStreamCut(t *testing.T) {
	tests := []struct {
		name string
		cut  func(*replay.Interaction) error
		msg  string
	}{
		{"on an event boundary", func(it *replay.Interaction) error { return it.CutStream(3, false) }, ""},
		{"inside an event", func(it *replay.Interaction) error { return it.CutStream(3, true) }, ""},
		{"clean end without message_stop", func(it *replay.Interaction) error { return it.InjectEvent(3, "") },
			"the stream ended before message_stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := failing(t, "stream", func(it *replay.Interaction) {
				if err := tt.cut(it); err != nil {
					t.Fatal(err)
				}
			})
			sr, err := llm.Stream(context.Background(), s.Model(), question, s.Options()...)
			if err != nil {
				t.Fatal(err)
			}
			texts, err := readStream(t, sr)
			if d := cmp.Diff([]string{"4200 + 42 ="}, texts); d != "" {
				t.Errorf("text received (-want +got):\n%s", d)
			}
			e := asError(t, err)
			if e.Kind != llm.KindConnection || e.Status != 0 || e.Provider != "anthropic" {
				t.Errorf("error = %v, want a connection error from anthropic", e)
			}
			if tt.msg != "" && e.Message != tt.msg {
				t.Errorf("message = %q, want %q", e.Message, tt.msg)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v does not wrap io.ErrUnexpectedEOF", err)
			}
			if d := cmp.Diff(s.assistant(llm.Text("4200 + 42 =")), sr.Messages()[1]); d != "" {
				t.Errorf("partial answer (-want +got):\n%s", d)
			}
		})
	}
}

func TestMalformedResponse(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			s := failing(t, kind, (*replay.Interaction).MalformBody)
			e := asError(t, callErr(t, s))
			if e.Kind != llm.KindResponseValidation {
				t.Errorf("error = %v, want response_validation", e)
			}
		})
	}
}

func TestConnectionDropped(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			s := failing(t, kind, (*replay.Interaction).Drop)
			e := asError(t, callErr(t, s))
			if e.Kind != llm.KindConnection || e.Status != 0 {
				t.Errorf("error = %v, want connection", e)
			}
		})
	}
}

// TestFinishReasons checks the stop reasons no recording has, on the
// recorded answer with its stop_reason replaced.
func TestFinishReasons(t *testing.T) {
	for _, tt := range []struct {
		stop string
		want llm.FinishReason
	}{
		{"refusal", llm.FinishRefusal},
		{"model_context_window_exceeded", llm.FinishContextLengthExceeded},
		{"pause_turn", ""},
		{"stop_sequence", ""},
	} {
		for _, kind := range []string{"sync", "stream"} {
			t.Run(tt.stop+"/"+kind, func(t *testing.T) {
				s := failing(t, kind, func(it *replay.Interaction) {
					it.Response.Body = strings.Replace(it.Response.Body, `"stop_reason":"end_turn"`, `"stop_reason":"`+tt.stop+`"`, 1)
				})
				resp, err := s.Call(context.Background(), question)
				if err != nil {
					t.Fatal(err)
				}
				if resp.FinishReason != tt.want {
					t.Errorf("FinishReason = %q, want %q", resp.FinishReason, tt.want)
				}
			})
		}
	}
}

func TestMissingAPIKey(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "")
	_, err := llm.Call(context.Background(), "anthropic/claude-sonnet-4-0", question, llm.WithMaxRetries(0))
	e := asError(t, err)
	if e.Kind != llm.KindMissingAPIKey || !strings.Contains(e.Message, "ANTHROPIC_API_KEY") {
		t.Errorf("error = %v, want missing_api_key naming ANTHROPIC_API_KEY", e)
	}
}

// TestEnvironment reaches the server through ANTHROPIC_BASE_URL (the SDK's
// form: the host root) with the key of ANTHROPIC_API_KEY.
func TestEnvironment(t *testing.T) {
	s := open(t, callSync)
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
	t.Setenv("ANTHROPIC_BASE_URL", s.Srv.URL())
	resp, err := llm.Call(context.Background(), s.Model(), question, llm.WithMaxRetries(0), llm.WithCooldowns(llm.NewCooldowns()))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "4200 + 42 = 4242" {
		t.Errorf("Text() = %q", resp.Text())
	}
	if k := s.Srv.Requests()[0].Header.Get("X-Api-Key"); k != "sk-ant-from-env" {
		t.Errorf("x-api-key = %q, want the variable's", k)
	}
}

// TestStreamedTextEqualsCall: the recorded stream and call answered the
// same question with the same text, and llmhost reads the same text from
// both.
func TestStreamedTextEqualsCall(t *testing.T) {
	plain := open(t, callSync)
	resp, err := plain.Call(context.Background(), question)
	if err != nil {
		t.Fatal(err)
	}
	streamed := open(t, callStream)
	sr, err := llm.Stream(context.Background(), streamed.Model(), question, streamed.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := readStream(t, sr)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(texts, ""); got != resp.Text() {
		t.Errorf("streamed %q, called %q", got, resp.Text())
	}
}
