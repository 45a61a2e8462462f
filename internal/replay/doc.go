// Package replay serves recorded provider traffic from a local HTTP server,
// so that the real client code of each provider parses exactly what the real
// provider sent.
//
// The recordings live in shared/fixtures/recorded, next to the repository
// (see [Dir]). Each file is a [Cassette]: an ordered list of interactions,
// each a recorded request and the response it got.
//
// A typical provider test loads a cassette, points the SDK at a [Server]
// and checks both directions:
//
//	c := replay.MustLoad(t, "test_call/openai_gpt_4o_completions/stream.json")
//	srv := replay.Serve(t, c)          // a mismatched request fails the test
//	client := newClient(srv.BaseURL()) // ".../v1" for OpenAI, the root for Anthropic and Google
//	... make the call, assert the parsed response ...
//	if d := srv.DiffSent(replay.Fields("model", "messages", "stream")); d != "" {
//		t.Errorf("sent requests differ from the recording:\n%s", d)
//	}
//
// The recordings hold no rate limits, server errors or broken streams. The
// methods of [Interaction] build those from the recorded shapes: SetError,
// CutStream, InjectErrorEvent, MalformBody and Drop.
//
// This package is a pure HTTP tool: it knows the three wire dialects
// (OpenAI-compatible, Anthropic, Google) only as far as URLs, SSE framing and
// error bodies go, and imports nothing from the rest of the module.
package replay
