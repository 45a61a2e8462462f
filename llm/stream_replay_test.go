package llm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// reader is what a demanding reader of Chunks builds, appending every chunk
// to what it has, as it would if nothing ever failed: thoughts join until
// NewBlock, tool-call arguments join by index, usage replaces usage.
type reader struct {
	text     strings.Builder
	thoughts []string
	calls    map[int]*ToolCall
	args     map[int]*strings.Builder
	order    []int
	usage    Usage
	finish   FinishReason
	kinds    []ChunkKind
}

func (r *reader) read(t *testing.T, sr *StreamResponse) error {
	t.Helper()
	r.calls, r.args = map[int]*ToolCall{}, map[int]*strings.Builder{}
	lastThought := false
	for c, err := range sr.Chunks() {
		if err != nil {
			return err
		}
		r.kinds = append(r.kinds, c.Kind)
		switch c.Kind {
		case ChunkText:
			r.text.WriteString(c.Text)
		case ChunkThought:
			if lastThought && !c.NewBlock {
				r.thoughts[len(r.thoughts)-1] += c.Text
			} else {
				r.thoughts = append(r.thoughts, c.Text)
			}
		case ChunkToolCall:
			d := c.ToolCall
			if r.calls[d.Index] == nil {
				r.calls[d.Index], r.args[d.Index] = &ToolCall{}, &strings.Builder{}
				r.order = append(r.order, d.Index)
			}
			if d.ID != "" {
				r.calls[d.Index].ID = d.ID
			}
			if d.Name != "" {
				r.calls[d.Index].Name = d.Name
			}
			r.args[d.Index].WriteString(d.Arguments)
		case ChunkUsage:
			r.usage.merge(c.Usage)
		case ChunkFinish:
			r.finish = c.FinishReason
		}
		lastThought = c.Kind == ChunkThought
	}
	return nil
}

func (r *reader) toolCalls() []ToolCall {
	var out []ToolCall
	for _, i := range r.order {
		c := *r.calls[i]
		c.Arguments = json.RawMessage(r.args[i].String())
		out = append(out, c)
	}
	return out
}

// answerThoughts returns the thoughts of the answer's messages.
func answerThoughts(resp *Response) []string {
	var out []string
	for _, m := range resp.Messages[resp.answer:] {
		for _, p := range m.Content {
			if th, ok := p.(Thought); ok {
				out = append(out, th.Text)
			}
		}
	}
	return out
}

