package faultserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTextPlain(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("gpt-4o-mini", Text("Hello big world"))

	resp := post(t, context.Background(), s, body("gpt-4o-mini", false))
	got, err := readAll(resp)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	c := decodeCompletion(t, got)
	m := c.Choices[0].Message
	if m.Role != "assistant" || m.Content == nil || *m.Content != "Hello big world" || m.Refusal != nil {
		t.Errorf("message = %+v", m)
	}
	if c.Model != "gpt-4o-mini" || c.Choices[0].FinishReason != "stop" || !strings.HasPrefix(c.ID, "chatcmpl-") {
		t.Errorf("completion = %s", got)
	}
	// Default usage: the words of the prompt and of the answer.
	if c.Usage != (wireUsage{PromptTokens: 5, CompletionTokens: 3, TotalTokens: 8}) {
		t.Errorf("usage = %+v", c.Usage)
	}
}

func TestTextStream(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("gpt-4o-mini", Text("Hello big world"))

	resp := post(t, context.Background(), s, body("gpt-4o-mini", true))
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	events, err := newSSE(resp.Body).all()
	if err != nil {
		t.Fatal(err)
	}
	got := decodeStream(t, events)
	if want := []string{"Hello", " big", " world"}; !slices.Equal(got.deltas, want) {
		t.Errorf("deltas %q, want %q", got.deltas, want)
	}
	if got.text != "Hello big world" || got.finish != "stop" || !got.done {
		t.Errorf("stream = %+v", got)
	}
	if got.usage == nil || got.usage.TotalTokens != 8 {
		t.Errorf("usage chunk = %+v", got.usage)
	}
	// OpenAI's exact framing: a role chunk with "content":"" and
	// "refusal":null, "usage":null on every chunk but the last, which has
	// no choices.
	if want := `{"role":"assistant","content":"","refusal":null}`; !strings.Contains(events[0], `"delta":`+want) {
		t.Errorf("role chunk %s lacks %s", events[0], want)
	}
	for _, e := range events[:len(events)-2] {
		if !strings.Contains(e, `"usage":null`) {
			t.Errorf("chunk without usage:null: %s", e)
		}
	}
	if last := events[len(events)-2]; !strings.Contains(last, `"choices":[]`) {
		t.Errorf("usage chunk has choices: %s", last)
	}
}

func TestStreamWithoutIncludeUsage(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script(AnyModel, Text("Hi"))
	resp := post(t, context.Background(), s, `{"model":"m","stream":true,"messages":[]}`)
	defer resp.Body.Close()
	events, err := newSSE(resp.Body).all()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if strings.Contains(e, `"usage"`) {
			t.Errorf("usage sent although not asked for: %s", e)
		}
	}
	if got := decodeStream(t, events); got.text != "Hi" || !got.done {
		t.Errorf("stream = %+v", got)
	}
}

func TestAnswerOptions(t *testing.T) {
	for _, stream := range []bool{false, true} {
		s := New()
		s.Script("m",
			Text("abcdef", Chunks(BySize(2)), FinishReason("length"), Usage(10, 5)),
			Text("", FinishReason("content_filter")),
			JSON(map[string]any{"title": "Dune", "year": 1965}),
		)
		var results []streamed
		for range 3 {
			resp := post(t, context.Background(), s, body("m", stream))
			raw, err := readAll(resp)
			if err != nil {
				t.Fatal(err)
			}
			if !stream {
				c := decodeCompletion(t, raw)
				u := c.Usage
				results = append(results, streamed{text: *c.Choices[0].Message.Content, finish: c.Choices[0].FinishReason, usage: &u})
				continue
			}
			events, err := newSSE(strings.NewReader(raw)).all()
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, decodeStream(t, events))
		}
		s.Close()

		if r := results[0]; r.text != "abcdef" || r.finish != "length" || *r.usage != (wireUsage{10, 5, 15}) {
			t.Errorf("stream=%v: %+v", stream, r)
		}
		if stream && !slices.Equal(results[0].deltas, []string{"ab", "cd", "ef"}) {
			t.Errorf("Chunks(BySize(2)) gave %q", results[0].deltas)
		}
		if r := results[1]; r.text != "" || r.finish != "content_filter" {
			t.Errorf("stream=%v: %+v", stream, r)
		}
		if r := results[2]; !equalJSON(r.text, `{"title":"Dune","year":1965}`) || r.finish != "stop" {
			t.Errorf("stream=%v: %+v", stream, r)
		}
	}
}

