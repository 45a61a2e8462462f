package google_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/google"
)

// testKey is the API key the tests configure; the tests check it is the
// one sent.
const testKey = "AIza-test"

// session is one recording served to the provider under test.
type session struct {
	t   *testing.T
	rec replay.Recording
	c   *replay.Cassette
	srv *replay.Server
}

func open(t *testing.T, name string) *session {
	t.Helper()
	rec, c := load(t, name)
	return serveCassette(t, rec, c)
}

// load returns a recording and a fresh copy of its cassette to alter.
func load(t *testing.T, name string) (replay.Recording, *replay.Cassette) {
	t.Helper()
	recs, err := replay.Glob(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := recs[0].Load()
	if err != nil {
		t.Fatal(err)
	}
	return recs[0], c
}

func openRecording(t *testing.T, rec replay.Recording) *session {
	t.Helper()
	c, err := rec.Load()
	if err != nil {
		t.Fatal(err)
	}
	return serveCassette(t, rec, c)
}

func serveCassette(t *testing.T, rec replay.Recording, c *replay.Cassette) *session {
	t.Helper()
	return &session{t: t, rec: rec, c: c, srv: replay.Serve(t, c)}
}

// model is the llmhost model id of the recording's first request.
func (s *session) model() string { return "google/" + s.c.Interactions[0].Model() }

// options point the google provider at the replay server, with a cooldown
// table of its own and no retries unless a test asks for them.
func (s *session) options(extra ...llm.Option) []llm.Option {
	opts := []llm.Option{
		llm.WithEndpoint("google", llm.Endpoint{BaseURL: s.srv.URL(), APIKey: testKey}),
		llm.WithCooldowns(llm.NewCooldowns()),
		llm.WithMaxRetries(0),
	}
	return append(opts, extra...)
}

// call makes the call the recording's kind says: llm.Call for sync.json,
// llm.Stream read to its end for stream.json.
func (s *session) call(ctx context.Context, msgs []llm.Message, opts ...llm.Option) (*llm.Response, error) {
	s.t.Helper()
	if s.rec.Kind == "sync" {
		return llm.Call(ctx, s.model(), msgs, s.options(opts...)...)
	}
	sr, err := llm.Stream(ctx, s.model(), msgs, s.options(opts...)...)
	if err != nil {
		return nil, err
	}
	return s.read(sr)
}

// read reads a stream to its end and returns its response, checking that
// the text deltas the reader received add up to the text of the answer the
// stream kept. (Response may go on to ask again, when a parse fails, so
// the final response may hold a later answer.)
func (s *session) read(sr *llm.StreamResponse) (*llm.Response, error) {
	s.t.Helper()
	var streamed strings.Builder
	for c, err := range sr.Chunks() {
		if err != nil {
			break
		}
		if c.Kind == llm.ChunkText {
			streamed.WriteString(c.Text)
		}
	}
	msgs := sr.Messages()
	if last := msgs[len(msgs)-1]; last.Role == llm.RoleAssistant && streamed.String() != last.Text() {
		s.t.Errorf("streamed text differs from the answer's text:\nstreamed %q\nanswer   %q", streamed.String(), last.Text())
	}
	return sr.Response()
}

// resume continues resp the way the recording's kind says.
func (s *session) resume(ctx context.Context, resp *llm.Response, content ...llm.Part) *llm.Response {
	s.t.Helper()
	if s.rec.Kind == "sync" {
		next, err := resp.Resume(ctx, content...)
		if err != nil {
			s.t.Fatal(err)
		}
		return next
	}
	sr, err := resp.ResumeStream(ctx, content...)
	if err != nil {
		s.t.Fatal(err)
	}
	next, err := s.read(sr)
	if err != nil {
		s.t.Fatal(err)
	}
	return next
}

// checkSent compares every request sent with the recorded one: path,
// query (?alt=sse) and the whole JSON body, after normalizeRecorded. An
// empty generationConfig counts as absent (Go's SDK always sends one).
func (s *session) checkSent(opts ...replay.DiffOption) {
	s.t.Helper()
	for i := range s.c.Interactions {
		normalizeRecorded(s.c.Interactions[i].Request.Body)
	}
	opts = append([]replay.DiffOption{replay.IgnoreEmpty()}, opts...)
	if d := s.srv.DiffSent(opts...); d != "" {
		s.t.Errorf("requests differ from the recording:\n%s", d)
	}
	if err := s.srv.Verify(); err != nil {
		s.t.Errorf("the client did not make exactly the recorded requests: %v", err)
	}
	for _, got := range s.srv.Requests() {
		if k := got.Header.Get("X-Goog-Api-Key"); k != testKey {
			s.t.Errorf("request %d sent x-goog-api-key %q, want %q", got.Index, k, testKey)
		}
	}
}

// normalizeRecorded rewrites two spellings in which Google's Python SDK,
// which made the recordings, and its Go SDK differ while meaning the same
// thing to the API:
//
//   - bytes (thoughtSignature) are URL-safe base64 in Python, standard
//     base64 in Go; protobuf's JSON accepts both, and the bytes are equal;
//   - Python sends the field property_ordering by its proto name, Go by its
//     JSON name propertyOrdering; the API accepts both.
//
// and one in which Mirascope and llmhost keep a streamed answer: Mirascope
// sends it back as one text part per chunk received, llmhost as one text
// part; Gemini reads consecutive text parts as one text.
func normalizeRecorded(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			switch k {
			case "parts":
				if parts, ok := child.([]any); ok {
					v[k] = mergeTextParts(parts)
				}
			case "thoughtSignature":
				if s, ok := child.(string); ok {
					if b, err := base64.URLEncoding.DecodeString(s); err == nil {
						v[k] = base64.StdEncoding.EncodeToString(b)
					}
				}
			case "property_ordering":
				delete(v, k)
				v["propertyOrdering"] = child
			}
			normalizeRecorded(child)
		}
	case []any:
		for _, child := range v {
			normalizeRecorded(child)
		}
	}
}

// mergeTextParts joins adjacent parts that hold nothing but text.
func mergeTextParts(parts []any) []any {
	var out []any
	for _, p := range parts {
		m, ok := p.(map[string]any)
		if text, isText := m["text"].(string); ok && isText && len(m) == 1 && len(out) > 0 {
			if prev, ok := out[len(out)-1].(map[string]any); ok && len(prev) == 1 {
				if prevText, ok := prev["text"].(string); ok {
					out[len(out)-1] = map[string]any{"text": prevText + text}
					continue
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// assistant is the message the engine adds for an answer of this recording.
func (s *session) assistant(parts ...llm.Part) llm.Message {
	return llm.Message{Role: llm.RoleAssistant, Content: parts, Model: s.model()}
}

// errorOpts compare *llm.Error values on what a caller sees.
var errorOpts = cmp.Options{cmpopts.IgnoreFields(llm.Error{}, "Err", "Attempts")}

func asError(t *testing.T, err error) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
	}
	return e
}

func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got %q, which is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q, which is not JSON: %v", want, err)
	}
	if d := cmp.Diff(w, g); d != "" {
		t.Errorf("JSON differs (-want +got):\n%s", d)
	}
}
