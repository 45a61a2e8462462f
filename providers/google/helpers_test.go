package google_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/internal/replaytest"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/google"
)

// testKey is the API key the tests configure; the tests check it is the
// one sent.
const testKey = "AIza-test"

// session is one recording served to the provider under test.
type session struct{ *replaytest.Session }

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
	return &session{replaytest.Serve(t, "google", testKey, rec, c)}
}

// checkSent compares every request sent with the recorded one: path,
// query (?alt=sse) and the whole JSON body, after normalizeRecorded. An
// empty generationConfig counts as absent (Go's SDK always sends one).
func (s *session) checkSent(opts ...replay.DiffOption) {
	s.T.Helper()
	for i := range s.C.Interactions {
		normalizeRecorded(s.C.Interactions[i].Request.Body)
	}
	opts = append([]replay.DiffOption{replay.IgnoreEmpty()}, opts...)
	if d := s.Srv.DiffSent(opts...); d != "" {
		s.T.Errorf("requests differ from the recording:\n%s", d)
	}
	if err := s.Srv.Verify(); err != nil {
		s.T.Errorf("the client did not make exactly the recorded requests: %v", err)
	}
	for _, got := range s.Srv.Requests() {
		if k := got.Header.Get("X-Goog-Api-Key"); k != testKey {
			s.T.Errorf("request %d sent x-goog-api-key %q, want %q", got.Index, k, testKey)
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
	return llm.Message{Role: llm.RoleAssistant, Content: parts, Model: s.Model()}
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
