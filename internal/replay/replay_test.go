package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// send makes the recorded request r against srv with a plain client, the
// way an SDK pointed at srv would.
func send(t *testing.T, srv *Server, r Request) *http.Response {
	t.Helper()
	u := r.URL()
	target := srv.URL() + u.Path
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	body, err := json.Marshal(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(r.Method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, target, err)
	}
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// TestEveryRecordingReplays loads every fixture and replays it end to end
// with a plain client: statuses, content types and bodies come back byte
// for byte, the requests match, and every interaction is consumed.
func TestEveryRecordingReplays(t *testing.T) {
	recs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		t.Run(rec.Name, func(t *testing.T) {
			c, err := rec.Load()
			if err != nil {
				t.Fatal(err)
			}
			srv := Serve(t, c)
			for i, it := range c.Interactions {
				if it.Dialect() == "" {
					t.Errorf("interaction %d: no dialect for %s", i, it.Request.URI)
				}
				if it.Model() == "" {
					t.Errorf("interaction %d: no model in %s", i, it.Request.URI)
				}
				resp := send(t, srv, it.Request)
				body := readAll(t, resp)
				if resp.StatusCode != it.Response.Status {
					t.Errorf("interaction %d: status %d, want %d", i, resp.StatusCode, it.Response.Status)
				}
				if got, want := resp.Header.Get("Content-Type"), it.Response.header("content-type"); got != want {
					t.Errorf("interaction %d: content type %q, want %q", i, got, want)
				}
				if body != it.Response.Body {
					t.Errorf("interaction %d: body differs from the recording", i)
				}
				if it.Streamed() && strings.Join(it.Events(), "") != it.Response.Body {
					t.Errorf("interaction %d: events do not join back into the body", i)
				}
			}
			if err := srv.Verify(); err != nil {
				t.Error(err)
			}
			if d := srv.DiffSent(); d != "" {
				t.Errorf("recorded bodies resent verbatim differ:\n%s", d)
			}
		})
	}
}

func TestRecordingPathsParse(t *testing.T) {
	recs, err := Glob("test_structured_output/json/openai_gpt_4o_completions/stream.json")
	if err != nil {
		t.Fatal(err)
	}
	got := recs[0]
	got.Path = ""
	want := Recording{
		Name:     "test_structured_output/json/openai_gpt_4o_completions/stream.json",
		Family:   "test_structured_output",
		Mode:     "json",
		Provider: "openai",
		Model:    "gpt_4o_completions",
		Kind:     "stream",
	}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	recs, err = Glob("test_openrouter_*/*/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Provider != "openrouter" || r.Mode != "" {
			t.Errorf("%s: provider %q mode %q", r.Name, r.Provider, r.Mode)
		}
	}
}

func TestGlobErrors(t *testing.T) {
	if _, err := Glob("no_such_family/*/*.json"); err == nil {
		t.Error("a pattern matching nothing must be an error")
	}
	if _, err := Glob("test_call/[/*.json"); err == nil {
		t.Error("a malformed pattern must be an error")
	}
}

func TestDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvFixtures, dir)
	got, err := Dir()
	if err != nil || got != dir {
		t.Errorf("Dir() = %q, %v; want %q", got, err, dir)
	}
	t.Setenv(EnvFixtures, filepath.Join(dir, "missing"))
	if _, err := Dir(); err == nil || !strings.Contains(err.Error(), EnvFixtures) {
		t.Errorf("Dir() with a missing $%s: err = %v", EnvFixtures, err)
	}
}

func TestDirNotFoundSaysWhere(t *testing.T) {
	t.Setenv(EnvFixtures, "")
	os.Unsetenv(EnvFixtures)
	dir := t.TempDir()
	t.Chdir(dir)
	_, err := Dir()
	if err == nil {
		t.Skip("a shared/fixtures/recorded exists above the temp dir")
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, "shared", "fixtures", "recorded")) {
		t.Errorf("error does not name where it looked: %v", err)
	}
}

func TestServesInOrderAndRecordsRequests(t *testing.T) {
	c := MustLoad(t, "test_call_with_tools/openai_gpt_4o_completions/sync.json")
	srv := Serve(t, c)
	for i := range 2 {
		body := readAll(t, send(t, srv, c.Interactions[i].Request))
		if body != c.Interactions[i].Response.Body {
			t.Fatalf("request %d answered with another interaction's body", i)
		}
	}
	got := srv.Requests()
	if len(got) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(got))
	}
	for i, r := range got {
		if r.Index != i || r.Method != "POST" || r.Path != "/v1/chat/completions" {
			t.Errorf("request %d recorded as %+v", i, r)
		}
		if r.Body["model"] != "gpt-4o" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: body or headers not recorded", i)
		}
	}
	if rem := srv.Remaining(); len(rem) != 4 || rem[0] != 2 {
		t.Errorf("Remaining() = %v, want [2 3 4 5]", rem)
	}
	if err := srv.Verify(); err == nil || !strings.Contains(err.Error(), "interaction 2") {
		t.Errorf("Verify() = %v, want the unserved interactions named", err)
	}
}

