package faultserver

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// call posts a plain request and returns the status and either the text
// answered or the error message.
func call(t *testing.T, s *Server, body string) (int, string) {
	t.Helper()
	resp := post(t, context.Background(), s, body)
	raw, err := readAll(resp)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		msg, _, _ := apiError(t, raw)
		return resp.StatusCode, msg
	}
	c := decodeCompletion(t, raw)
	if c.Choices[0].Message.Content == nil {
		return 200, ""
	}
	return 200, *c.Choices[0].Message.Content
}

func TestScriptsPerModel(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("a", Fail(503), Text("A"))
	s.Script(AnyModel, Text("any"))

	type reply struct {
		status int
		text   string
	}
	var got []reply
	for _, model := range []string{"a", "b", "a", "a", "c"} {
		st, text := call(t, s, body(model, false))
		got = append(got, reply{st, text})
	}
	want := []reply{{503, ""}, {200, "any"}, {200, "A"}, {500, ""}, {500, ""}}
	for i := range want {
		if got[i].status != want[i].status || (want[i].text != "" && got[i].text != want[i].text) {
			t.Errorf("reply %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// A scripted model never falls back to the AnyModel script; an empty
	// queue answers a 500 that says so.
	if !strings.Contains(got[3].text, `no scripted step left for model "a" (2 answered)`) {
		t.Errorf("exhausted message = %q", got[3].text)
	}
	if !strings.Contains(got[4].text, `no scripted step left for model "c" in the "*" script`) {
		t.Errorf("exhausted AnyModel message = %q", got[4].text)
	}
	if n := len(s.Requests("a")); n != 3 {
		t.Errorf("Requests(a) has %d, want 3", n)
	}
	if s.Remaining("a") != 0 || s.Remaining(AnyModel) != 0 {
		t.Errorf("Remaining = %d, %d", s.Remaining("a"), s.Remaining(AnyModel))
	}
	reqs := s.Requests("a")
	if reqs[0].Step != "HTTP 503" || reqs[1].Step != `text "A"` || reqs[2].Step != "" {
		t.Errorf("recorded steps %q, %q, %q", reqs[0].Step, reqs[1].Step, reqs[2].Step)
	}
}

func TestUnscriptedModel(t *testing.T) {
	s := New()
	defer s.Close()
	status, msg := call(t, s, body("gpt-4o-mini", false))
	if status != 500 || !strings.Contains(msg, `no script for model "gpt-4o-mini"`) {
		t.Errorf("%d %q", status, msg)
	}
	status, _ = call(t, s, body("gpt-4o-mini", true)) // a stream request too
	if status != 500 {
		t.Errorf("stream request: %d", status)
	}
}

func TestFuncReactsToTheRequest(t *testing.T) {
	s := New()
	defer s.Close()
	agent := Func(func(r Request) Step {
		if last := r.LastMessage(); last.Role == "tool" {
			return Text("The secret is " + last.Content)
		}
		return ToolCalls([]ToolCall{{ID: "call_1", Name: "secret", Arguments: `{"password":"mellon"}`}})
	})
	s.Script("m", Repeat(2, agent)...)

	_, text := call(t, s, body("m", false))
	if text != "" {
		t.Fatalf("first turn answered text %q, want a tool call", text)
	}
	_, text = call(t, s, body("m", false,
		map[string]any{"role": "user", "content": "secret?"},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{
			map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "secret", "arguments": `{"password":"mellon"}`}},
		}},
		map[string]any{"role": "tool", "tool_call_id": "call_1", "content": "Welcome to Moria!"},
	))
	if text != "The secret is Welcome to Moria!" {
		t.Errorf("second turn = %q", text)
	}
	reqs := s.Requests("m")
	if reqs[0].Step != "func → tool calls secret" || reqs[1].Step != `func → text "The secret is Welcome to Moria!"` {
		t.Errorf("recorded steps %q, %q", reqs[0].Step, reqs[1].Step)
	}
	msgs := reqs[1].Messages
	if len(msgs) != 3 || msgs[1].ToolCalls[0] != (ToolCall{ID: "call_1", Name: "secret", Arguments: `{"password":"mellon"}`}) || msgs[2].ToolCallID != "call_1" {
		t.Errorf("parsed messages = %+v", msgs)
	}
}

