package llm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type book struct {
	Title  string `json:"title" jsonschema:"description=The title in all caps"`
	Rating int    `json:"rating" jsonschema:"minimum=1,maximum=10"`
	Note   string `json:"note,omitempty"`
}

func TestExtractJSON(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"bare", `{"a":1}`, `{"a":1}`},
		{"spaces", "  \n{\"a\":1}\n", `{"a":1}`},
		{"fence", "Here you go:\n```json\n{\"a\": [1, 2]}\n```\nEnjoy!", `{"a": [1, 2]}`},
		{"plain fence", "```\n[1,2]\n```", `[1,2]`},
		{"prose", `The book is {"title":"X {y}","n":"}"} and that is all.`, `{"title":"X {y}","n":"}"}`},
		{"skips non-json braces", `Use {curly} then {"a":true}`, `{"a":true}`},
		{"escaped quote", `{"q":"say \"hi\" }"}`, `{"q":"say \"hi\" }"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ExtractJSON(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestExtractJSONFailures(t *testing.T) {
	var pe *ParseError
	_, err := ExtractJSON("Eureka!")
	if !errors.As(err, &pe) || pe.Reason != ParseNoJSON {
		t.Errorf("no json: %v", err)
	}
	_, err = ExtractJSON(`{"a": 1,}`)
	if !errors.As(err, &pe) || pe.Reason != ParseSyntax {
		t.Errorf("bad syntax: %v", err)
	}
	if !strings.Contains(pe.RetryMessage(), "could not be parsed") {
		t.Errorf("retry message = %q", pe.RetryMessage())
	}
}

func TestFormatForSchema(t *testing.T) {
	f := FormatFor[book]()
	var s map[string]any
	if err := json.Unmarshal(f.Schema, &s); err != nil {
		t.Fatal(err)
	}
	if f.Name != "book" || s["type"] != "object" {
		t.Errorf("name %q schema %s", f.Name, f.Schema)
	}
	if diff := cmp.Diff([]any{"title", "rating"}, s["required"]); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
	if _, ok := s["$schema"]; ok {
		t.Error("schema keeps $schema")
	}
}

func TestValidateNamesFieldsAndRules(t *testing.T) {
	f := FormatFor[book]()
	err := f.Validate(json.RawMessage(`{"title": 5, "rating": 11}`))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Reason != ParseSchema {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, v := range pe.Violations {
		got = append(got, v.Path+" "+v.Rule)
	}
	if diff := cmp.Diff([]string{"/rating maximum", "/title type"}, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	msg := pe.RetryMessage()
	for _, want := range []string{"/rating", "maximum", "/title", "type", "respond again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("retry message lacks %q:\n%s", want, msg)
		}
	}
	err = f.Validate(json.RawMessage(`{"rating": 3}`))
	if !errors.As(err, &pe) || pe.Violations[0].Rule != "required" || !strings.Contains(pe.Violations[0].Message, "title") {
		t.Errorf("missing field: %v", err)
	}
}

func TestFormatFromSchemaRejectsBadSchema(t *testing.T) {
	if _, err := FormatFromSchema("x", []byte(`{"type": 12}`)); err == nil || !strings.Contains(err.Error(), "schema x") {
		t.Errorf("err = %v", err)
	}
	if _, err := FormatFromSchema("x", []byte(`{`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("err = %v", err)
	}
}

func TestValidateLoopCorrectsTheAnswer(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", text(`Sure! {"title":"the name of the wind","rating":"7"}`), text("```json\n{\"title\":\"THE NAME OF THE WIND\",\"rating\":7}\n```"))
	resp, err := Call(context.Background(), "fake/m", hi, append(opts, WithFormat(FormatFor[book]()))...)
	if err != nil {
		t.Fatal(err)
	}
	var b book
	if err := resp.Parse(&b); err != nil {
		t.Fatal(err)
	}
	if b != (book{Title: "THE NAME OF THE WIND", Rating: 7}) {
		t.Errorf("parsed %+v", b)
	}
	sent := p.sent()
	if len(sent) != 2 {
		t.Fatalf("requests = %d", len(sent))
	}
	retry := sent[1].Messages[len(sent[1].Messages)-1]
	if retry.Role != RoleUser || !strings.Contains(retry.Text(), "/rating") || !strings.Contains(retry.Text(), "type") {
		t.Errorf("retry message = %q", retry.Text())
	}
	if resp.Usage.InputTokens != 6 {
		t.Errorf("usage should sum both requests: %+v", resp.Usage)
	}
}

func TestValidateLoopGivesUp(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", text("no"), text("still no"))
	resp, err := Call(context.Background(), "fake/m", hi, append(opts, WithFormat(FormatFor[book]()), WithParseRetries(1))...)
	var pe *ParseError
	if KindOf(err) != KindParse || !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	if resp == nil || resp.Text() != "still no" || len(resp.Messages) != 4 {
		t.Errorf("the exchange must be kept: %+v", resp)
	}
}

