package anthropic_test

import (
	"context"
	"fmt"
	"log"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/anthropic"
)

// The example answers from a recording of Anthropic's API; in a program the
// key comes from ANTHROPIC_API_KEY and the endpoint is Anthropic's own.
func Example() {
	c, err := replay.Load("test_call/anthropic_claude_sonnet_4_0/sync.json")
	if err != nil {
		log.Fatal(err)
	}
	srv := replay.NewServer(c)
	defer srv.Close()

	resp, err := llm.Call(context.Background(), "anthropic/claude-sonnet-4-0",
		[]llm.Message{llm.User("What is 4200 + 42?")},
		llm.WithEndpoint("anthropic", llm.Endpoint{BaseURL: srv.URL(), APIKey: "sk-ant-example"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text())
	fmt.Println(resp.ProviderModel, resp.Usage.InputTokens, resp.Usage.OutputTokens)
	// Output:
	// 4200 + 42 = 4242
	// claude-sonnet-4-20250514 17 15
}
