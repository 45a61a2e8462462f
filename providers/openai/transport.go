package openai

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// This file is the provider's window on HTTP. go-openai reports an error
// status as an *openai.APIError without the response headers, and for a
// stream that fails with an error status it drops the response altogether,
// so Retry-After could not be read from anything go-openai returns. Nor can
// its errors tell a body cut by the network (connection) from a body that
// arrived whole but is not valid JSON (response_validation): the JSON
// decoder says io.ErrUnexpectedEOF for both.
//
// So every request carries an *exchange in its context, and the HTTPDoer
// that go-openai sends through (recorder) fills it in: the status and
// headers of the response, and the first error met while reading its body.
// Keying the record by the request's context keeps concurrent calls on one
// Provider apart without any shared state: each call makes its own exchange
// and is the only one that reads it.

// exchange is what the HTTP layer saw of one request.
type exchange struct {
	mu      sync.Mutex
	sent    bool          // the request reached the HTTP client
	status  int           // 0 until a response arrived
	header  http.Header   // the response headers
	body    io.ReadCloser // the response body, as handed to go-openai
	readErr error         // the first error reading the body, other than io.EOF
}

type exchangeKey struct{}

// withExchange returns a context whose request will be recorded in x.
func withExchange(ctx context.Context) (context.Context, *exchange) {
	x := &exchange{}
	return context.WithValue(ctx, exchangeKey{}, x), x
}

func exchangeFrom(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

func (x *exchange) markSent() {
	x.mu.Lock()
	x.sent = true
	x.mu.Unlock()
}

func (x *exchange) setResponse(status int, h http.Header, body io.ReadCloser) {
	x.mu.Lock()
	x.status, x.header, x.body = status, h, body
	x.mu.Unlock()
}

func (x *exchange) setReadErr(err error) {
	x.mu.Lock()
	if x.readErr == nil {
		x.readErr = err
	}
	x.mu.Unlock()
}

// snapshot returns what was recorded so far.
func (x *exchange) snapshot() (sent bool, status int, h http.Header, readErr error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.sent, x.status, x.header, x.readErr
}

// closeBody releases the response of a failed request. go-openai reads the
// body of an error status but never closes it on the streaming path.
func (x *exchange) closeBody() {
	x.mu.Lock()
	body := x.body
	x.mu.Unlock()
	if body != nil {
		body.Close()
	}
}

// recorder is the openai.HTTPDoer of every Provider: the caller's
// *http.Client, with each exchange recorded.
type recorder struct{ client *http.Client }

func (r recorder) Do(req *http.Request) (*http.Response, error) {
	x := exchangeFrom(req.Context())
	if x == nil {
		return r.client.Do(req)
	}
	x.markSent()
	resp, err := r.client.Do(req)
	if err != nil {
		return resp, err
	}
	var body io.ReadCloser = &watchedBody{ReadCloser: resp.Body, x: x}
	if isEventStream(resp.Header) {
		body = newSSEFilter(body)
	}
	resp.Body = body
	x.setResponse(resp.StatusCode, resp.Header, body)
	return resp, nil
}

// watchedBody records the first read error of a response body that is not
// its normal end: a connection cut, a reset, a cancelled context.
type watchedBody struct {
	io.ReadCloser
	x *exchange
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.x.setReadErr(err)
	}
	return n, err
}
