package anthropic_test

import (
	"testing"

	"github.com/llmhost/llmhost/internal/ssefuzz"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/anthropic"
)

// FuzzStream serves any bytes as the event stream of a Messages call and
// reads it through the provider (the official SDK's SSE decoder and the
// provider's event handling) and the engine. The seeds named recorded-*
// are streams Anthropic sent, from the recordings of Mirascope's
// end-to-end suite (MIT licence).
func FuzzStream(f *testing.F) {
	for _, s := range []string{
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n" +
			"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":-1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n" +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":5}}\n\n",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n",
		"event: ping\ndata: {\"type\": \"ping\"}\n\n: comment\n\n",
		"data: not json\n\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ssefuzz.Check(t, "anthropic/claude-sonnet-4-0", body, llm.WithEndpoint("anthropic", llm.Endpoint{BaseURL: "http://sse.invalid", APIKey: "sk-ant-fuzz"}))
	})
}