func TestToolModeRequestAndAnswer(t *testing.T) {
	p, opts := newFake(t)
	f := FormatFor[book]()
	f.Mode = FormatTool
	p.script("m", step{comp: &Completion{Message: Assistant(ToolCall{ID: "1", Name: DefaultFormatToolName, Arguments: []byte(`{"title":"T","rating":2}`)})}})
	resp, err := Call(context.Background(), "fake/m", []Message{System("Be brief."), User("hi")}, append(opts, WithFormat(f))...)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Parsed) != `{"title":"T","rating":2}` || resp.Text() != `{"title":"T","rating":2}` {
		t.Errorf("parsed %s text %s", resp.Parsed, resp.Text())
	}
	req := p.sent()[0]
	if req.ToolChoice != DefaultFormatToolName || len(req.Tools) != 1 || req.ParallelToolCalls == nil || *req.ParallelToolCalls {
		t.Errorf("request %+v", req)
	}
	if sys := req.Messages[0].Text(); !strings.HasPrefix(sys, "Be brief.\n\nAlways respond") {
		t.Errorf("system = %q", sys)
	}
	if len(resp.Messages) != 3 || resp.Messages[0].Text() != "Be brief." {
		t.Errorf("instructions must not leak into the conversation: %v", roles(resp.Messages))
	}
}

func TestStrictUnsupported(t *testing.T) {
	_, opts := newFake(t)
	f := FormatFor[book]()
	f.Mode = FormatStrict
	_, err := Call(context.Background(), "fake/m", hi, append(opts, WithFormat(f))...)
	if KindOf(err) != KindFeatureNotSupported {
		t.Errorf("err = %v", err)
	}
}

func TestCustomParser(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", text("Eureka!"), text("Cake"))
	parser := ParserFunc(func(_ context.Context, text string, _ *Format) (json.RawMessage, error) {
		if text != "Cake" {
			return nil, &ParseError{Reason: ParseCustom, Message: "Incorrect passphrase. The correct passphrase is 'cake'"}
		}
		return json.Marshal(text)
	})
	resp, err := Call(context.Background(), "fake/m", hi, append(opts, WithFormat(&Format{Mode: FormatParser, Parser: parser}))...)
	if err != nil {
		t.Fatal(err)
	}
	want := "Your response could not be parsed: Incorrect passphrase. The correct passphrase is 'cake'\n\nPlease ensure your response matches the expected format."
	if got := p.sent()[1].Messages[2].Text(); got != want {
		t.Errorf("retry = %q", got)
	}
	var s string
	if err := resp.Parse(&s); err != nil || s != "Cake" {
		t.Errorf("parse %q %v", s, err)
	}
}

func TestStreamedToolModeNamesTheCallOnce(t *testing.T) {
	p, opts := newFake(t)
	f := FormatFor[book]()
	f.Mode = FormatTool
	p.script("m", step{chunks: []Chunk{
		{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, ID: "c", Name: DefaultFormatToolName}},
		{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, Arguments: `{"title":"T",`}},
		{Kind: ChunkToolCall, ToolCall: ToolCallDelta{Index: 0, Arguments: `"rating":3}`}},
	}})
	sr, _ := Stream(context.Background(), "fake/m", hi, append(opts, WithFormat(f))...)
	text, err := readAll(t, sr)
	if err != nil || text != `{"title":"T","rating":3}` {
		t.Fatalf("streamed %q, %v", text, err)
	}
	resp, err := sr.Response()
	if err != nil || string(resp.Parsed) != text {
		t.Fatalf("parsed %s, %v", resp.Parsed, err)
	}
}

func TestRefusalIsNotSentBackForCorrection(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{comp: &Completion{Message: Assistant(Text("I can't help with that.")), FinishReason: FinishRefusal}})
	resp, err := Call(context.Background(), "fake/m", hi, append(opts, WithFormat(FormatFor[book]()))...)
	if KindOf(err) != KindParse || !strings.Contains(err.Error(), "refusal") || len(p.sent()) != 1 {
		t.Fatalf("err = %v, requests = %d", err, len(p.sent()))
	}
	if resp.Text() != "I can't help with that." {
		t.Errorf("text = %q", resp.Text())
	}
}

func TestStreamedParseRetryIsStreamed(t *testing.T) {
	p, opts := newFake(t)
	p.script("m", step{chunks: chunks(`{"title":`, `"x"}`)}, step{chunks: chunks(`{"title":"x","rating":2}`)})
	sr, _ := Stream(context.Background(), "fake/m", hi, append(opts, WithFormat(FormatFor[book]()))...)
	resp, err := sr.Response()
	if err != nil || string(resp.Parsed) != `{"title":"x","rating":2}` {
		t.Fatalf("%s, %v", resp.Parsed, err)
	}
	if p.streams != 2 {
		t.Errorf("streamed requests = %d, want 2", p.streams)
	}
}