func TestMismatchIsAnsweredAndReported(t *testing.T) {
	c := MustLoad(t, "test_call/google_gemini_2_5_flash/stream.json")
	srv := NewServer(c)
	defer srv.Close()

	// Without the recorded ?alt=sse the request does not match.
	wrong := c.Interactions[0].Request
	wrong.URI = strings.TrimSuffix(wrong.URI, "?alt=sse")
	resp := send(t, srv, wrong)
	body := readAll(t, resp)
	if resp.StatusCode != StatusMismatch || resp.Header.Get("X-Replay-Mismatch") != "true" {
		t.Fatalf("mismatch answered %d %v", resp.StatusCode, resp.Header)
	}
	var gerr struct {
		Error struct {
			Code    int
			Message string
		}
	}
	if err := json.Unmarshal([]byte(body), &gerr); err != nil || gerr.Error.Code != StatusMismatch {
		t.Errorf("mismatch body is not Google-shaped: %s", body)
	}
	ms := srv.Mismatches()
	if len(ms) != 1 {
		t.Fatalf("Mismatches() = %v", ms)
	}
	m := ms[0]
	if m.Interaction != 0 || !strings.HasSuffix(m.Want, "?alt=sse") || strings.Contains(m.Got, "?") {
		t.Errorf("mismatch = %+v", m)
	}
	if !strings.Contains(gerr.Error.Message, m.Want) {
		t.Errorf("the client-visible message does not say what was expected: %q", gerr.Error.Message)
	}

	// The stray request did not consume the interaction.
	if body := readAll(t, send(t, srv, c.Interactions[0].Request)); body != c.Interactions[0].Response.Body {
		t.Error("the matching request after a mismatch did not get the recorded body")
	}
	// One request too many.
	resp = send(t, srv, c.Interactions[0].Request)
	readAll(t, resp)
	if resp.StatusCode != StatusMismatch {
		t.Errorf("an extra request got %d", resp.StatusCode)
	}
	if ms := srv.Mismatches(); len(ms) != 2 || ms[1].Interaction != -1 || ms[1].Request != 2 {
		t.Errorf("Mismatches() = %+v", ms)
	}
	if srv.Verify() == nil {
		t.Error("Verify() = nil despite mismatches")
	}
}

// fakeTB records what Serve reports at cleanup.
type fakeTB struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Error(args ...any) { f.errs = append(f.errs, fmt.Sprint(args...)) }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func TestServeFailsTheTestOnMismatch(t *testing.T) {
	c := MustLoad(t, "test_call/anthropic_claude_sonnet_4_0/sync.json")
	tb := &fakeTB{TB: t}
	srv := Serve(tb, c)
	wrong := c.Interactions[0].Request
	wrong.URI = "https://api.anthropic.com/v1/complete"
	readAll(t, send(t, srv, wrong))
	for _, fn := range tb.cleanups {
		fn()
	}
	if len(tb.errs) != 1 || !strings.Contains(tb.errs[0], "POST /v1/complete") {
		t.Errorf("Serve reported %q at cleanup, want the mismatch", tb.errs)
	}
}

func TestBaseURLs(t *testing.T) {
	tests := []struct {
		path, suffix string
	}{
		{"test_call/openai_gpt_4o_completions/sync.json", "/v1"},
		{"test_openrouter_sync/openrouter_openai_gpt_4o/sync.json", "/api/v1"},
		{"test_ollama_provider/ollama_gemma3_4b/sync.json", "/v1"},
		{"test_call/anthropic_claude_sonnet_4_0/sync.json", ""},
		{"test_structured_output/anthropic_claude_sonnet_4_5/sync.json", ""},
		{"test_call/google_gemini_2_5_flash/stream.json", ""},
	}
	for _, tt := range tests {
		c := MustLoad(t, tt.path)
		srv := Serve(t, c)
		if got, want := srv.BaseURL(), srv.URL()+tt.suffix; got != want {
			t.Errorf("%s: BaseURL() = %q, want %q", tt.path, got, want)
		}
	}

	c := MustLoad(t, "test_resume_with_override/openai_gpt_4o_completions/sync.json")
	srv := Serve(t, c)
	if got := srv.BaseURLFor(OpenAI); got != srv.URL()+"/v1" {
		t.Errorf("BaseURLFor(OpenAI) = %q", got)
	}
	if got := srv.BaseURLFor(Google); got != srv.URL() {
		t.Errorf("BaseURLFor(Google) = %q", got)
	}
	if got := c.Interactions[0].Request.BaseURL(); got != "https://generativelanguage.googleapis.com" {
		t.Errorf("recorded BaseURL() = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("BaseURLFor a dialect the cassette lacks must panic")
		}
	}()
	srv.BaseURLFor(Anthropic)
}