func TestToolCalls(t *testing.T) {
	calls := []ToolCall{
		{ID: "call_a", Name: "secret_retrieval_tool", Arguments: `{"password": "mellon"}`},
		{Name: "secret_retrieval_tool", Arguments: `{"password": "radiance"}`},
	}
	s := New()
	defer s.Close()
	s.Script("m", ToolCalls(calls), ToolCalls(calls))

	c := decodeCompletion(t, must(readAll(post(t, context.Background(), s, body("m", false)))))
	m := c.Choices[0].Message
	if m.Content != nil || c.Choices[0].FinishReason != "tool_calls" || len(m.ToolCalls) != 2 {
		t.Fatalf("completion = %+v", c)
	}
	if tc := m.ToolCalls[0]; tc.ID != "call_a" || tc.Type != "function" || tc.Function.Name != "secret_retrieval_tool" || tc.Function.Arguments != calls[0].Arguments {
		t.Errorf("call 0 = %+v", tc)
	}
	if tc := m.ToolCalls[1]; tc.ID != "call_0_1" || tc.Function.Arguments != calls[1].Arguments {
		t.Errorf("call 1 = %+v (a missing id defaults to call_<request>_<index>)", tc)
	}

	resp := post(t, context.Background(), s, body("m", true))
	defer resp.Body.Close()
	events, err := newSSE(resp.Body).all()
	if err != nil {
		t.Fatal(err)
	}
	got := decodeStream(t, events)
	want := []ToolCall{calls[0], {ID: "call_1_1", Name: calls[1].Name, Arguments: calls[1].Arguments}}
	if !slices.Equal(got.calls, want) || got.finish != "tool_calls" || got.text != "" {
		t.Errorf("merged stream = %+v, want calls %+v", got, want)
	}
	if !strings.Contains(events[0], `"delta":{"role":"assistant","content":null}`) {
		t.Errorf("role chunk = %s", events[0])
	}
	// Arguments arrive in fragments, each keyed by its call's index only.
	fragments := 0
	for _, e := range events {
		if strings.Contains(e, `"tool_calls":[{"index":1,"function":{"arguments":`) {
			fragments++
		}
	}
	if fragments < 2 {
		t.Errorf("call 1's arguments came in %d fragments, want several", fragments)
	}
}

func TestRefusal(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", Refusal("I can't help with that."), Refusal("I can't help with that."))
	c := decodeCompletion(t, must(readAll(post(t, context.Background(), s, body("m", false)))))
	if m := c.Choices[0].Message; m.Content != nil || m.Refusal == nil || *m.Refusal != "I can't help with that." {
		t.Errorf("message = %+v", m)
	}
	resp := post(t, context.Background(), s, body("m", true))
	events, err := newSSE(resp.Body).all()
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeStream(t, events); got.refusal != "I can't help with that." || got.text != "" {
		t.Errorf("stream = %+v", got)
	}
}

