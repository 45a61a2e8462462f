package google_test

import (
	"context"
	"fmt"
	"log"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/google"
)

// The example answers from a recording of the Gemini API; in a program the
// key comes from GOOGLE_API_KEY and the endpoint is Google's own.
func Example() {
	c, err := replay.Load("test_max_tokens/google_gemini_2_5_flash/sync.json")
	if err != nil {
		log.Fatal(err)
	}
	srv := replay.NewServer(c)
	defer srv.Close()

	resp, err := llm.Call(context.Background(), "google/gemini-2.5-flash",
		[]llm.Message{llm.User("List all U.S. states.")},
		llm.MaxTokens(50),
		llm.WithEndpoint("google", llm.Endpoint{BaseURL: srv.URL(), APIKey: "AIza-example"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", resp.Text())
	fmt.Println(resp.FinishReason)
	fmt.Printf("%+v\n", resp.Usage)
	// Output:
	// "Here is a list of all 50 U"
	// max_tokens
	// {InputTokens:9 OutputTokens:48 CacheReadTokens:0 ReasoningTokens:38}
}
