package google_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genai"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// The recordings hold no rate limits, server errors or broken streams; the
// tests here make them from the recorded test_call exchange and Google's
// error shape, {"error":{"code","message","status"}}.

const (
	callSync   = "test_call/google_gemini_2_5_flash/sync.json"
	callStream = "test_call/google_gemini_2_5_flash/stream.json"
)

var question = []llm.Message{llm.User("What is 4200 + 42?")}

// firstChunkText is the text of the first event of the recorded stream.
const firstChunkText = "To find the sum of 4200 + 42, we can align the numbers by their place values:\n\n  4200\n+   42\n------\n  4242\n\nSo, 42"

// failing serves the test_call recording of kind with its one response
// altered by alter.
func failing(t *testing.T, kind string, alter func(*replay.Interaction)) *session {
	t.Helper()
	rec, c := load(t, "test_call/google_gemini_2_5_flash/"+kind+".json")
	alter(&c.Interactions[0])
	return serveCassette(t, rec, c)
}

func callErr(t *testing.T, s *session, opts ...llm.Option) error {
	t.Helper()
	_, err := s.Call(context.Background(), question, opts...)
	if err == nil {
		t.Fatal("the call succeeded; want an error")
	}
	return err
}

// quotaBody is the 429 Google sends when a quota runs out, with the
// RetryInfo detail that says when to come back.
const quotaBody = `{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37.5s"}]}}`

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		name  string
		alter func(*replay.Interaction)
		want  llm.Error
	}{
		{"429", func(it *replay.Interaction) { it.SetError(429) },
			llm.Error{Kind: llm.KindRateLimit, Status: 429, Message: "Resource has been exhausted (e.g. check quota)."}},
		{"429 Retry-After", func(it *replay.Interaction) { it.SetError(429, "Retry-After", "7") },
			llm.Error{Kind: llm.KindRateLimit, Status: 429, RetryAfter: 7 * time.Second, Message: "Resource has been exhausted (e.g. check quota)."}},
		{"429 RetryInfo", func(it *replay.Interaction) {
			it.Response = replay.ErrorResponse(replay.Google, 429, "")
			it.Response.Body = quotaBody
		}, llm.Error{Kind: llm.KindRateLimit, Status: 429, RetryAfter: 37500 * time.Millisecond,
			Message: "You exceeded your current quota, please check your plan and billing details."}},
		{"500", func(it *replay.Interaction) { it.SetError(500) },
			llm.Error{Kind: llm.KindServer, Status: 500, Message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"}},
		{"503", func(it *replay.Interaction) { it.SetError(503) },
			llm.Error{Kind: llm.KindServer, Status: 503, Message: "The model is overloaded. Please try again later."}},
		{"504", func(it *replay.Interaction) { it.SetError(504) },
			llm.Error{Kind: llm.KindServer, Status: 504, Message: "The request timed out. Please try again."}},
		{"400", func(it *replay.Interaction) { it.SetError(400) },
			llm.Error{Kind: llm.KindBadRequest, Status: 400, Message: "Request contains an invalid argument."}},
		{"401", func(it *replay.Interaction) { it.SetError(401) },
			llm.Error{Kind: llm.KindAuthentication, Status: 401, Message: "Request had invalid authentication credentials."}},
		{"403", func(it *replay.Interaction) { it.SetError(403) },
			llm.Error{Kind: llm.KindPermission, Status: 403, Message: "The caller does not have permission."}},
		{"404", func(it *replay.Interaction) { it.SetError(404) },
			llm.Error{Kind: llm.KindNotFound, Status: 404, Message: "models/replay-model is not found for API version v1beta."}},
	}
	for _, kind := range []string{"sync", "stream"} {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				s := failing(t, kind, tt.alter)
				err := callErr(t, s)
				want := tt.want
				want.Provider, want.Model = "google", s.Model()
				if d := cmp.Diff(&want, asError(t, err), errorOpts); d != "" {
					t.Errorf("error (-want +got):\n%s", d)
				}
				var apiErr genai.APIError
				if !errors.As(err, &apiErr) {
					t.Errorf("the SDK's error is not the cause: %#v", err)
				}
				if n := len(s.Srv.Requests()); n != 1 {
					t.Errorf("%d requests, want 1: the SDK must not retry", n)
				}
			})
		}
	}
}

// TestRetryInfoHonoured: the engine waits the RetryInfo delay (on a fake
// clock), then the second attempt answers.
func TestRetryInfoHonoured(t *testing.T) {
	rec, c := load(t, callSync)
	limited := c.Interactions[0]
	limited.Response = replay.ErrorResponse(replay.Google, 429, "")
	limited.Response.Body = quotaBody
	c.Interactions = append([]replay.Interaction{limited}, c.Interactions...)
	s := serveCassette(t, rec, c)
	clock := &clocktest.Clock{}
	resp, err := llm.Call(context.Background(), s.Model(), question,
		s.Options(llm.WithRetry(llm.RetryPolicy{MaxRetries: 2}), llm.WithClock(clock))...)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, s, resp, 1, "")
	if d := cmp.Diff([]time.Duration{37500 * time.Millisecond}, clock.Sleeps()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	if len(resp.Attempts) != 1 || resp.Attempts[0].Error.Kind != llm.KindRateLimit {
		t.Errorf("attempts = %v, want one rate limit", resp.Attempts)
	}
}

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