// TestStreamsAreFlushedPerEvent holds the server before each event until
// the client has read the previous one: if events were buffered, the client
// would never see the first event while the server waits.
func TestStreamsAreFlushedPerEvent(t *testing.T) {
	c := MustLoad(t, "test_call/anthropic_claude_sonnet_4_0/stream.json")
	events := c.Interactions[0].Events()
	read := make(chan int)
	srv := newServer(c)
	srv.beforeEvent = func(_, event int) {
		if event == 0 {
			return
		}
		select {
		case got := <-read:
			if got != event-1 {
				t.Errorf("client read event %d while the server was about to write %d", got, event)
			}
		case <-time.After(10 * time.Second): // a deadlock guard, not a timing assertion
			t.Errorf("the client never received event %d before event %d was written: the stream is buffered", event-1, event)
		}
	}
	srv.srv.Start()
	defer srv.Close()

	resp := send(t, srv, c.Interactions[0].Request)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i, want := range events {
		var ev strings.Builder
		for !strings.HasSuffix(ev.String(), "\n\n") {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			ev.WriteString(line)
		}
		if ev.String() != want {
			t.Fatalf("event %d = %q, want %q", i, ev.String(), want)
		}
		if i < len(events)-1 {
			read <- i
		}
	}
}

func TestCutStreamEndsInUnexpectedEOF(t *testing.T) {
	for _, path := range []string{
		"test_call/openai_gpt_4o_completions/stream.json",
		"test_call/anthropic_claude_sonnet_4_0/stream.json",
		"test_call/google_gemini_2_5_flash/stream.json",
	} {
		for _, mid := range []bool{false, true} {
			c := MustLoad(t, path)
			it := &c.Interactions[0]
			events := it.Events()
			if err := it.CutStream(1, mid); err != nil {
				t.Fatal(err)
			}
			srv := Serve(t, c)
			resp := send(t, srv, it.Request)
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s mid=%v: read error %v, want an unexpected EOF", path, mid, err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", path, resp.StatusCode)
			}
			if !strings.HasPrefix(string(got), events[0]) || string(got) != it.Response.Body {
				t.Errorf("%s mid=%v: client read %q, want %q", path, mid, got, it.Response.Body)
			}
			rest := strings.TrimPrefix(string(got), events[0])
			if mid != (rest != "") || (mid && (!strings.Contains(rest, "data:") || strings.HasSuffix(rest, "\n"))) {
				t.Errorf("%s mid=%v: cut part %q is not inside a data line", path, mid, rest)
			}
		}
	}
}

func TestCutStreamRange(t *testing.T) {
	c := MustLoad(t, "test_call/openai_gpt_4o_completions/stream.json")
	n := len(c.Interactions[0].Events())
	if err := c.Interactions[0].CutStream(n, true); err == nil {
		t.Error("cutting inside an event past the end must fail")
	}
	if err := c.Interactions[0].CutStream(n+1, false); err == nil {
		t.Error("keeping more events than the stream has must fail")
	}
	sync := MustLoad(t, "test_call/openai_gpt_4o_completions/sync.json")
	if err := sync.Interactions[0].CutStream(1, false); err == nil {
		t.Error("cutting a non-stream response must fail")
	}
}

func TestDropClosesBeforeAnyResponse(t *testing.T) {
	c := MustLoad(t, "test_call/openai_gpt_4o_completions/sync.json")
	c.Interactions[0].Drop()
	srv := Serve(t, c)
	body, _ := json.Marshal(c.Interactions[0].Request.Body)
	resp, err := srv.Client().Post(srv.BaseURL()+"/chat/completions", "application/json", bytes.NewReader(body))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d), want a connection error", resp.StatusCode)
	}
}

