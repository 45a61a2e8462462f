package faultserver

import (
	"net/http"
)

// A Step is one scripted reply. Steps are values: build them with the
// constructors of this package (answers such as [Text], faults such as
// [RateLimit] or [Cut]) and queue them with [Server.Script]. The zero Step
// answers with a 500 naming the mistake.
type Step struct {
	name   string
	header http.Header
	always bool
	// decide, when set, picks the real step per request (see Func).
	decide func(Request) Step
	serve  func(*exchange)
}

// String describes the step, e.g. `text "Hello"` or `HTTP 503`; the server
// records it in [Request].Step, and the demo narrates it.
func (s Step) String() string {
	if s.name == "" {
		return "empty step"
	}
	return s.name
}

// WithHeader returns a copy of the step that also sends the header, e.g.
// Fail(503).WithHeader("Retry-After", "1").
func (s Step) WithHeader(key, value string) Step {
	h := s.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Add(key, value)
	s.header = h
	return s
}

// Always returns a step that answers every request that reaches it and is
// never consumed: steps queued after it are never reached. It suits a
// provider that is down for good, whatever the retry budget.
func Always(s Step) Step {
	s.always = true
	s.name = "always " + s.String()
	return s
}

// Repeat returns n copies of s, to queue with Script(model, Repeat(3, s)...).
func Repeat(n int, s Step) []Step {
	steps := make([]Step, n)
	for i := range steps {
		steps[i] = s
	}
	return steps
}

// Func returns a step decided at request time: fn sees the request and
// returns the step to answer with. A scripted "model" can so react to what
// it is sent, e.g. answer differently once the last message is a tool result:
//
//	faultserver.Func(func(r faultserver.Request) faultserver.Step {
//		if r.LastMessage().Role == "tool" {
//			return faultserver.Text("The sum is 4242.")
//		}
//		return faultserver.ToolCalls([]faultserver.ToolCall{{Name: "add", Arguments: `{"a":4200,"b":42}`}})
//	})
func Func(fn func(Request) Step) Step {
	return Step{name: "func", decide: fn}
}

// Handle returns a step served by an arbitrary handler, for replies no other
// constructor expresses. The request body has already been read; use the
// recorded [Request] instead.
func Handle(h http.HandlerFunc) Step {
	return Step{name: "handler", serve: func(x *exchange) { h(x.w, x.r) }}
}

// resolve follows Func steps down to the step that serves, merging the
// headers set on the way.
func (s Step) resolve(r Request) Step {
	for depth := 0; s.decide != nil; depth++ {
		if depth == 16 {
			return failStep(http.StatusInternalServerError, "faultserver: Func steps nest too deep", "server_error", "")
		}
		outer := s
		s = s.decide(r)
		s.name = outer.name + " → " + s.String()
		for k, vs := range outer.header {
			for _, v := range vs {
				s = s.WithHeader(k, v)
			}
		}
	}
	if s.serve == nil {
		return failStep(http.StatusInternalServerError, "faultserver: the script holds an empty Step", "server_error", "")
	}
	return s
}
