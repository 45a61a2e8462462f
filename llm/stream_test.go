package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readAll(t *testing.T, sr *StreamResponse) (string, error) {
	t.Helper()
	var b strings.Builder
	for s, err := range sr.TextStream() {
		if err != nil {
			return b.String(), err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func TestStreamResumesAfterCut(t *testing.T) {
	p, opts := newFake(t)
	cut := TransportError("fake", "", errors.New("unexpected EOF"))
	p.script("m",
		step{chunks: chunks("The answer ", "is 4"), tail: cut},
		step{chunks: chunks("2, as ", "expected.")},
	)
	sr, err := Stream(context.Background(), "fake/m", hi, opts...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, sr)
	if err != nil {
		t.Fatal(err)
	}
	if want := "The answer is 42, as expected."; got != want {
		t.Errorf("received %q, want partial+continuation %q", got, want)
	}
	resp, err := sr.Response()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != got {
		t.Errorf("Response.Text = %q, want %q", resp.Text(), got)
	}
	want := []string{"user:hi", "assistant:The answer is 4", "user:" + ResumePrompt, "assistant:2, as expected."}
	if diff := cmp.Diff(want, roles(resp.Messages)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	// The continuation request carried the partial answer.
	sent := p.sent()
	if diff := cmp.Diff(want[:3], roles(sent[1].Messages)); diff != "" {
		t.Errorf("continuation request (-want +got):\n%s", diff)
	}
	if at := sr.Attempts(); len(at) != 1 || at[0].Error.Kind != KindConnection {
		t.Errorf("attempts = %v", at)
	}
}

func TestStreamErrorFrameResumed(t *testing.T) {
	p, opts := newFake(t)
	frame := &Error{Kind: KindServer, Message: "overloaded"}
	p.script("m", step{chunks: chunks("Hello, "), tail: frame}, step{chunks: chunks("world.")})
	sr, _ := Stream(context.Background(), "fake/m", hi, opts...)
	got, err := readAll(t, sr)
	if err != nil || got != "Hello, world." {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestStreamFailureBeforeContentIsRetriedLikeACall(t *testing.T) {
	p, opts := newFake(t)
	p.script("m",
		fail(KindRateLimit, 429),
		step{chunks: []Chunk{{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, ID: "c1", Name: "f"}}}, tail: &Error{Kind: KindServer}},
		step{chunks: chunks("fresh")},
	)
	sr, _ := Stream(context.Background(), "fake/m", hi, opts...)
	got, err := readAll(t, sr)
	if err != nil || got != "fresh" {
		t.Fatalf("got %q, %v", got, err)
	}
	resp, _ := sr.Response()
	if diff := cmp.Diff([]string{"user:hi", "assistant:fresh"}, roles(resp.Messages)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	sent := p.sent()
	if diff := cmp.Diff(roles(sent[0].Messages), roles(sent[2].Messages)); diff != "" {
		t.Errorf("retry must resend the same messages (-first +third):\n%s", diff)
	}
}

func TestStreamExhaustedKeepsPartial(t *testing.T) {
	p, opts := newFake(t)
	cut := TransportError("fake", "", errors.New("unexpected EOF"))
	p.script("m", step{chunks: chunks("partial "), tail: cut}, step{chunks: chunks("more "), tail: cut})
	sr, _ := Stream(context.Background(), "fake/m", hi, append(opts, WithMaxRetries(1))...)
	got, err := readAll(t, sr)
	if KindOf(err) != KindRetriesExhausted {
		t.Fatalf("err = %v", err)
	}
	if got != "partial more " {
		t.Errorf("received %q", got)
	}
	want := []string{"user:hi", "assistant:partial ", "user:" + ResumePrompt, "assistant:more "}
	if diff := cmp.Diff(want, roles(sr.Messages())); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	// Resume works from the partial answer.
	p.script("m", step{chunks: chunks("done")})
	next, err := sr.Resume(context.Background(), Text("Please continue."))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, next); err != nil || got != "done" {
		t.Fatalf("resumed: %q, %v", got, err)
	}
	last := p.sent()[len(p.sent())-1]
	if diff := cmp.Diff(append(want, "user:Please continue."), roles(last.Messages)); diff != "" {
		t.Errorf("resume request (-want +got):\n%s", diff)
	}
}

func TestStreamNotRetryableFailsAtOnce(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", fail(KindAuthentication, 401))
	sr, _ := Stream(context.Background(), "fake/m", hi, opts...)
	_, err := readAll(t, sr)
	if KindOf(err) != KindAuthentication || len(p.sent()) != 1 {
		t.Fatalf("err = %v, requests = %d", err, len(p.sent()))
	}
}

func TestStreamAccumulatesToolCallsAndUsage(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{chunks: []Chunk{
		{Kind: ChunkThought, Text: "think", Signature: "sig"},
		{Kind: ChunkText, Text: "Let me look."},
		{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 1, ID: "a", Name: "lookup", Arguments: `{"q":`}},
		{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 2, ID: "b", Name: "lookup", Arguments: `{"q":"y"}`}},
		{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 1, Arguments: `"x"}`}},
		{Kind: ChunkUsage, Usage: Usage{InputTokens: 10}},
		{Kind: ChunkUsage, Usage: Usage{OutputTokens: 7}},
		{Kind: ChunkFinish, FinishReason: FinishMaxTokens},
	}})
	sr, _ := Stream(context.Background(), "fake/m", hi, opts...)
	resp, err := sr.Response()
	if err != nil {
		t.Fatal(err)
	}
	want := Assistant(Thought{Text: "think", Signature: "sig"}, Text("Let me look."),
		ToolCall{ID: "a", Name: "lookup", Arguments: []byte(`{"q":"x"}`)},
		ToolCall{ID: "b", Name: "lookup", Arguments: []byte(`{"q":"y"}`)})
	want.Model = "fake/m"
	if diff := cmp.Diff(want, resp.Message()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if resp.Usage != (Usage{InputTokens: 10, OutputTokens: 7}) || resp.FinishReason != FinishMaxTokens {
		t.Errorf("usage %+v finish %q", resp.Usage, resp.FinishReason)
	}
	if resp.Text() != "Let me look." {
		t.Errorf("Text includes thoughts: %q", resp.Text())
	}
}

func TestStreamReadTwice(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{chunks: chunks("a")})
	sr, _ := Stream(context.Background(), "fake/m", hi, opts...)
	if _, err := readAll(t, sr); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, sr); err == nil {
		t.Error("second read should fail")
	}
}

