// Package oaiserver is a minimal OpenAI-compatible chat completions server
// on loopback, for measuring clients rather than servers: every answer is
// rendered once, up front, and each request costs the server a read of the
// body and one write. It serves the same fixed answer whole, or as a stream
// of Chunks server-sent events when the request asks for a stream.
package oaiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
)

// Chunks is how many content chunks a streamed answer has; the answer's
// text is Chunks words.
const Chunks = 1000

// Model is the model name the server reports.
const Model = "bench-model"

// Word is each chunk's content, and the answer is Chunks of them.
const Word = "word "

// Text is the whole answer, plain or streamed.
var Text = strings.Repeat(Word, Chunks)

// Server is a running server. URL is its base URL, ending in /v1, as
// clients take it (they append /chat/completions).
type Server struct {
	URL string
	// Requests counts the requests served, plain and streamed.
	Requests atomic.Int64

	ts         *httptest.Server
	plain, sse []byte
}

// Start starts a server; Close stops it.
func Start() *Server {
	s := &Server{plain: plainBody(), sse: streamBody()}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL + "/v1"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.ts.Close() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.Requests.Add(1)
	h := w.Header()
	// Only the stream flag matters; decoding the whole request would
	// charge the server's time to the client being measured.
	if bytes.Contains(body, []byte(`"stream":true`)) {
		h["Content-Type"] = []string{"text/event-stream"}
		h["Cache-Control"] = []string{"no-cache"}
		w.Write(s.sse)
		return
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{fmt.Sprint(len(s.plain))}
	w.Write(s.plain)
}

type usage struct {
	Prompt     int `json:"prompt_tokens"`
	Completion int `json:"completion_tokens"`
	Total      int `json:"total_tokens"`
}

var answerUsage = usage{Prompt: 12, Completion: Chunks, Total: 12 + Chunks}

func plainBody() []byte {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": Model,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": Text},
			"finish_reason": "stop",
		}},
		"usage": answerUsage,
	})
	return b
}

// streamBody is the whole event stream: a role chunk, Chunks content
// chunks, a finish chunk, a usage chunk with no choices (as OpenAI sends
// when asked for usage), and [DONE].
func streamBody() []byte {
	var b bytes.Buffer
	event := func(choices []any, u *usage) {
		m := map[string]any{"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": Model, "choices": choices}
		if u != nil {
			m["usage"] = u
		}
		j, _ := json.Marshal(m)
		b.WriteString("data: ")
		b.Write(j)
		b.WriteString("\n\n")
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}}
	}
	event(delta(map[string]any{"role": "assistant", "content": ""}, nil), nil)
	for range Chunks {
		event(delta(map[string]any{"content": Word}, nil), nil)
	}
	event(delta(map[string]any{}, "stop"), nil)
	event([]any{}, &answerUsage)
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}
