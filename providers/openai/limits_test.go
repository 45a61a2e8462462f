package openai_test

import (
	"testing"

	"github.com/llmhost/llmhost/providers/internal/hostile"
)

// openaiWire is chat completions, as an OpenAI-compatible server speaks it.
var openaiWire = hostile.Wire{
	Model:       "openai/gpt-4o-mini",
	BaseURL:     func(s string) string { return s + "/v1" },
	BodyPrefix:  `{"id":"chatcmpl-1","object":"chat.completion","choices":[],"model":"`,
	Event:       `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}` + "\n\n",
	EventPrefix: `data: {"id":"`,
}

// TestHostileAnswersAreBounded: whatever size a server chooses for its
// answer, the call ends with a clear error and the memory it took stays
// proportional to the limits.
func TestHostileAnswersAreBounded(t *testing.T) { hostile.Run(t, openaiWire) }

// TestHostileAnswersAreBoundedByDefault: the same, at the default limits.
func TestHostileAnswersAreBoundedByDefault(t *testing.T) { hostile.RunDefaults(t, openaiWire) }
