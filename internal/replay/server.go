package replay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// StatusMismatch is the status the server answers when a request does not
// match the next recorded interaction. It is outside the range any provider
// uses, so a client error that carries it can only mean a replay mismatch.
const StatusMismatch = 599

// A Server replays a cassette over HTTP, interactions in order: each request
// must match the next interaction's method and path (and its query, when the
// recorded URI has one), and gets that interaction's recorded status,
// headers and body. Event streams are written and flushed event by event, so
// clients really stream.
//
// One server answers for every host of the cassette: the recorded paths of
// OpenAI-compatible, Anthropic and Google requests do not collide, so a
// cassette that switches provider mid-test is served too (see [Server.BaseURLFor]).
type Server struct {
	srv          *httptest.Server
	interactions []Interaction

	// beforeEvent, when set (by tests of this package), runs before each
	// SSE event is written, so a test can hold the stream between events.
	beforeEvent func(interaction, event int)

	mu         sync.Mutex
	next       int
	received   []Received
	mismatches []Mismatch
}

// A Received is a request the server got.
type Received struct {
	// Index is the interaction the request matched and was answered with,
	// or -1 when it matched none (it then got a StatusMismatch error).
	Index  int
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	// Body is the parsed JSON body; nil when the body is not a JSON object.
	Body map[string]any
	// RawBody is the body as sent.
	RawBody []byte
}

// A Mismatch records a request that did not match the next interaction.
type Mismatch struct {
	// Request is the arrival order of the request, from 0.
	Request int
	// Interaction is the interaction it was held against, or -1 when every
	// interaction had been served already.
	Interaction int
	// Got and Want read "METHOD /path?query".
	Got, Want string
}

func (m Mismatch) Error() string {
	if m.Interaction < 0 {
		return fmt.Sprintf("replay: request %d (%s) arrived after every recorded interaction was served", m.Request, m.Got)
	}
	return fmt.Sprintf("replay: request %d does not match interaction %d:\n\tgot  %s\n\twant %s", m.Request, m.Interaction, m.Got, m.Want)
}

// NewServer starts a server replaying c. It takes the interactions as they
// are now: apply faults to c before starting the server. The caller must
// Close it. Tests usually prefer [Serve].
func NewServer(c *Cassette) *Server {
	s := newServer(c)
	s.srv.Start()
	return s
}

// newServer builds an unstarted server, so that tests of this package can
// set hooks before any request can race with them.
func newServer(c *Cassette) *Server {
	s := &Server{interactions: append([]Interaction(nil), c.Interactions...)}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Serve starts a server replaying c for the length of the test: it is closed
// when the test ends, and every mismatched request then fails the test with
// a message naming what was sent and what was recorded. Interactions left
// unserved are not an error by themselves (several recordings repeat a
// conversation); call [Server.Verify] to require them all.
func Serve(tb testing.TB, c *Cassette) *Server {
	tb.Helper()
	s := NewServer(c)
	tb.Cleanup(func() {
		s.Close()
		for _, m := range s.Mismatches() {
			tb.Error(m)
		}
	})
	return s
}

// URL returns the server's root URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

// Client returns an HTTP client configured for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// BaseURL returns the base URL to give the SDK under test, in that SDK's
// own form, for the host of the first interaction: URL()+"/v1" for OpenAI
// and Ollama, URL()+"/api/v1" for OpenRouter, URL() for Anthropic and Google.
func (s *Server) BaseURL() string {
	if len(s.interactions) == 0 {
		return s.srv.URL
	}
	return s.srv.URL + s.interactions[0].Request.APIPrefix()
}

// BaseURLFor is [Server.BaseURL] for the first interaction of dialect d, for
// cassettes that switch provider. It panics if the cassette has none, since
// an empty base URL would send the client to the real provider.
func (s *Server) BaseURLFor(d Dialect) string {
	for _, it := range s.interactions {
		if it.Dialect() == d {
			return s.srv.URL + it.Request.APIPrefix()
		}
	}
	panic(fmt.Sprintf("replay: the cassette has no %s interaction", d))
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Mismatches returns the requests that matched no interaction.
func (s *Server) Mismatches() []Mismatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mismatch(nil), s.mismatches...)
}

// Remaining returns the indexes of the interactions not served yet.
func (s *Server) Remaining() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var idx []int
	for i := s.next; i < len(s.interactions); i++ {
		idx = append(idx, i)
	}
	return idx
}

