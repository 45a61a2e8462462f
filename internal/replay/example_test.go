package replay_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/llmhost/llmhost/internal/replay"
)

// A recorded OpenAI call turned into a rate limit, answered to a client that
// sends what the recording holds.
func Example() {
	c, err := replay.Load("test_call/openai_gpt_4o_completions/sync.json")
	if err != nil {
		panic(err)
	}
	c.Interactions[0].SetError(429, "Retry-After", "7")

	srv := replay.NewServer(c)
	defer srv.Close()
	resp, err := http.Post(srv.BaseURL()+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"gpt-4o","messages":[{"role":"user","content":"What is 4200 + 42?"}]}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	fmt.Println(resp.StatusCode, "Retry-After:", resp.Header.Get("Retry-After"))
	fmt.Printf("diff: %q\n", srv.DiffSent(replay.Fields("model", "messages", "stream")))
	fmt.Println("verify:", srv.Verify())
	// Output:
	// 429 Retry-After: 7
	// diff: ""
	// verify: <nil>
}
