package openai_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	"github.com/llmhost/llmhost/providers/openai"
)

// A call to OpenAI. Here a recording of the real API stands in for it;
// against the real thing, drop WithEndpoint and export OPENAI_API_KEY.
func Example() {
	c, err := replay.Load("test_call/openai_gpt_4o_completions/sync.json")
	if err != nil {
		log.Fatal(err)
	}
	srv := replay.NewServer(c)
	defer srv.Close()

	resp, err := llm.Call(context.Background(), "openai/gpt-4o",
		[]llm.Message{llm.User("What is 4200 + 42?")},
		llm.WithEndpoint("openai", llm.Endpoint{BaseURL: srv.BaseURL(), APIKey: "sk-..."}))
	if err != nil {
		var e *llm.Error
		if errors.As(err, &e) {
			log.Fatalf("%s (HTTP %d): %s", e.Kind, e.Status, e.Message)
		}
		log.Fatal(err)
	}
	fmt.Println(resp.Text())
	fmt.Println(resp.ProviderModel, resp.Usage.InputTokens, resp.Usage.OutputTokens)
	// Output:
	// \(4200 + 42 = 4242\).
	// gpt-4o-2024-08-06 16 12
}

// Another OpenAI-compatible service, registered under its own name: model
// ids "groq/...", the key in GROQ_API_KEY, the base URL overridable with
// GROQ_BASE_URL.
func ExampleRegister() {
	openai.Register(openai.Server{
		Name:    "groq",
		BaseURL: "https://api.groq.com/openai/v1",
	})
	for _, s := range openai.Servers() {
		if s.Name == "groq" {
			fmt.Println(s.KeyEnv, s.BaseURLEnv)
		}
	}
	// Output: GROQ_API_KEY GROQ_BASE_URL
}