// TestStreamErrorEvent: a 200 stream that carries an error after some text
// yields a server error, and the partial text stays in the messages.
func TestStreamErrorEvent(t *testing.T) {
	s := failing(t, "stream", func(it *replay.Interaction) {
		if err := it.InjectErrorEvent(1); err != nil {
			t.Fatal(err)
		}
	})
	sr, err := llm.Stream(context.Background(), s.Model(), question, s.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := readStream(t, sr)
	if d := cmp.Diff([]string{firstChunkText}, texts); d != "" {
		t.Errorf("text received (-want +got):\n%s", d)
	}
	want := &llm.Error{Kind: llm.KindServer, Provider: "google", Model: s.Model(), Message: "The model is overloaded. Please try again later."}
	if d := cmp.Diff(want, asError(t, err), errorOpts); d != "" {
		t.Errorf("error (-want +got):\n%s", d)
	}
	wantMsgs := append(question[:1:1], s.assistant(llm.Text(firstChunkText)))
	if d := cmp.Diff(wantMsgs, sr.Messages()); d != "" {
		t.Errorf("messages keep the partial answer (-want +got):\n%s", d)
	}
}

// TestStreamResumedAfterErrorEvent lets the engine resume: the second
// request carries the partial answer and the request to continue.
func TestStreamResumedAfterErrorEvent(t *testing.T) {
	rec, c := load(t, callStream)
	broken := c.Interactions[0]
	if err := broken.InjectErrorEvent(1); err != nil {
		t.Fatal(err)
	}
	c.Interactions = append([]replay.Interaction{broken}, c.Interactions...)
	s := serveCassette(t, rec, c)
	sr, err := llm.Stream(context.Background(), s.Model(), question,
		s.Options(llm.WithRetry(llm.RetryPolicy{MaxRetries: 2}), llm.WithClock(&clocktest.Clock{}))...)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := readStream(t, sr)
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != 3 || texts[0] != firstChunkText {
		t.Errorf("texts = %q, want the partial chunk then the continuation's two", texts)
	}
	want := []any{
		map[string]any{"role": "user", "parts": []any{map[string]any{"text": "What is 4200 + 42?"}}},
		map[string]any{"role": "model", "parts": []any{map[string]any{"text": firstChunkText}}},
		map[string]any{"role": "user", "parts": []any{map[string]any{"text": llm.ResumePrompt}}},
	}
	if d := replay.DiffJSON(want, s.Srv.Requests()[1].Body["contents"]); d != "" {
		t.Errorf("the resumed request's contents (-want +got):\n%s", d)
	}
}

func TestStreamCut(t *testing.T) {
	tests := []struct {
		name string
		cut  func(*replay.Interaction) error
		msg  string
	}{
		{"on an event boundary", func(it *replay.Interaction) error { return it.CutStream(1, false) }, ""},
		// The SDK reports the half event as malformed JSON; the transport
		// saw the connection drop, which is what the error says.
		{"inside an event", func(it *replay.Interaction) error { return it.CutStream(1, true) }, ""},
		{"clean end without a finish reason", func(it *replay.Interaction) error { return it.InjectEvent(1, "") },
			"the stream ended before the finish reason"},
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
			if d := cmp.Diff([]string{firstChunkText}, texts); d != "" {
				t.Errorf("text received (-want +got):\n%s", d)
			}
			e := asError(t, err)
			if e.Kind != llm.KindConnection || e.Status != 0 || e.Provider != "google" {
				t.Errorf("error = %v, want a connection error from google", e)
			}
			if tt.msg != "" && e.Message != tt.msg {
				t.Errorf("message = %q, want %q", e.Message, tt.msg)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v does not wrap io.ErrUnexpectedEOF", err)
			}
			if d := cmp.Diff(s.assistant(llm.Text(firstChunkText)), sr.Messages()[1]); d != "" {
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

// TestUnexpectedShape: JSON of a shape Gemini never sends, such as
// "candidates" as an object, makes the genai SDK's converters panic (found
// by FuzzStream, whose crasher stays in its corpus). It must come out as
// response_validation, on a call, at the start of a stream, and after a
// stream delivered text, never as a panic of the caller.
func TestUnexpectedShape(t *testing.T) {
	const bad = `{"candidates":{}}`
	cases := []struct {
		name, kind string
		body       func(replay.Interaction) string
		text       string
	}{
		{"sync", "sync", func(replay.Interaction) string { return bad }, ""},
		{"stream, first event", "stream", func(replay.Interaction) string { return "data: " + bad + "\r\n\r\n" }, ""},
		{"stream, after text", "stream", func(it replay.Interaction) string {
			return it.Events()[0] + "data: " + bad + "\r\n\r\n"
		}, firstChunkText},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := failing(t, c.kind, func(it *replay.Interaction) { it.Response.Body = c.body(*it) })
			resp, err := s.Call(context.Background(), question)
			e := asError(t, err)
			if e.Kind != llm.KindResponseValidation || !strings.Contains(e.Message, "interface conversion") {
				t.Errorf("error = %v, want response_validation saying what the SDK choked on", e)
			}
			if c.kind == "stream" {
				if got := resp.Messages[len(resp.Messages)-1]; c.text != "" && got.Text() != c.text {
					t.Errorf("kept %q, want the text that arrived, %q", got.Text(), c.text)
				}
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

// TestFinishReasons checks the finish reasons no recording has, on the
// recorded answer with its finishReason replaced.
func TestFinishReasons(t *testing.T) {
	for _, tt := range []struct {
		reason string
		want   llm.FinishReason
	}{
		{"MAX_TOKENS", llm.FinishMaxTokens},
		{"SAFETY", llm.FinishRefusal},
		{"RECITATION", llm.FinishRefusal},
		{"BLOCKLIST", llm.FinishRefusal},
		{"PROHIBITED_CONTENT", llm.FinishRefusal},
		{"SPII", llm.FinishRefusal},
		{"OTHER", ""},
	} {
		for _, kind := range []string{"sync", "stream"} {
			t.Run(tt.reason+"/"+kind, func(t *testing.T) {
				s := failing(t, kind, func(it *replay.Interaction) {
					it.Response.Body = strings.Replace(it.Response.Body, `"finishReason": "STOP"`, `"finishReason": "`+tt.reason+`"`, 1)
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

// TestPromptBlocked: a prompt blocked before any candidate is a refusal
// with no text.
func TestPromptBlocked(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			body := `{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8}, "modelVersion": "gemini-2.5-flash", "responseId": "blocked"}`
			s := failing(t, kind, func(it *replay.Interaction) {
				if kind == "stream" {
					body = "data: " + body + "\r\n\r\n"
				}
				it.Response.Body = body
			})
			resp, err := s.Call(context.Background(), question)
			if err != nil {
				t.Fatal(err)
			}
			if resp.FinishReason != llm.FinishRefusal || resp.Text() != "" {
				t.Errorf("FinishReason %q, text %q; want a refusal without text", resp.FinishReason, resp.Text())
			}
		})
	}
}

func TestMissingAPIKey(t *testing.T) {
	t.Setenv("GOOGLE_API_KEY", "")
	_, err := llm.Call(context.Background(), "google/gemini-2.5-flash", question, llm.WithMaxRetries(0))
	e := asError(t, err)
	if e.Kind != llm.KindMissingAPIKey || !strings.Contains(e.Message, "GOOGLE_API_KEY") {
		t.Errorf("error = %v, want missing_api_key naming GOOGLE_API_KEY", e)
	}
}

// TestEnvironment reaches the server through GOOGLE_BASE_URL with the key
// of GOOGLE_API_KEY, and ignores the SDK's own switch to Vertex AI.
func TestEnvironment(t *testing.T) {
	s := open(t, callSync)
	t.Setenv("GOOGLE_API_KEY", "AIza-from-env")
	t.Setenv("GOOGLE_BASE_URL", s.Srv.URL())
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	resp, err := llm.Call(context.Background(), s.Model(), question, llm.WithMaxRetries(0), llm.WithCooldowns(llm.NewCooldowns()))
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, s, resp, 0, "")
	if k := s.Srv.Requests()[0].Header.Get("X-Goog-Api-Key"); k != "AIza-from-env" {
		t.Errorf("x-goog-api-key = %q, want the variable's", k)
	}
}

// TestStreamedTextEqualsCall streams the recorded answer of the plain call,
// cut into events as Gemini streams, and reads the same text from both.
func TestStreamedTextEqualsCall(t *testing.T) {
	plain := open(t, callSync)
	resp, err := plain.Call(context.Background(), question)
	if err != nil {
		t.Fatal(err)
	}
	text := resp.Text()
	var events []string
	for i, piece := range []string{text[:40], text[40:90], text[90:]} {
		finish := ""
		if i == 2 {
			finish = `,"finishReason": "STOP"`
		}
		events = append(events, fmt.Sprintf(`data: {"candidates": [{"content": {"parts": [{"text": %q}],"role": "model"}%s,"index": 0}],"modelVersion": "gemini-2.5-flash","responseId": "r1"}`+"\r\n\r\n", piece, finish))
	}
	streamed := failing(t, "stream", func(it *replay.Interaction) { it.Response.Body = strings.Join(events, "") })
	sr, err := llm.Stream(context.Background(), streamed.Model(), question, streamed.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := readStream(t, sr)
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != 3 || strings.Join(texts, "") != text {
		t.Errorf("streamed %q, called %q", texts, text)
	}
}
