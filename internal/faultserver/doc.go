// Package faultserver is a scripted OpenAI-compatible chat-completions server
// on loopback. It answers each request with the next step of a script, so a
// test, an example or `llmhost demo` can stage exactly the failures a real
// provider produces (rate limits, 5xx, auth errors, cut streams, error frames
// inside 200 streams, malformed bodies, stalls) and the answers that follow.
//
//	s := faultserver.New()
//	defer s.Close()
//	s.Script("gpt-4o-mini",
//		faultserver.RateLimit(2*time.Second), // 429, Retry-After: 2
//		faultserver.Text("Hello!"),           // then the answer
//	)
//	// point any OpenAI client at s.URL() (it ends in /v1) ...
//	reqs := s.Requests("gpt-4o-mini")         // what the client sent, in order
//
// Scripts are per model, taken from the request body's "model"; a script for
// [AnyModel] answers models that have none. Each request consumes one step.
// A request that finds no step left gets a clear OpenAI-shaped 500 saying so:
// the server never hangs and never succeeds by accident.
//
// Answers adapt to the request: [Text], [JSON], [ToolCalls] and [Refusal] are
// served as one JSON body, or, when the request says "stream": true, as
// OpenAI's SSE chunks (role chunk, deltas, finish chunk, usage chunk when
// stream_options.include_usage is set, then data: [DONE]), in the exact shapes
// OpenAI sends. A step can also be decided per request with [Func].
//
// Every request is recorded (parsed body, messages, headers, arrival time and
// the step that answered it), so tests can assert what the client sent.
package faultserver
