package replay

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Cassette is one recording: the interactions of a test, in the order they
// happened. Each [Load] returns a fresh copy, so a test may mutate it freely.
type Cassette struct {
	// Source names the original recording (repository@commit:path).
	Source string `json:"source"`
	// Interactions are served in this order.
	Interactions []Interaction `json:"interactions"`
	// Path is the file the cassette was loaded from.
	Path string `json:"-"`
}

// An Interaction is a recorded request and the response it got.
type Interaction struct {
	Request  Request  `json:"request"`
	Response Response `json:"response"`
}

// A Request is what the recorded client sent.
type Request struct {
	Method string `json:"method"`
	// URI is the absolute URL, query included, e.g.
	// "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse".
	URI string `json:"uri"`
	// Body is the JSON request body.
	Body map[string]any `json:"body"`
}

// A Response is what the server answered. Status, Headers and Body are as
// recorded (Body is the raw text, SSE included). Abort is never recorded: the
// fault helpers set it.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// Abort makes the server drop the connection after writing Body instead
	// of ending the response, so the client reads an unexpected EOF. With a
	// zero Status nothing at all is written first.
	Abort bool `json:"-"`
}

// Load reads a cassette. A relative path names a recording under [Dir]
// (e.g. "test_call/openai_gpt_4o_completions/sync.json"); an absolute path
// is read as is.
func Load(path string) (*Cassette, error) {
	if !filepath.IsAbs(path) {
		dir, err := Dir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, filepath.FromSlash(path))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	var c Cassette
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("replay: %s: %w", path, err)
	}
	if len(c.Interactions) == 0 {
		return nil, fmt.Errorf("replay: %s: no interactions", path)
	}
	for i, it := range c.Interactions {
		if _, err := url.Parse(it.Request.URI); err != nil {
			return nil, fmt.Errorf("replay: %s: interaction %d: %w", path, i, err)
		}
		if it.Request.Method == "" || it.Response.Status == 0 {
			return nil, fmt.Errorf("replay: %s: interaction %d lacks a method or a status", path, i)
		}
	}
	c.Path = path
	return &c, nil
}

// MustLoad is [Load] for tests: it fails the test on error.
func MustLoad(tb testing.TB, path string) *Cassette {
	tb.Helper()
	c, err := Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// A Dialect is a wire protocol, told from a request's path.
type Dialect string

const (
	// OpenAI is chat completions: OpenAI and every compatible server
	// (Ollama, OpenRouter, ...).
	OpenAI Dialect = "openai"
	// Anthropic is the Messages API.
	Anthropic Dialect = "anthropic"
	// Google is Gemini's generateContent / streamGenerateContent.
	Google Dialect = "google"
)

// URL returns the parsed URI. Load has checked that it parses.
func (r Request) URL() *url.URL {
	u, err := url.Parse(r.URI)
	if err != nil {
		return &url.URL{}
	}
	return u
}

// Dialect tells the wire protocol from the request path ("" if unknown).
func (r Request) Dialect() Dialect {
	p := r.URL().Path
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		return OpenAI
	case strings.Contains(p, "/v1/messages"):
		return Anthropic
	case strings.Contains(p, ":generateContent"), strings.Contains(p, ":streamGenerateContent"):
		return Google
	}
	return ""
}

// APIPrefix returns the part of the path that an SDK's base URL carries:
// "/v1" for OpenAI and Ollama, "/api/v1" for OpenRouter, "" for Anthropic and
// Google (whose SDKs take the host root and add /v1/messages or
// /v1beta/models/... themselves).
func (r Request) APIPrefix() string {
	p := r.URL().Path
	switch r.Dialect() {
	case OpenAI:
		return strings.TrimSuffix(p, "/chat/completions")
	case Anthropic:
		return p[:strings.Index(p, "/v1/messages")]
	case Google:
		for _, v := range []string{"/v1beta/", "/v1alpha/", "/v1/"} {
			if i := strings.Index(p, v); i >= 0 {
				return p[:i]
			}
		}
	}
	return ""
}

// BaseURL returns the base URL the recorded client was configured with, in
// its SDK's form, e.g. "https://openrouter.ai/api/v1" or
// "https://api.anthropic.com".
func (r Request) BaseURL() string {
	u := r.URL()
	return u.Scheme + "://" + u.Host + r.APIPrefix()
}

// Dialect is the wire protocol of the interaction.
func (it *Interaction) Dialect() Dialect { return it.Request.Dialect() }

// Model returns the model id the request named: the body's "model", or for
// Google the path segment models/<id>:method.
func (it *Interaction) Model() string {
	if m, ok := it.Request.Body["model"].(string); ok {
		return m
	}
	p := it.Request.URL().Path
	if _, rest, ok := strings.Cut(p, "/models/"); ok {
		id, _, _ := strings.Cut(rest, ":")
		return id
	}
	return ""
}

// Streamed reports whether the response is a server-sent event stream.
func (it *Interaction) Streamed() bool { return it.Response.isSSE() }

// Events returns the response body split into SSE events, each with its own
// trailing blank line, so that strings.Join(events, "") == Body. It returns
// nil for a body that is not an event stream.
func (it *Interaction) Events() []string {
	if !it.Streamed() {
		return nil
	}
	return splitEvents(it.Response.Body)
}

func (r Response) isSSE() bool {
	return strings.HasPrefix(strings.ToLower(r.header("content-type")), "text/event-stream")
}

// header looks a header up regardless of case, since recordings spell them
// in lower case and fault helpers may not.
func (r Response) header(key string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