func TestStreamBreakStopsCleanly(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{chunks: chunks("a", "b", "c")})
	sr, _ := Stream(context.Background(), "fake/m", hi, opts...)
	for s, err := range sr.TextStream() {
		if err != nil || s != "a" {
			t.Fatalf("%q %v", s, err)
		}
		break
	}
	if sr.Err() != nil {
		t.Errorf("Err = %v", sr.Err())
	}
	if diff := cmp.Diff([]string{"user:hi", "assistant:a"}, roles(sr.Messages())); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestAdjacentThoughtsKeepTheirSignatures(t *testing.T) {
	var a accumulator
	for _, c := range []Chunk{
		{Kind: ChunkThought, NewBlock: true},
		{Kind: ChunkThought, Text: "first"},
		{Kind: ChunkThought, Signature: "s1"},
		{Kind: ChunkThought, NewBlock: true},
		{Kind: ChunkThought, Text: "second"},
		{Kind: ChunkThought, Signature: "s2"},
		{Kind: ChunkThought, Redacted: "opaque", NewBlock: true},
		{Kind: ChunkText, Text: "answer"},
	} {
		a.add(c)
	}
	want := Assistant(Thought{Text: "first", Signature: "s1"}, Thought{Text: "second", Signature: "s2"}, Thought{Redacted: "opaque"}, Text("answer"))
	if diff := cmp.Diff(want, a.message(false)); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

func TestSlowReaderIsNotAStall(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{chunks: chunks("a", "b", "c")})
	sr, _ := Stream(context.Background(), "fake/m", hi, append(opts, WithRetry(RetryPolicy{AttemptTimeout: time.Second}))...)
	var got strings.Builder
	for s, err := range sr.TextStream() {
		if err != nil {
			t.Fatal(err)
		}
		got.WriteString(s)
		time.Sleep(1500 * time.Millisecond) // the reader is slower than the attempt timeout
	}
	if got.String() != "abc" || len(sr.Attempts()) != 0 {
		t.Errorf("got %q after %v", got.String(), sr.Attempts())
	}
}
