package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

type addArgs struct {
	A int `json:"a"`
	B int `json:"b"`
}

// TestHostileToolCalls: one answer asks for a call whose arguments are not
// JSON, one whose arguments are JSON but not an object, one of a tool that
// was never declared under a 64 KiB name, one of a tool whose result is
// 100 MiB, one whose error message is 8 MiB, and a call that reuses an id.
// The loop goes on; each call gets an output the model can read (the
// right kind, naming what was wrong); no output sent back exceeds
// llm.DefaultMaxToolOutput plus its note, which names llm.WithMaxToolOutput;
// and the duplicate id still gets its own output, in order. Before, the
// 100 MiB result and the 64 KiB name went back to the model whole.
func TestHostileToolCalls(t *testing.T) {
	add := llm.NewTool("add", "Add a and b.", func(ctx context.Context, x addArgs) (int, error) { return x.A + x.B, nil })
	dump := llm.NewTool("dump", "Dump everything.", func(ctx context.Context, _ struct{}) (string, error) {
		return strings.Repeat("d", 100<<20), nil
	})
	fail := llm.NewTool("fail", "Fail loudly.", func(ctx context.Context, _ struct{}) (string, error) {
		return "", errors.New(strings.Repeat("e", 8<<20))
	})
	longName := strings.Repeat("n", 64<<10)
	s := faultserver.New()
	defer s.Close()
	s.Script("gpt-4o-mini",
		faultserver.ToolCalls([]faultserver.ToolCall{
			{ID: "c1", Name: "add", Arguments: `not json`},
			{ID: "c2", Name: "add", Arguments: `[1,2]`},
			{ID: "c3", Name: longName, Arguments: `{}`},
			{ID: "c4", Name: "dump", Arguments: `{}`},
			{ID: "c5", Name: "fail", Arguments: `{}`},
			{ID: "c1", Name: "add", Arguments: `{"a":1,"b":2}`},
		}),
		faultserver.Text("done"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := llm.Call(ctx, "openai/gpt-4o-mini", []llm.Message{llm.User("go")},
		llm.WithEndpoint("openai", llm.Endpoint{BaseURL: s.URL(), APIKey: "sk-fault"}),
		llm.WithClock(clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))),
		llm.WithCooldowns(llm.NewCooldowns()), llm.WithTools(add, dump, fail), llm.WithToolLoop(),
		llm.WithMaxToolFailures(10))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "done" {
		t.Errorf("answer %q, want the model's second turn", resp.Text())
	}
	outs := resp.ToolOutputs
	if len(outs) != 6 {
		t.Fatalf("%d outputs, want one per call: %+v", len(outs), outs)
	}
	want := []struct {
		id   string
		kind llm.Kind
		says string
	}{
		{"c1", llm.KindToolExecution, "invalid arguments for tool add"},
		{"c2", llm.KindToolExecution, "invalid arguments for tool add"},
		{"c3", llm.KindToolNotFound, "there is no tool named"},
		{"c4", "", "llm.WithMaxToolOutput"},
		{"c5", llm.KindToolExecution, "llm.WithMaxToolOutput"},
		{"c1", "", "3"},
	}
	limit := llm.DefaultMaxToolOutput + 200
	for i, w := range want {
		o := outs[i]
		if o.ID != w.id || llm.KindOf(o.Error) != w.kind || !strings.Contains(o.Content(), w.says) {
			t.Errorf("output %d: id %s kind %q content %.120q; want id %s kind %q saying %q",
				i, o.ID, llm.KindOf(o.Error), o.Content(), w.id, w.kind, w.says)
		}
		if n := len(o.Content()); n > limit {
			t.Errorf("output %d (%s) is %d bytes, over llm.DefaultMaxToolOutput", i, o.ID, n)
		}
	}
	if n := len(outs[2].Content()); n > 1024 {
		t.Errorf("tool_not_found output is %d bytes: it echoes the model's 64 KiB name", n)
	}
	reqs := s.Requests("gpt-4o-mini")
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	var tools int
	for _, m := range reqs[1].Messages {
		if m.Role == "tool" {
			tools++
			if len(m.Content) > limit {
				t.Errorf("the model was sent a tool output of %d bytes for %s", len(m.Content), m.ToolCallID)
			}
		}
	}
	if tools != 6 {
		t.Errorf("the model was sent %d tool outputs, want 6", tools)
	}
}