func TestInjectErrorEvent(t *testing.T) {
	tests := []struct {
		path      string
		errorType string // what the error event's payload says
	}{
		{"test_call/openai_gpt_4o_completions/stream.json", "server_error"},
		{"test_call/anthropic_claude_sonnet_4_0/stream.json", "overloaded_error"},
		{"test_call/google_gemini_2_5_flash/stream.json", "UNAVAILABLE"},
	}
	for _, tt := range tests {
		c := MustLoad(t, tt.path)
		it := &c.Interactions[0]
		first := it.Events()[0]
		if err := it.InjectErrorEvent(1); err != nil {
			t.Fatal(err)
		}
		srv := Serve(t, c)
		body := readAll(t, send(t, srv, it.Request)) // ends cleanly
		events := splitEvents(body)
		if len(events) != 2 || events[0] != first {
			t.Fatalf("%s: events %q", tt.path, events)
		}
		_, data, _ := strings.Cut(events[1], "data: ")
		var payload struct {
			Type  string
			Error struct{ Type, Status string }
		}
		if err := json.Unmarshal([]byte(data), &payload); err != nil {
			t.Fatalf("%s: error event %q: %v", tt.path, events[1], err)
		}
		if payload.Error.Type != tt.errorType && payload.Error.Status != tt.errorType {
			t.Errorf("%s: error event %q, want %s", tt.path, events[1], tt.errorType)
		}
		if it.Dialect() == Anthropic && !strings.HasPrefix(events[1], "event: error\n") {
			t.Errorf("Anthropic error event lacks its event line: %q", events[1])
		}
		if it.Dialect() == OpenAI && !strings.HasPrefix(events[1], `data: {"error":`) {
			t.Errorf("OpenAI error frame must start with {\"error\": for SDKs to spot it: %q", events[1])
		}
	}
}

func TestSetError(t *testing.T) {
	tests := []struct {
		path    string
		status  int
		headers []string
		check   func(body string) bool
	}{
		{"test_call/openai_gpt_4o_completions/stream.json", 429, []string{"Retry-After", "7"},
			func(b string) bool { return strings.Contains(b, `"code":"rate_limit_exceeded"`) }},
		{"test_call/openai_gpt_4o_completions/sync.json", 503, []string{"retry-after-ms", "1500"},
			func(b string) bool { return strings.Contains(b, `"type":"server_error"`) }},
		{"test_call/anthropic_claude_sonnet_4_0/sync.json", 529, nil,
			func(b string) bool {
				return b == `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`
			}},
		{"test_call/anthropic_claude_sonnet_4_0/stream.json", 429, []string{"retry-after", "7"},
			func(b string) bool { return strings.Contains(b, `"rate_limit_error"`) }},
		{"test_call/google_gemini_2_5_flash/stream.json", 500, nil,
			func(b string) bool {
				return strings.Contains(b, `"code":500`) && strings.Contains(b, `"status":"INTERNAL"`)
			}},
	}
	for _, tt := range tests {
		c := MustLoad(t, tt.path)
		c.Interactions[0].SetError(tt.status, tt.headers...)
		srv := Serve(t, c)
		resp := send(t, srv, c.Interactions[0].Request)
		body := readAll(t, resp)
		if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for i := 0; i < len(tt.headers); i += 2 {
			if got := resp.Header.Get(tt.headers[i]); got != tt.headers[i+1] {
				t.Errorf("%s: header %s = %q, want %q", tt.path, tt.headers[i], got, tt.headers[i+1])
			}
		}
		if !json.Valid([]byte(body)) || !tt.check(body) {
			t.Errorf("%s: body %s", tt.path, body)
		}
	}
}

func TestMalformBody(t *testing.T) {
	for _, path := range []string{
		"test_call/openai_gpt_4o_completions/sync.json",
		"test_call/openai_gpt_4o_completions/stream.json",
		"test_call/anthropic_claude_sonnet_4_0/stream.json",
		"test_call/google_gemini_2_5_flash/stream.json",
	} {
		c := MustLoad(t, path)
		it := &c.Interactions[0]
		it.MalformBody()
		srv := Serve(t, c)
		resp := send(t, srv, it.Request)
		body := readAll(t, resp) // the connection ends cleanly
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
		if !it.Streamed() {
			var v any
			var syntax *json.SyntaxError
			if err := json.NewDecoder(strings.NewReader(body)).Decode(&v); !errors.As(err, &syntax) {
				t.Errorf("%s: decoding gave %v, want a syntax error (not a truncation): %s", path, err, body)
			}
			continue
		}
		bad := 0
		for _, ev := range splitEvents(body) {
			_, data, ok := strings.Cut(ev, "data: ")
			if ok && strings.TrimSpace(data) != "[DONE]" && !json.Valid([]byte(strings.TrimSpace(data))) {
				bad++
			}
		}
		if bad != 1 {
			t.Errorf("%s: %d malformed events in %q, want 1", path, bad, body)
		}
	}
}
