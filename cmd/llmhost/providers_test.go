package main

import (
	"context"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// Each provider, plain and streamed, through the CLI, on its recorded
// traffic: the CLI prints exactly the text the engine read from the
// recording, streamed or not.
func TestCallEveryProviderOnRecordedTraffic(t *testing.T) {
	cases := []struct{ model, dir, keyVar string }{
		{"openai/gpt-4o", "openai_gpt_4o_completions", "OPENAI_API_KEY"},
		{"anthropic/claude-sonnet-4-0", "anthropic_claude_sonnet_4_0", "ANTHROPIC_API_KEY"},
		{"google/gemini-2.5-flash", "google_gemini_2_5_flash", "GOOGLE_API_KEY"},
	}
	const prompt = "What is 4200 + 42?"
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			t.Setenv(c.keyVar, "test-key")
			provider, _, _ := llm.SplitModel(c.model)
			printed := map[string]string{}
			for _, kind := range []string{"sync", "stream"} {
				rec := "test_call/" + c.dir + "/" + kind + ".json"

				// What the engine reads from the recording.
				srv := replay.Serve(t, replay.MustLoad(t, rec))
				opts := []llm.Option{llm.WithEndpoint(provider, llm.Endpoint{BaseURL: srv.BaseURL()}), llm.WithMaxRetries(0)}
				msgs := []llm.Message{llm.User(prompt)}
				var resp *llm.Response
				var err error
				if kind == "stream" {
					var sr *llm.StreamResponse
					if sr, err = llm.Stream(context.Background(), c.model, msgs, opts...); err == nil {
						resp, err = sr.Response()
					}
				} else {
					resp, err = llm.Call(context.Background(), c.model, msgs, opts...)
				}
				if err != nil {
					t.Fatalf("%s through the library: %v", kind, err)
				}

				// What the CLI prints from the same recording.
				srv = replay.Serve(t, replay.MustLoad(t, rec))
				args := []string{"call", "--model", c.model, "--base-url", srv.BaseURL(), "--retries", "0"}
				if kind == "stream" {
					args = append(args, "--stream")
				}
				code, out, errs := cli(t, "", append(args, prompt)...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", kind, code, errs)
				}
				if err := srv.Verify(); err != nil {
					t.Errorf("%s: %v", kind, err)
				}
				if want := resp.Text() + "\n"; out != want || !strings.Contains(out, "4242") {
					t.Errorf("%s: the CLI printed %q, the engine read %q", kind, out, want)
				}
				printed[kind] = out
			}
			// Anthropic's two recordings hold the same answer: streamed and
			// plain, the CLI prints it the same.
			if provider == "anthropic" && printed["sync"] != printed["stream"] {
				t.Errorf("plain %q, streamed %q", printed["sync"], printed["stream"])
			}
		})
	}
}
