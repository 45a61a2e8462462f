package llm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type divArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

func divide() Tool {
	return NewTool("divide", "Divide a by b.", func(_ context.Context, x divArgs) (float64, error) {
		if x.B == 0 {
			panic("division by zero")
		}
		return x.A / x.B, nil
	})
}

func call(id, name, args string) ToolCall {
	return ToolCall{ID: id, Name: name, Arguments: []byte(args)}
}

func TestExecuteToolsCapturesEveryFailure(t *testing.T) {
	failing := NewTool("secret", "", func(_ context.Context, x struct {
		Password string `json:"password"`
	}) (string, error) {
		return "", errors.New("Incorrect passphrase")
	})
	resp := &Response{Messages: []Message{Assistant(
		call("1", "divide", `{"a":6,"b":3}`),
		call("2", "divide", `{"a":1,"b":0}`),
		call("3", "divide", `{"a":"x"}`),
		call("4", "nope", `{}`),
		call("5", "secret", `{"password":"p"}`),
	)}, s: newSettings([]Option{WithTools(divide(), failing)})}
	outs := resp.ExecuteTools(context.Background())
	type row struct{ ID, Result, Kind, Msg string }
	var got []row
	for _, o := range outs {
		r := row{ID: o.ID, Result: o.Result}
		if o.Error != nil {
			r.Kind = string(KindOf(o.Error))
			r.Msg = o.Content()
		}
		got = append(got, r)
	}
	want := []row{
		{ID: "1", Result: "2"},
		{ID: "2", Kind: "tool_execution", Msg: "tool divide panicked: division by zero"},
		{ID: "3", Kind: "tool_execution"},
		{ID: "4", Kind: "tool_not_found", Msg: `there is no tool named "nope"; the tools are: divide, secret`},
		{ID: "5", Kind: "tool_execution", Msg: "Incorrect passphrase"},
	}
	if !strings.Contains(got[2].Msg, "invalid arguments for tool divide") || !strings.Contains(got[2].Msg, "/a") {
		t.Errorf("argument error = %q", got[2].Msg)
	}
	got[2].Msg = ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	var pe *PanicError
	if !errors.As(outs[1].Error, &pe) || len(pe.Stack) == 0 {
		t.Errorf("panic cause not kept: %#v", outs[1].Error)
	}
}

func TestToolLoopRecoversFromAPanic(t *testing.T) {
	p, opts := newFake(t)
	p.script("m",
		step{comp: &Completion{Message: Assistant(call("c1", "divide", `{"a":1,"b":0}`))}},
		text("Dividing by zero is undefined."),
	)
	resp, err := Call(context.Background(), "fake/m", hi, append(opts, WithTools(divide()), WithToolLoop())...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "Dividing by zero is undefined." || len(resp.ToolOutputs) != 1 || resp.ToolOutputs[0].Error == nil {
		t.Fatalf("resp %q outputs %+v", resp.Text(), resp.ToolOutputs)
	}
	second := p.sent()[1].Messages
	tm := second[len(second)-1]
	if tm.Role != RoleTool || tm.Content[0].(ToolOutput).Content() != "tool divide panicked: division by zero" {
		t.Errorf("tool message = %+v", tm)
	}
}

func TestToolLoopStopsAfterConsecutiveFailures(t *testing.T) {
	p, opts := newFake(t)
	bad := step{comp: &Completion{Message: Assistant(call("c", "divide", `{"a":1,"b":0}`))}}
	p.script("m", bad, bad, bad)
	resp, err := Call(context.Background(), "fake/m", hi, append(opts, WithTools(divide()), WithToolLoop(), WithMaxToolFailures(2))...)
	if KindOf(err) != KindToolExecution || !strings.Contains(err.Error(), "2 consecutive rounds") || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("err = %v", err)
	}
	if len(resp.ToolOutputs) != 2 || len(p.sent()) != 2 {
		t.Errorf("outputs %d, requests %d", len(resp.ToolOutputs), len(p.sent()))
	}
}

func TestToolLoopMaxSteps(t *testing.T) {
	p, opts := newFake(t)
	ok := step{comp: &Completion{Message: Assistant(call("c", "divide", `{"a":4,"b":2}`))}}
	p.script("m", ok, ok, ok)
	_, err := Call(context.Background(), "fake/m", hi, append(opts, WithTools(divide()), WithToolLoop(), WithMaxSteps(2))...)
	if err == nil || !strings.Contains(err.Error(), "after 2 steps") {
		t.Fatalf("err = %v", err)
	}
}

func TestToolOutputJSON(t *testing.T) {
	o := ToolOutput{ID: "1", Name: "divide", Error: &Error{Kind: KindToolExecution, Message: "division by zero"}}
	b, _ := o.MarshalJSON()
	want := `{"id":"1","name":"divide","result":"","error":{"kind":"tool_execution","status":0,"provider":"","message":"division by zero"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