func TestHTTPErrors(t *testing.T) {
	tests := []struct {
		step     Step
		status   int
		typ      string
		code     any
		headers  map[string]string // "" means absent
		inMesage string
	}{
		{step: Fail(400), status: 400, typ: "invalid_request_error"},
		{step: Fail(401), status: 401, typ: "invalid_request_error", code: "invalid_api_key", inMesage: "Incorrect API key"},
		{step: Fail(403), status: 403, typ: "request_forbidden", code: "unsupported_country_region_territory"},
		{step: Fail(404), status: 404, typ: "invalid_request_error", code: "model_not_found", inMesage: "`gpt-4o-mini` does not exist"},
		{step: Fail(500), status: 500, typ: "server_error"},
		{step: Fail(502), status: 502, typ: "server_error"},
		{step: Fail(503), status: 503, typ: "server_error", headers: map[string]string{"Retry-After": ""}},
		{step: Fail(503).WithHeader("Retry-After", "1"), status: 503, typ: "server_error", headers: map[string]string{"Retry-After": "1"}},
		{step: RateLimit(2 * time.Second), status: 429, typ: "requests", code: "rate_limit_exceeded",
			headers: map[string]string{"Retry-After": "2", "Retry-After-Ms": ""}, inMesage: "try again in 2s"},
		{step: RateLimit(1500 * time.Millisecond), status: 429, typ: "requests", code: "rate_limit_exceeded",
			headers: map[string]string{"Retry-After": "2"}},
		{step: RateLimitMS(1500 * time.Millisecond), status: 429, typ: "requests", code: "rate_limit_exceeded",
			headers: map[string]string{"retry-after-ms": "1500", "Retry-After": ""}},
		{step: RateLimit(0), status: 429, typ: "requests", code: "rate_limit_exceeded", headers: map[string]string{"Retry-After": ""}},
		{step: FailWith(422, APIError{Message: "bad schema", Type: "invalid_request_error", Param: "response_format"}),
			status: 422, typ: "invalid_request_error", inMesage: "bad schema"},
	}
	s := New()
	defer s.Close()
	for _, tt := range tests {
		s.Script("gpt-4o-mini", tt.step)
		for _, stream := range []bool{false, true} {
			if stream {
				s.Script("gpt-4o-mini", tt.step)
			}
			resp := post(t, context.Background(), s, body("gpt-4o-mini", stream))
			raw, err := readAll(resp)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%v stream=%v: %d %q", tt.step, stream, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			msg, typ, code := apiError(t, raw)
			if typ != tt.typ || code != tt.code || !strings.Contains(msg, tt.inMesage) {
				t.Errorf("%v: message %q type %q code %v", tt.step, msg, typ, code)
			}
			for k, v := range tt.headers {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%v: header %s = %q, want %q", tt.step, k, got, v)
				}
			}
		}
	}
}

func TestCut(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", Cut("The answer is"), Cut("The answer is"))

	resp := post(t, context.Background(), s, body("m", true))
	raw, err := readAll(resp)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error %v, want an unexpected EOF", err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	// The body ends inside a data: line.
	lastLine := raw[strings.LastIndex(raw, "\n")+1:]
	if !strings.HasPrefix(lastLine, "data: {") || json.Valid([]byte(strings.TrimPrefix(lastLine, "data: "))) {
		t.Errorf("the cut is not inside a data line: %q", lastLine)
	}
	// An SSE client got the partial text, then the failure.
	r := newSSE(strings.NewReader(raw))
	var events []string
	for {
		d, err := r.next()
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("SSE reader ended with %v", err)
			}
			break
		}
		events = append(events, d)
	}
	if got := decodeStream(t, events); got.text != "The answer is" || got.done || got.finish != "" {
		t.Errorf("before the cut: %+v", got)
	}

	resp = post(t, context.Background(), s, body("m", false))
	if _, err := readAll(resp); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("plain cut: read error %v, want an unexpected EOF", err)
	}
}

func TestErrorFrame(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", ErrorFrame("Partial"), ErrorFrame("Partial"))

	resp := post(t, context.Background(), s, body("m", true))
	defer resp.Body.Close()
	events, err := newSSE(resp.Body).all()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	last := events[len(events)-1]
	if !strings.HasPrefix(last, `{"error":`) {
		t.Fatalf("last event %q is not an error frame", last)
	}
	if _, typ, _ := apiError(t, last); typ != "server_error" {
		t.Errorf("error frame type %q", typ)
	}
	if got := decodeStream(t, events[:len(events)-1]); got.text != "Partial" || got.done {
		t.Errorf("before the frame: %+v", got)
	}

	resp = post(t, context.Background(), s, body("m", false))
	raw, _ := readAll(resp)
	if _, typ, _ := apiError(t, raw); resp.StatusCode != 500 || typ != "server_error" {
		t.Errorf("plain request: %d %s", resp.StatusCode, raw)
	}
}

