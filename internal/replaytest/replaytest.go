// Package replaytest runs the engine against recorded provider traffic:
// a Session serves one recording and makes the calls its kind asks for,
// plain for sync.json and streamed for stream.json, so a provider's
// replay tests say only what the recording must show.
package replaytest

import (
	"context"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// Session is one recording served to the provider under test.
type Session struct {
	T   *testing.T
	Rec replay.Recording
	C   *replay.Cassette
	Srv *replay.Server

	provider, key string
}

// Serve serves c, the cassette of rec that a fault test may have altered,
// to the provider registered as provider, which is called with key.
func Serve(t *testing.T, provider, key string, rec replay.Recording, c *replay.Cassette) *Session {
	t.Helper()
	return &Session{T: t, Rec: rec, C: c, Srv: replay.Serve(t, c), provider: provider, key: key}
}

// Model is the llmhost model id of the recording's first request.
func (s *Session) Model() string { return s.provider + "/" + s.C.Interactions[0].Model() }

// Options point the provider at the replay server. Each call gets a
// cooldown table of its own, so that one test's failures never make
// another skip a model, and no retries unless a test asks for them.
func (s *Session) Options(extra ...llm.Option) []llm.Option {
	opts := []llm.Option{
		llm.WithEndpoint(s.provider, llm.Endpoint{BaseURL: s.Srv.URL(), APIKey: s.key}),
		llm.WithCooldowns(llm.NewCooldowns()),
		llm.WithMaxRetries(0),
	}
	return append(opts, extra...)
}

// Call makes the call the recording's kind says: llm.Call for sync.json,
// llm.Stream read to its end for stream.json.
func (s *Session) Call(ctx context.Context, msgs []llm.Message, opts ...llm.Option) (*llm.Response, error) {
	s.T.Helper()
	if s.Rec.Kind == "sync" {
		return llm.Call(ctx, s.Model(), msgs, s.Options(opts...)...)
	}
	sr, err := llm.Stream(ctx, s.Model(), msgs, s.Options(opts...)...)
	if err != nil {
		return nil, err
	}
	return s.Read(sr)
}

// Read reads a stream to its end and returns its response, checking that
// the text deltas the reader received add up to the text of the answer the
// stream kept. (Response may go on to ask again, when a parse fails, so
// the final response may hold a later answer.)
func (s *Session) Read(sr *llm.StreamResponse) (*llm.Response, error) {
	s.T.Helper()
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
		s.T.Errorf("streamed text differs from the answer's text:\nstreamed %q\nanswer   %q", streamed.String(), last.Text())
	}
	return sr.Response()
}

// Resume continues resp the way the recording's kind says, failing the
// test on error.
func (s *Session) Resume(ctx context.Context, resp *llm.Response, content ...llm.Part) *llm.Response {
	s.T.Helper()
	if s.Rec.Kind == "sync" {
		next, err := resp.Resume(ctx, content...)
		if err != nil {
			s.T.Fatal(err)
		}
		return next
	}
	sr, err := resp.ResumeStream(ctx, content...)
	if err != nil {
		s.T.Fatal(err)
	}
	next, err := s.Read(sr)
	if err != nil {
		s.T.Fatal(err)
	}
	return next
}