// Verify returns an error describing every mismatch and every interaction
// left unserved, or nil when the client made exactly the recorded requests.
func (s *Server) Verify() error {
	var errs []error
	for _, m := range s.Mismatches() {
		errs = append(errs, m)
	}
	for _, i := range s.Remaining() {
		r := s.interactions[i].Request
		errs = append(errs, fmt.Errorf("replay: interaction %d (%s %s) was never requested", i, r.Method, r.URI))
	}
	return errors.Join(errs...)
}

// DiffSent compares every request that matched an interaction with the
// recorded request (see [DiffRequest]) and returns the differences, each
// headed by the interaction it concerns, or "" when they all agree.
func (s *Server) DiffSent(opts ...DiffOption) string {
	var b strings.Builder
	for _, got := range s.Requests() {
		if got.Index < 0 {
			continue
		}
		if d := DiffRequest(s.interactions[got.Index].Request, got, opts...); d != "" {
			fmt.Fprintf(&b, "interaction %d (-recorded +sent):\n%s", got.Index, d)
		}
	}
	return b.String()
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	got := Received{
		Index:   -1,
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   r.URL.Query(),
		Header:  r.Header.Clone(),
		RawBody: raw,
	}
	if json.Unmarshal(raw, &got.Body) != nil {
		got.Body = nil
	}

	s.mu.Lock()
	var (
		it       Interaction
		mismatch *Mismatch
	)
	switch {
	case s.next >= len(s.interactions):
		mismatch = &Mismatch{Request: len(s.received), Interaction: -1, Got: describe(r.Method, r.URL)}
	case !matches(s.interactions[s.next].Request, r):
		want := s.interactions[s.next].Request
		mismatch = &Mismatch{Request: len(s.received), Interaction: s.next,
			Got: describe(r.Method, r.URL), Want: describe(want.Method, want.URL())}
		it = s.interactions[s.next]
	default:
		// A matching request consumes its interaction; a mismatched one
		// does not, so one stray request is reported once instead of
		// shifting every later interaction.
		got.Index = s.next
		it = s.interactions[s.next]
		s.next++
	}
	s.received = append(s.received, got)
	if mismatch != nil {
		s.mismatches = append(s.mismatches, *mismatch)
	}
	s.mu.Unlock()

	if mismatch != nil {
		d := it.Dialect()
		if d == "" {
			d = OpenAI
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Replay-Mismatch", "true")
		w.WriteHeader(StatusMismatch)
		io.WriteString(w, ErrorBody(d, StatusMismatch, mismatch.Error()))
		return
	}
	s.respond(w, got.Index, it.Response)
}

// matches reports whether r is the recorded request: same method and path,
// and the same query when one was recorded (e.g. Google's ?alt=sse).
func matches(want Request, r *http.Request) bool {
	u := want.URL()
	if r.Method != want.Method || r.URL.Path != u.Path {
		return false
	}
	if u.RawQuery == "" {
		return true
	}
	wq, gq := u.Query(), r.URL.Query()
	if len(wq) != len(gq) {
		return false
	}
	for k, v := range wq {
		if strings.Join(v, "\x00") != strings.Join(gq[k], "\x00") {
			return false
		}
	}
	return true
}

func describe(method string, u *url.URL) string {
	if u.RawQuery != "" {
		return method + " " + u.Path + "?" + u.RawQuery
	}
	return method + " " + u.Path
}

// hopHeaders describe the recorded transfer, not the body we replay (bodies
// are stored decoded), so they are never copied.
var hopHeaders = map[string]bool{"content-length": true, "content-encoding": true, "transfer-encoding": true, "connection": true}

func (s *Server) respond(w http.ResponseWriter, idx int, resp Response) {
	if resp.Status == 0 {
		// Drop: end the connection before any byte of a response.
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Headers {
		if !hopHeaders[strings.ToLower(k)] {
			w.Header().Set(k, v)
		}
	}
	rc := http.NewResponseController(w)
	w.WriteHeader(resp.Status)
	if resp.isSSE() {
		// Headers go out at once, as a streaming provider sends them.
		if rc.Flush() != nil {
			return
		}
		for i, ev := range splitEvents(resp.Body) {
			if s.beforeEvent != nil {
				s.beforeEvent(idx, i)
			}
			if _, err := io.WriteString(w, ev); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	} else if _, err := io.WriteString(w, resp.Body); err != nil {
		return
	}
	if resp.Abort {
		// Push out what was written, then abort: net/http closes the
		// connection without ending the chunked body, so the client reads
		// an unexpected EOF instead of a clean end.
		rc.Flush()
		panic(http.ErrAbortHandler)
	}
}
