package main

import (
	"strings"
	"testing"

	"github.com/llmhost/llmhost/internal/replay"
)

// Each provider, plain and streamed, through the CLI, on its recorded
// traffic: what the CLI prints is the recorded answer.
func TestCallEveryProviderOnRecordedTraffic(t *testing.T) {
	cases := []struct{ model, dir, keyVar string }{
		{"openai/gpt-4o", "openai_gpt_4o_completions", "OPENAI_API_KEY"},
		{"anthropic/claude-sonnet-4-0", "anthropic_claude_sonnet_4_0", "ANTHROPIC_API_KEY"},
		{"google/gemini-2.5-flash", "google_gemini_2_5_flash", "GOOGLE_API_KEY"},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			t.Setenv(c.keyVar, "test-key")
			texts := map[string]string{}
			for _, kind := range []string{"sync", "stream"} {
				srv := replay.Serve(t, replay.MustLoad(t, "test_call/"+c.dir+"/"+kind+".json"))
				args := []string{"call", "--model", c.model, "--base-url", srv.BaseURL(), "--retries", "0"}
				if kind == "stream" {
					args = append(args, "--stream")
				}
				code, out, errs := cli(t, "", append(args, "What is 4200 + 42?")...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", kind, code, errs)
				}
				if err := srv.Verify(); err != nil {
					t.Errorf("%s: %v", kind, err)
				}
				texts[kind] = strings.TrimSpace(out)
			}
			for kind, text := range texts {
				if !strings.Contains(text, "4242") {
					t.Errorf("%s printed %q, not the recorded answer", kind, text)
				}
			}
		})
	}
}
