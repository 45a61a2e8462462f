package anthropic_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/anthropic"
)

// testKey is the API key the tests configure; the replay server does not
// check it, but the tests check that it is the one sent.
const testKey = "sk-ant-test"

// session is one recording served to the provider under test.
type session struct {
	t   *testing.T
	rec replay.Recording
	c   *replay.Cassette
	srv *replay.Server
}

// open serves the recording named name (relative to the fixtures).
func open(t *testing.T, name string) *session {
	t.Helper()
	recs, err := replay.Glob(name)
	if err != nil {
		t.Fatal(err)
	}
	return openRecording(t, recs[0])
}

func openRecording(t *testing.T, rec replay.Recording) *session {
	t.Helper()
	c, err := rec.Load()
	if err != nil {
		t.Fatal(err)
	}
	return serveCassette(t, rec, c)
}

// serveCassette serves c, which a fault test may have altered.
func serveCassette(t *testing.T, rec replay.Recording, c *replay.Cassette) *session {
	t.Helper()
	return &session{t: t, rec: rec, c: c, srv: replay.Serve(t, c)}
}

// model is the llmhost model id of the recording's first request.
func (s *session) model() string { return "anthropic/" + s.c.Interactions[0].Model() }

// options point the anthropic provider at the replay server. Each call
// gets a cooldown table of its own, so that one test's failures never make
// another skip a model, and no retries unless a test asks for them.
func (s *session) options(extra ...llm.Option) []llm.Option {
	opts := []llm.Option{
		llm.WithEndpoint("anthropic", llm.Endpoint{BaseURL: s.srv.URL(), APIKey: testKey}),
		llm.WithCooldowns(llm.NewCooldowns()),
		llm.WithMaxRetries(0),
	}
	return append(opts, extra...)
}

// call makes the call the recording's kind says: llm.Call for sync.json,
// llm.Stream read to its end for stream.json. For a stream it also checks
// that the text the reader received is the text of the finished response.
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

// checkSent compares every request sent with the recorded one: path,
// query, and the whole JSON body. Text content may go as a string or as
// one text block (the SDK always sends blocks). opts add per-test
// adjustments, each of which the test explains.
func (s *session) checkSent(opts ...replay.DiffOption) {
	s.t.Helper()
	opts = append([]replay.DiffOption{replay.CollapseTextBlocks()}, opts...)
	if d := s.srv.DiffSent(opts...); d != "" {
		s.t.Errorf("requests differ from the recording:\n%s", d)
	}
	if err := s.srv.Verify(); err != nil {
		s.t.Errorf("the client did not make exactly the recorded requests: %v", err)
	}
	for _, got := range s.srv.Requests() {
		if k := got.Header.Get("X-Api-Key"); k != testKey {
			s.t.Errorf("request %d sent x-api-key %q, want %q", got.Index, k, testKey)
		}
	}
}

// assistant is the message the engine adds for an answer of this recording.
func (s *session) assistant(parts ...llm.Part) llm.Message {
	return llm.Message{Role: llm.RoleAssistant, Content: parts, Model: s.model()}
}

// errorOpts compare *llm.Error values on what a caller sees: the cause and
// the attempts are checked separately where they matter.
var errorOpts = cmp.Options{cmpopts.IgnoreFields(llm.Error{}, "Err", "Attempts")}

// asError returns err's *llm.Error, failing the test if there is none.
func asError(t *testing.T, err error) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
	}
	return e
}

// jsonEqual reports whether two JSON texts hold the same value.
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

// mustJSON encodes v, which the test built and which always encodes.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}
