package google

import (
	"context"
	"io"
	"net/http"
	"sync"
)

// The genai SDK turns an error response into a genai.APIError that keeps the
// body's code, message and details but not the response's headers, so a
// Retry-After would be lost; and it reports a body cut short as whatever
// its decoder made of the half it got. The provider therefore watches the
// HTTP exchange itself: its client's transport is wrapped, and each call
// puts an *exchange in its request context for the wrapper to fill in.
// Calls share the client, never an exchange.

// exchange is what one call's HTTP exchange showed.
type exchange struct {
	mu      sync.Mutex
	status  int         // 0 until a response arrived
	header  http.Header // the response's headers
	readErr error       // the first error reading the body, other than io.EOF
}

type exchangeKey struct{}

// observe returns a context under which the observed transport records the
// exchange in the returned *exchange.
func observe(ctx context.Context) (context.Context, *exchange) {
	ex := &exchange{}
	return context.WithValue(ctx, exchangeKey{}, ex), ex
}

func (ex *exchange) response() (status int, header http.Header, readErr error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.status, ex.header, ex.readErr
}

// observed returns a copy of hc whose transport records exchanges. hc itself
// is not modified: it may be the caller's client, shared with other code.
func observed(hc *http.Client) *http.Client {
	c := *hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &observingTransport{base: base}
	return &c
}

type observingTransport struct{ base http.RoundTripper }

func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	ex, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil || resp == nil {
		return resp, err
	}
	ex.mu.Lock()
	ex.status, ex.header = resp.StatusCode, resp.Header
	ex.mu.Unlock()
	resp.Body = &observedBody{ReadCloser: resp.Body, ex: ex}
	return resp, err
}

// observedBody records the first failure to read the body. A connection
// dropped mid-body shows up here as io.ErrUnexpectedEOF even when the SDK
// goes on to report the half-read event as malformed JSON.
type observedBody struct {
	io.ReadCloser
	ex *exchange
}

func (b *observedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.ex.mu.Lock()
		if b.ex.readErr == nil {
			b.ex.readErr = err
		}
		b.ex.mu.Unlock()
	}
	return n, err
}
