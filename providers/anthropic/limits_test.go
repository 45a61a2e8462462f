package anthropic_test

import (
	"testing"

	"github.com/llmhost/llmhost/providers/internal/hostile"
)

// anthropicWire is the Messages API.
var anthropicWire = hostile.Wire{
	Model:      "anthropic/claude-3-5-haiku-latest",
	BaseURL:    func(s string) string { return s },
	BodyPrefix: `{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"`,
	Event: "event: content_block_delta\n" +
		`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}` + "\n\n",
	EventPrefix: "event: content_block_delta\n" +
		`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`,
}

// TestHostileAnswersAreBounded: whatever size a server chooses for its
// answer, the call ends with a clear error and the memory it took stays
// proportional to the limits.
func TestHostileAnswersAreBounded(t *testing.T) { hostile.Run(t, anthropicWire) }

// TestHostileAnswersAreBoundedByDefault: the same, at the default limits.
func TestHostileAnswersAreBoundedByDefault(t *testing.T) { hostile.RunDefaults(t, anthropicWire) }
