package llm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/llm"
)

// TestPrettyOfManyTextPartsIsLinear: a non-streamed answer may hold as
// many text blocks as its body has room for (Anthropic's content array:
// some 30,000 in a body within the limits). Pretty joined each to the text
// so far, a quadratic copy of many gigabytes for a 200,000-part answer;
// it must be linear, and keep its rendering: consecutive texts joined,
// thoughts and tool calls on lines of their own.
func TestPrettyOfManyTextPartsIsLinear(t *testing.T) {
	small := &llm.Response{Messages: []llm.Message{llm.Assistant(
		llm.Text("a"), llm.Text("b"), llm.Thought{Text: "hm"}, llm.Text("c"),
		llm.ToolCall{Name: "f", Arguments: []byte(`{}`)}, llm.Text("[x]"), llm.Text("d"))}}
	if got, want := small.Pretty(), "ab\n[thinking] hm\nc\n[tool call] f({})\n[x]\nd"; got != want {
		t.Errorf("Pretty = %q, want %q", got, want)
	}
	const n = 200000
	parts := make([]llm.Part, n)
	piece := llm.Text(strings.Repeat("p", 100))
	for i := range parts {
		parts[i] = piece
	}
	big := &llm.Response{Messages: []llm.Message{llm.Assistant(parts...)}}
	done := make(chan string)
	go func() { done <- big.Pretty() }()
	select {
	case s := <-done:
		if len(s) != n*100 {
			t.Errorf("Pretty gave %d bytes, want %d", len(s), n*100)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Pretty of 200,000 text parts still running after 30 s")
	}
}
