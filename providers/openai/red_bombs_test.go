package openai_test

import (
	"testing"

	"github.com/llmhost/llmhost/providers/internal/hostile"
)

// TestDecodingBombsAreBounded: answers within every size limit that
// decode into gigabytes (30 MiB of "{}," in "choices" took 8.9 GB and
// 33 s; in "tool_calls", 2.5 GB) fail with the error of
// ResponseLimits.MaxValues, the heap within hostile.Bound.
func TestDecodingBombsAreBounded(t *testing.T) {
	hostile.RunBombs(t, openaiWire, []hostile.Bomb{
		{Name: "choices", Prefix: `{"id":"x","object":"chat.completion","model":"m","choices":[`, Item: `{},`, Suffix: `{}]}`},
		{Name: "tool calls", Prefix: `{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[`,
			Item: `{},`, Suffix: `{}]}}]}`},
		{Name: "stream event of choices", Stream: true, Prefix: `data: {"id":"c","object":"chat.completion.chunk","choices":[`, Item: `{},`, Suffix: `{}]}`},
		{Name: "stream event of tool-call deltas", Stream: true,
			Prefix: `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[`, Item: `{"index":0},`, Suffix: `{"index":0}]}}]}`},
	})
}