func TestFuncMayReadTheServer(t *testing.T) {
	s := New()
	defer s.Close()
	// A Func that looks at the records must not deadlock the server.
	s.Script("m", Func(func(r Request) Step {
		return Text(strings.Repeat("x", len(s.Requests("m"))))
	}))
	if _, text := call(t, s, body("m", false)); text != "x" {
		t.Errorf("text = %q", text)
	}
}

func TestAlways(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("down", Always(Fail(503)))
	for range 5 {
		if status, _ := call(t, s, body("down", false)); status != 503 {
			t.Fatalf("status %d", status)
		}
	}
	if s.Remaining("down") != 1 {
		t.Errorf("an Always step was consumed")
	}
}

func TestEmptyStep(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", Step{}, Func(func(Request) Step { return Step{} }))
	for range 2 {
		status, msg := call(t, s, body("m", false))
		if status != 500 || !strings.Contains(msg, "empty Step") {
			t.Errorf("%d %q", status, msg)
		}
	}
}

func TestRecordsRequests(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script(AnyModel, Repeat(2, Text("ok"))...)
	readAll(post(t, context.Background(), s, body("m1", true, map[string]any{"role": "system", "content": "Be brief."},
		map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": "Hello, "}, map[string]any{"type": "text", "text": "there"},
		}})))
	call(t, s, body("m2", false))

	all := s.AllRequests()
	if len(all) != 2 {
		t.Fatalf("%d requests recorded", len(all))
	}
	r := all[0]
	if r.Seq != 0 || all[1].Seq != 1 || r.Time.IsZero() || all[1].Time.Before(r.Time) {
		t.Errorf("order: %d %v, %d %v", r.Seq, r.Time, all[1].Seq, all[1].Time)
	}
	if r.Model != "m1" || !r.Stream || !r.IncludeUsage || r.Header.Get("Authorization") != "Bearer sk-test" {
		t.Errorf("request = %+v", r)
	}
	if len(r.Messages) != 2 || r.Messages[0].Content != "Be brief." || r.LastMessage().Content != "Hello, there" || r.LastMessage().Role != "user" {
		t.Errorf("messages = %+v", r.Messages)
	}
	if r.Body["model"] != "m1" || !strings.Contains(string(r.RawBody), `"stream":true`) {
		t.Errorf("body = %v", r.Body)
	}
	if got := s.Requests("m2"); len(got) != 1 || got[0].Stream {
		t.Errorf("Requests(m2) = %+v", got)
	}
}

func TestBadRequestsConsumeNoStep(t *testing.T) {
	s := New()
	defer s.Close()
	s.Script("m", Text("kept"))

	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/v1/chat/completions", `{"model":`, 400},
		{"POST", "/v1/chat/completions", `null`, 400},
		{"GET", "/v1/chat/completions", ``, 405},
		{"POST", "/v1/completions", `{"model":"m"}`, 404},
	} {
		base := strings.TrimSuffix(s.URL(), "/v1")
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := readAll(resp)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s %q: %d", tc.method, tc.path, tc.body, resp.StatusCode)
		}
		apiError(t, raw)
	}
	if _, text := call(t, s, body("m", false)); text != "kept" {
		t.Errorf("the scripted step was consumed by a bad request; got %q", text)
	}
}

func TestStart(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/v1") {
		t.Errorf("URL() = %q", s.URL())
	}
	s.Close()
	if _, err := Start("256.0.0.1:0"); err == nil {
		t.Error("Start on a bad address succeeded")
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := New()
	defer s.Close()
	const n = 20
	s.Script(AnyModel, Repeat(n, Text("hi there"))...)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp := post(t, context.Background(), s, body("m", i%2 == 0))
			if _, err := readAll(resp); err != nil || resp.StatusCode != 200 {
				t.Errorf("request %d: %d %v", i, resp.StatusCode, err)
			}
		})
	}
	wg.Wait()
	if got := len(s.AllRequests()); got != n || s.Remaining(AnyModel) != 0 {
		t.Errorf("%d requests recorded, %d steps left", got, s.Remaining(AnyModel))
	}
}