// TestStreamNeverRepeatsAChunk: the provider thinks and starts a tool call,
// fails before any text (retried from the start), then thinks again, writes
// some text and starts the tool call again, and is cut (resumed); the
// continuation finishes the text and makes the tool call whole. Appending
// every chunk received must give exactly the answer: before, the reader
// got the first thought and {"a": twice more, and joined
// {"a":{"a":{"a":1}.
func TestStreamNeverRepeatsAChunk(t *testing.T) {
	p, opts := newFake(t)
	cut := TransportError("fake", "", errors.New("unexpected EOF"))
	p.script("m",
		step{chunks: []Chunk{
			{Kind: ChunkThought, Text: "plan"},
			{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, ID: "c1", Name: "f", Arguments: `{"a":`}},
			{Kind: ChunkUsage, Usage: Usage{InputTokens: 10}},
		}, tail: &Error{Kind: KindServer, Message: "overloaded"}},
		step{chunks: []Chunk{
			{Kind: ChunkThought, Text: "plan ", Signature: ""},
			{Kind: ChunkThought, Text: "again", Signature: "sig"},
			{Kind: ChunkText, Text: "Calling "},
			{Kind: ChunkUsage, Usage: Usage{InputTokens: 12, OutputTokens: 3}},
			{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, ID: "c2", Name: "f", Arguments: `{"a":`}},
			// No finish: a cut after the finish ends the answer cleanly
			// (TestFinishedStreamCutBeforeItsTerminator).
		}, tail: cut},
		step{chunks: []Chunk{
			{Kind: ChunkThought, Text: "resume"},
			{Kind: ChunkText, Text: "f."},
			{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, ID: "c3", Name: "f", Arguments: `{"a":`}},
			{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, Arguments: `1}`}},
			{Kind: ChunkUsage, Usage: Usage{InputTokens: 20, OutputTokens: 4}},
			{Kind: ChunkFinish},
		}},
	)
	sr, err := Stream(context.Background(), "fake/m", hi, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var r reader
	if err := r.read(t, sr); err != nil {
		t.Fatal(err)
	}
	resp, err := sr.Response()
	if err != nil {
		t.Fatal(err)
	}
	if got := r.text.String(); got != "Calling f." || got != resp.Text() {
		t.Errorf("text received %q, answer %q, want both %q", got, resp.Text(), "Calling f.")
	}
	if diff := cmp.Diff([]string{"plan again", "resume"}, r.thoughts); diff != "" {
		t.Errorf("thoughts received (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(answerThoughts(resp), r.thoughts); diff != "" {
		t.Errorf("thoughts received differ from the answer's (-answer +received):\n%s", diff)
	}
	want := []ToolCall{{ID: "c3", Name: "f", Arguments: json.RawMessage(`{"a":1}`)}}
	if diff := cmp.Diff(want, r.toolCalls()); diff != "" {
		t.Errorf("tool calls received (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, resp.ToolCalls()); diff != "" {
		t.Errorf("tool calls of the answer (-want +got):\n%s", diff)
	}
	if u := (Usage{InputTokens: 42, OutputTokens: 7}); r.usage != u || resp.Usage != u {
		t.Errorf("usage received %+v, answer %+v, want both %+v", r.usage, resp.Usage, u)
	}
	if r.finish != "" || resp.FinishReason != "" {
		t.Errorf("finish received %q, answer %q: the cut attempt's finish leaked", r.finish, resp.FinishReason)
	}
	if n := len(sr.Attempts()); n != 2 {
		t.Errorf("%d failed attempts, want 2: %v", n, sr.Attempts())
	}
}

// TestStreamHoldsBackOnlyUntilFinal: on a stream that does not fail,
// thoughts come before the first text, text as it arrives, and tool calls
// and the finish at the end, in their order.
func TestStreamHoldsBackOnlyUntilFinal(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{chunks: []Chunk{
		{Kind: ChunkThought, Text: "a", Signature: "s"},
		{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, ID: "c", Name: "f", Arguments: `{}`}},
		{Kind: ChunkText, Text: "x"},
		{Kind: ChunkThought, Text: "b"},
		{Kind: ChunkUsage, Usage: Usage{OutputTokens: 1}},
		{Kind: ChunkFinish, FinishReason: FinishMaxTokens},
	}})
	sr, _ := Stream(context.Background(), "fake/m", hi, opts...)
	var r reader
	if err := r.read(t, sr); err != nil {
		t.Fatal(err)
	}
	want := []ChunkKind{ChunkThought, ChunkText, ChunkThought, ChunkUsage, ChunkToolCall, ChunkFinish}
	if diff := cmp.Diff(want, r.kinds); diff != "" {
		t.Errorf("chunk order (-want +got):\n%s", diff)
	}
	if r.finish != FinishMaxTokens || len(r.toolCalls()) != 1 {
		t.Errorf("finish %q, calls %v", r.finish, r.toolCalls())
	}
}

// TestStreamObserverMayReadTheStream: an observer that calls Messages,
// Attempts and Err on every event, the resume included, must not deadlock:
// no user callback runs under the stream's lock.
func TestStreamObserverMayReadTheStream(t *testing.T) {
	p, opts := newFake(t)
	cut := TransportError("fake", "", errors.New("unexpected EOF"))
	p.script("m", fail(KindServer, 500), step{chunks: chunks("part"), tail: cut}, step{chunks: chunks("ial")})
	var sr *StreamResponse
	var seen []EventType
	opts = append(opts, WithObserver(func(e Event) {
		seen = append(seen, e.Type)
		_, _, _ = sr.Messages(), sr.Attempts(), sr.Err()
		if e.Type == EventResume {
			if m := sr.Messages(); len(m) != 3 || m[1].Text() != "part" || m[2].Text() != ResumePrompt {
				t.Errorf("at resume, messages = %v", roles(m))
			}
		}
	}))
	sr, err := Stream(context.Background(), "fake/m", hi, opts...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		got, _ := readAll(t, sr)
		done <- got
	}()
	select {
	case got := <-done:
		if got != "partial" {
			t.Errorf("received %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stream did not end within 30s: an observer deadlocked on the stream's lock")
	}
	resumes := 0
	for _, e := range seen {
		if e == EventResume {
			resumes++
		}
	}
	if resumes != 1 {
		t.Errorf("events %v, want one resume", seen)
	}
}
