package faultserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// AnyModel is the script key that answers every model without a script of
// its own.
const AnyModel = "*"

// maxBody bounds a request body; chat requests are far smaller.
const maxBody = 32 << 20

// A Server is a scripted OpenAI-compatible server. Its methods are safe for
// concurrent use.
type Server struct {
	hs     *http.Server
	url    string
	served chan struct{} // closed when hs.Serve returns

	// ctx is cancelled by Close, ending stalls and any other wait.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	scripts  map[string][]Step
	answered map[string]int // steps consumed per script key
	requests []Request
	active   int           // requests being served
	idle     chan struct{} // closed when active drops to 0; nil when nobody waits
}

// New starts a server on 127.0.0.1 at a free port. It panics if it cannot
// listen, as httptest.NewServer does; use [Start] to get the error instead.
func New() *Server {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	return s
}

// Start starts a server listening on addr, e.g. "127.0.0.1:0" for a free
// loopback port (what `llmhost demo` uses). The caller must Close it.
func Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("faultserver: %w", err)
	}
	s := &Server{
		url:      "http://" + ln.Addr().String() + "/v1",
		served:   make(chan struct{}),
		scripts:  map[string][]Step{},
		answered: map[string]int{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hs = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(s.served)
		s.hs.Serve(ln)
	}()
	return s, nil
}

// URL returns the base URL to give an OpenAI client, ending in /v1:
// requests go to URL()+"/chat/completions".
func (s *Server) URL() string { return s.url }

// Close stops the server: stalled requests end, connections close, and
// Close returns once every handler has returned.
func (s *Server) Close() {
	s.cancel()
	s.hs.Close()
	<-s.served
	s.WaitIdle(context.Background())
}

// Script appends steps to the queue of model, or of every unscripted model
// when model is [AnyModel]. Each request for the model consumes the next
// step (an [Always] step stays). A model with a script never falls back to
// the AnyModel script, even once its own queue is empty.
func (s *Server) Script(model string, steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[model] = append(s.scripts[model], steps...)
}

// Remaining returns how many steps are left in the queue of model (or of
// [AnyModel]), so a test can check that its script was used up.
func (s *Server) Remaining(model string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.scripts[model])
}

// Requests returns the requests made for model, in arrival order.
func (s *Server) Requests(model string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Model == model {
			out = append(out, r)
		}
	}
	return out
}

// AllRequests returns every request received, in arrival order.
func (s *Server) AllRequests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitIdle blocks until no request is being served, or ctx is done. Tests
// use it to prove that a request the client abandoned (a stall) has ended
// on the server too.
func (s *Server) WaitIdle(ctx context.Context) error {
	s.mu.Lock()
	if s.active == 0 {
		s.mu.Unlock()
		return nil
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) enter() {
	s.mu.Lock()
	s.active++
	s.mu.Unlock()
}

func (s *Server) leave() {
	s.mu.Lock()
	s.active--
	if s.active == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
	s.mu.Unlock()
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.enter()
	// Deferred, so it also runs when a step aborts the connection by
	// panicking with http.ErrAbortHandler.
	defer s.leave()

	if r.URL.Path != "/v1/chat/completions" {
		writeError(w, http.StatusNotFound, APIError{
			Message: fmt.Sprintf("faultserver: unknown endpoint %s %s; it serves POST /v1/chat/completions", r.Method, r.URL.Path),
			Type:    "invalid_request_error", Code: "unknown_url",
		})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, APIError{
			Message: "faultserver: " + r.Method + " is not allowed; use POST", Type: "invalid_request_error",
		})
		return
	}

	req := Request{Time: time.Now(), Header: r.Header.Clone()}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	req.RawBody = raw
	if err == nil {
		err = json.Unmarshal(raw, &req.Body)
	}
	if err == nil && req.Body == nil {
		err = errors.New("the body is null")
	}
	if err == nil {
		req.parseBody()
	}

	step, problem := s.take(&req, err == nil)
	if err != nil {
		writeError(w, http.StatusBadRequest, APIError{
			Message: "We could not parse the JSON body of your request. (faultserver: " + err.Error() + ")",
			Type:    "invalid_request_error",
		})
		return
	}
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_faultserver_%d", req.Seq))
	if problem != "" {
		writeError(w, http.StatusInternalServerError, APIError{Message: problem, Type: "server_error", Code: "script_exhausted"})
		return
	}
	// Func steps decide here, outside the lock, since they may well look
	// at the server's records.
	step = step.resolve(req)
	s.mu.Lock()
	s.requests[req.Seq].Step = step.String()
	s.mu.Unlock()

	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	unlink := context.AfterFunc(s.ctx, stop)
	defer unlink()

	for k, vs := range step.header {
		w.Header()[k] = append(w.Header()[k], vs...)
	}
	step.serve(&exchange{
		w: w, r: r, rc: http.NewResponseController(w), req: req, ctx: ctx,
		id:      fmt.Sprintf("chatcmpl-fs%d", req.Seq),
		created: req.Time.Unix(),
	})
}

// take records req and takes its step off the script; problem explains why
// there is none. A request whose body did not parse (valid false) is
// recorded but consumes nothing.
func (s *Server) take(req *Request, valid bool) (step Step, problem string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req.Seq = len(s.requests)
	defer func() { s.requests = append(s.requests, *req) }()
	if !valid {
		return Step{}, "invalid body"
	}

	key := req.Model
	queue, scripted := s.scripts[key]
	if !scripted {
		key = AnyModel
		queue, scripted = s.scripts[key]
	}
	switch {
	case !scripted:
		return Step{}, fmt.Sprintf("faultserver: no script for model %q and no %q script", req.Model, AnyModel)
	case len(queue) == 0 && key == AnyModel:
		return Step{}, fmt.Sprintf("faultserver: no scripted step left for model %q in the %q script (%d answered)", req.Model, AnyModel, s.answered[key])
	case len(queue) == 0:
		return Step{}, fmt.Sprintf("faultserver: no scripted step left for model %q (%d answered)", req.Model, s.answered[key])
	}
	step = queue[0]
	if !step.always {
		s.scripts[key] = queue[1:]
	}
	s.answered[key]++
	req.Step = step.String()
	return step, ""
}

func writeError(w http.ResponseWriter, status int, e APIError) {
	body := mustJSON(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
