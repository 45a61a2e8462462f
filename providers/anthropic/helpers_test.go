package anthropic_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/internal/replaytest"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/anthropic"
)

// testKey is the API key the tests configure; the replay server does not
// check it, but the tests check that it is the one sent.
const testKey = "sk-ant-test"

// session is one recording served to the provider under test.
type session struct{ *replaytest.Session }

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
	return &session{replaytest.Serve(t, "anthropic", testKey, rec, c)}
}

// checkSent compares every request sent with the recorded one: path,
// query, and the whole JSON body. Text content may go as a string or as
// one text block (the SDK always sends blocks). opts add per-test
// adjustments, each of which the test explains.
func (s *session) checkSent(opts ...replay.DiffOption) {
	s.T.Helper()
	opts = append([]replay.DiffOption{replay.CollapseTextBlocks()}, opts...)
	if d := s.Srv.DiffSent(opts...); d != "" {
		s.T.Errorf("requests differ from the recording:\n%s", d)
	}
	if err := s.Srv.Verify(); err != nil {
		s.T.Errorf("the client did not make exactly the recorded requests: %v", err)
	}
	for _, got := range s.Srv.Requests() {
		if k := got.Header.Get("X-Api-Key"); k != testKey {
			s.T.Errorf("request %d sent x-api-key %q, want %q", got.Index, k, testKey)
		}
	}
}

// assistant is the message the engine adds for an answer of this recording.
func (s *session) assistant(parts ...llm.Part) llm.Message {
	return llm.Message{Role: llm.RoleAssistant, Content: parts, Model: s.Model()}
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
