package openai_test

import (
	"testing"

	"github.com/llmhost/llmhost/internal/ssefuzz"
	"github.com/llmhost/llmhost/llm"
)

// FuzzStream serves any bytes as the event stream of a chat completion and
// reads it through the provider (go-openai's stream reader behind the
// provider's SSE filter and error classification) and the engine. The
// seeds named recorded-* are streams OpenAI and OpenRouter sent, from the
// recordings of Mirascope's end-to-end suite (MIT licence).
func FuzzStream(f *testing.F) {
	for _, s := range []string{
		"data: [DONE]\n\n",
		": OPENROUTER PROCESSING\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":-3,\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":not json}}]}\n\ndata: [DONE]\n\n",
		"event: message\nid: 7\nretry: 10\ndata: {\"choices\":[]}\n\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ssefuzz.Check(t, "openai/gpt-4o", body, llm.WithEndpoint("openai", llm.Endpoint{BaseURL: "http://sse.invalid/v1", APIKey: "sk-fuzz"}))
	})
}