func TestMalformed(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", Malformed(""), Malformed("Hi"))

	resp := post(t, context.Background(), s, body("m", false))
	raw, err := readAll(resp)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	// A syntax error, so that a decoder cannot mistake it for a cut.
	var v any
	var syntax *json.SyntaxError
	if err := json.NewDecoder(strings.NewReader(raw)).Decode(&v); !errors.As(err, &syntax) {
		t.Errorf("decoding the body gave %v, want a syntax error: %s", err, raw)
	}

	resp = post(t, context.Background(), s, body("m", true))
	defer resp.Body.Close()
	events, err := newSSE(resp.Body).all()
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, e := range events {
		if e != "[DONE]" && !json.Valid([]byte(e)) {
			bad = append(bad, e)
		}
	}
	if len(bad) != 1 || events[len(events)-1] != "[DONE]" {
		t.Errorf("events %q: want exactly one malformed chunk, then [DONE]", events)
	}
}

// TestStallEndsWhenClientCancels proves without sleeping that a stalled
// request ends on the server as soon as the client gives up.
func TestStallEndsWhenClientCancels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stream  bool
		partial string
	}{
		{"stream, headers only", true, ""},
		{"stream, after some text", true, "Thinking"},
		{"plain", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			defer s.Close()
			s.Script("m", Stall(tc.partial, 0))

			ctx, cancel := context.WithCancel(context.Background())
			resp := post(t, ctx, s, body("m", tc.stream)) // headers arrived
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if tc.partial != "" {
				r := newSSE(resp.Body)
				var events []string
				for range 2 { // the role chunk, then "Thinking"
					events = append(events, must(r.next()))
				}
				if got := decodeStream(t, events); got.text != tc.partial {
					t.Fatalf("before the stall: %q", got.text)
				}
			}
			cancel()
			resp.Body.Close()

			// A deadlock guard, not a timing assertion: the handler must
			// end because the client left, long before this.
			wait, stop := context.WithTimeout(context.Background(), 30*time.Second)
			defer stop()
			if err := s.WaitIdle(wait); err != nil {
				t.Fatalf("the stalled handler did not end after the client cancelled: %v", err)
			}
		})
	}
}

func TestStallEndsOnClose(t *testing.T) {
	s := New()
	s.Script("m", Stall("", 0))
	resp := post(t, context.Background(), s, body("m", true))
	defer resp.Body.Close()
	s.Close() // must return although the client still waits
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("a stalled stream ended cleanly at Close")
	}
}

func TestStallForADuration(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", Stall("Hi", time.Millisecond))
	resp := post(t, context.Background(), s, body("m", true))
	if _, err := readAll(resp); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("after the stall: %v, want the connection dropped", err)
	}
}

func TestSplitters(t *testing.T) {
	tests := []struct {
		in   string
		fn   func(string) []string
		want []string
	}{
		{"Hello big world", ByWords, []string{"Hello", " big", " world"}},
		{"  lead and  two\nlines ", ByWords, []string{"  lead", " and", "  two", "\nlines", " "}},
		{"", ByWords, nil},
		{"héllo", BySize(2), []string{"hé", "ll", "o"}},
		{"ab", BySize(0), []string{"a", "b"}},
	}
	for _, tt := range tests {
		got := tt.fn(tt.in)
		if !slices.Equal(got, tt.want) || strings.Join(got, "") != tt.in {
			t.Errorf("split(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHandle(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", Handle(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}).WithHeader("X-Custom", "yes"))
	resp := post(t, context.Background(), s, body("m", false))
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-Custom") != "yes" {
		t.Errorf("%d %v", resp.StatusCode, resp.Header)
	}
}
