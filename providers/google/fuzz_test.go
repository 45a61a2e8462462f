package google_test

import (
	"testing"

	"github.com/llmhost/llmhost/internal/ssefuzz"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/google"
)

// FuzzStream serves any bytes as the event stream of streamGenerateContent
// and reads it through the provider (the genai SDK's SSE reader, the
// provider's transport wrapper and decoding) and the engine. The seeds
// named recorded-* are streams Gemini sent, from the recordings of
// Mirascope's end-to-end suite (MIT licence).
func FuzzStream(f *testing.F) {
	for _, s := range []string{
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}\r\n\r\n",
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}],\"role\": \"model\"},\"index\": 0}]}\n\ndata: {\"error\": {\"code\": 503, \"message\": \"The model is overloaded.\", \"status\": \"UNAVAILABLE\"}}\n\n",
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"f\", \"args\": {\"a\": 1}}, \"thoughtSignature\": \"c2ln\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}],\"usageMetadata\": {\"promptTokenCount\": 3, \"thoughtsTokenCount\": 2}}\n\n",
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"hmm\", \"thought\": true}]}}]}\n\n",
		"data: {\"candidates\": []}\n\n",
		"data: not json\n\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ssefuzz.Check(t, "google/gemini-2.5-flash", body, llm.WithEndpoint("google", llm.Endpoint{BaseURL: "http://sse.invalid", APIKey: "fuzz-key"}))
	})
}
