package anthropic_test

import (
	"testing"

	"github.com/llmhost/llmhost/providers/internal/hostile"
)

// TestDecodingBombsAreBounded: answers within every size limit that
// decode into far more than their size (content blocks, a message_start
// event whose message holds them) fail with the error of
// ResponseLimits.MaxValues, the heap within hostile.Bound.
func TestDecodingBombsAreBounded(t *testing.T) {
	hostile.RunBombs(t, anthropicWire, []hostile.Bomb{
		{Name: "content blocks", Prefix: `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[`,
			Item: `{"type":"text","text":""},`, Suffix: `{"type":"text","text":""}]}`},
		{Name: "tool input", Prefix: `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"t","name":"f","input":{"a":[`,
			Item: `{},`, Suffix: `{}]}}]}`},
		{Name: "stream event of content blocks", Stream: true,
			Prefix: "event: message_start\n" + `data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[`,
			Item:   `{"type":"text","text":""},`, Suffix: `{"type":"text","text":""}]}}`},
	})
}
