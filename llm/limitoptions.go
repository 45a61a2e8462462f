package llm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
)

// What a provider reads of one HTTP response is bounded, because the peer
// chooses its size: the user's own server, a compromised OpenAI-compatible
// one, or a proxy in between can answer with an endless body, a single
// server-sent event of gigabytes, or a gzip bomb (Go's transport inflates
// it transparently). The SDKs under the providers read whole bodies with
// io.ReadAll and whole events into one buffer, so without a bound one
// answer can take all the memory of the process.
//
// The bound is enforced below the SDKs, in the HTTP client every driver
// gets from Config.Resolve, so that every provider, including those of
// other packages, reads through the same limits and reports them the same
// way. The bytes counted are those the SDK reads: after decompression.

// The default response limits. Each is generous for real answers and
// keeps the memory one response can pin proportional to it.
const (
	// DefaultMaxResponseBody bounds a whole (not streamed) answer. The
	// largest real ones are a 128k-token answer (under 1 MiB of JSON), a
	// few base64 images or minutes of base64 audio (a few MiB each): 32 MiB
	// holds them several times over, while the SDKs' decoding of it stays
	// near 100 MiB.
	DefaultMaxResponseBody = 32 << 20

	// DefaultMaxStreamEvent bounds one server-sent event: its lines up to
	// the blank line that ends it. Real events are a few hundred bytes; the
	// largest are a whole function call or an inline image of a few MiB.
	// The bound is per event rather than per line because the SDKs join
	// the data lines of an event into one buffer.
	DefaultMaxStreamEvent = 8 << 20

	// DefaultMaxStream bounds the bytes of a whole stream. A 128k-token
	// answer streams as about 30 MiB of events (a few hundred bytes of
	// framing for each token or two); 64 MiB leaves room for twice that.
	// It exists because an endless stream of small events is not a stall
	// that RetryPolicy.AttemptTimeout catches, and everything streamed is
	// kept by the Stream's accumulator.
	DefaultMaxStream = 64 << 20

	// DefaultMaxErrorBody bounds what is read of an error status's body.
	// Real error bodies are under 10 KiB and a proxy's HTML page under
	// 100 KiB. What is past the bound is dropped, not failed: the status
	// decides the error's kind, and the body only its message.
	DefaultMaxErrorBody = 1 << 20

	// DefaultMaxValues bounds the JSON values of a whole answer, or of one
	// server-sent event: each object, array and element counts one (the
	// count is of '{', '[' and ',' outside strings). Size alone does not
	// bound what an answer costs once decoded: three bytes of "{}," in
	// OpenAI's "choices" decode into a struct of about 900 bytes, so a
	// 30 MiB body of them took 8.9 GB of heap and 33 s. Real answers hold a
	// few dozen values (the text is one string, however long; an image one
	// base64 string); the most are tool calls whose arguments are JSON
	// objects, where a thousand records of ten fields is 11,000 values.
	// 100,000 leaves room for ten times that, and bounds the decoded
	// answer to tens of MiB whatever its shape.
	DefaultMaxValues = 100_000
)

// ResponseLimits bound what a provider reads of one HTTP response. A zero
// field takes its default (DefaultMaxResponseBody, ...); a negative one
// means no bound, which is only safe with a peer that is trusted not to
// be hostile.
//
// MaxValues bounds what an answer costs once the provider's SDK decodes it,
// which its size does not (see DefaultMaxValues). It counts the values of a
// 2xx body, and of each event of a stream; an error body is bounded by
// MaxErrorBody alone.
//
// A 2xx body or stream past its bound fails with an *Error of kind
// response_validation that names the bound, which is not retried by
// default: the same server would send the same answer. An error status's
// body past MaxErrorBody is cut to it.
type ResponseLimits struct {
	MaxBody      int64 // a whole answer; default DefaultMaxResponseBody
	MaxEvent     int64 // one server-sent event; default DefaultMaxStreamEvent
	MaxStream    int64 // a whole stream; default DefaultMaxStream
	MaxErrorBody int64 // the part of an error body read; default DefaultMaxErrorBody
	MaxValues    int64 // JSON values of one answer or one event; default DefaultMaxValues
}

// DefaultResponseLimits returns the default limits with every field
// filled in.
func DefaultResponseLimits() ResponseLimits { return ResponseLimits{}.normalized() }

func (l ResponseLimits) normalized() ResponseLimits {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxBody, DefaultMaxResponseBody)
	def(&l.MaxEvent, DefaultMaxStreamEvent)
	def(&l.MaxStream, DefaultMaxStream)
	def(&l.MaxErrorBody, DefaultMaxErrorBody)
	def(&l.MaxValues, DefaultMaxValues)
	return l
}

// LimitResponses returns a copy of c (nil for a client like the one
// providers share) whose transport enforces l on every response. Give it
// to the engine with WithHTTPClient, or to a driver in Config.HTTPClient:
//
//	llm.WithHTTPClient(llm.LimitResponses(nil, llm.ResponseLimits{MaxBody: 128 << 20}))
//
// A client that is not limited this way gets the default limits when a
// driver resolves its Config. c itself is not modified.
func LimitResponses(c *http.Client, l ResponseLimits) *http.Client {
	if c == nil {
		c = sharedClient
	}
	out := *c
	base := c.Transport
	if lt, ok := base.(*limitTransport); ok {
		base = lt.base // replace earlier limits, never stack them
	}
	out.Transport = &limitTransport{base: base, limits: l.normalized()}
	return &out
}

// limitedClient is the client of a resolved Config: c as given when it
// already carries limits (with the provider named in its errors), else c
// with the default limits.
func limitedClient(c *http.Client, provider string) *http.Client {
	lt, ok := c.Transport.(*limitTransport)
	if !ok {
		c = LimitResponses(c, ResponseLimits{})
		lt = c.Transport.(*limitTransport)
	} else if lt.provider == provider {
		return c
	} else {
		cp := *c
		c = &cp
	}
	named := *lt
	named.provider = provider
	c.Transport = &named
	return c
}

// limitTransport is an http.RoundTripper whose responses' bodies read
// through the limits.
type limitTransport struct {
	base     http.RoundTripper // nil for http.DefaultTransport
	limits   ResponseLimits    // normalized
	provider string            // named in the errors; "" when unknown
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp == nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	b := &limitedBody{rc: resp.Body, t: t, status: resp.StatusCode, maxValues: -1}
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		b.max, b.truncate = t.limits.MaxErrorBody, true
	case isEventStream(resp.Header):
		b.max, b.maxEvent, b.stream = t.limits.MaxStream, t.limits.MaxEvent, true
		b.maxValues = t.limits.MaxValues
	default:
		b.max, b.maxValues = t.limits.MaxBody, t.limits.MaxValues
	}
	resp.Body = b
	return resp, nil
}

func isEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

// limitedBody is a response body read through one limit, and for a stream
// through the limit on each event too. It never reads more than one byte
// past a limit from the network, so what it buffers is the caller's.
type limitedBody struct {
	rc       io.ReadCloser
	t        *limitTransport
	status   int
	max      int64 // the whole body; negative for none
	truncate bool  // past max is the end of the body, not a failure
	stream   bool
	maxEvent int64 // one event; negative for none
	// maxValues bounds the JSON values of the body, or of each event of a
	// stream; negative for none (and for error bodies).
	maxValues int64

	mu    sync.Mutex // Close may come from another goroutine than Read
	n     int64      // bytes passed on
	event int64      // bytes of the event being read
	line  int64      // bytes of the line being read, but its '\n'
	last  byte       // the byte before, to tell "\r\n" from "\n"
	err   error      // once set, every Read returns it

	values   int64 // JSON values of the body, or of the event being read
	inString bool  // the last byte counted was inside a JSON string
	escaped  bool  // ... and right after its backslash
}

func (b *limitedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	err := b.err
	b.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if b.max >= 0 && int64(len(p)) > b.max-b.n+1 {
		p = p[:b.max-b.n+1] // one byte more tells a body at the limit from one past it
	}
	n, err := b.rc.Read(p)
	if b.max >= 0 && b.n+int64(n) > b.max {
		n = int(b.max - b.n)
		if b.truncate {
			err = io.EOF
		} else {
			what, field := "the response body", "MaxBody"
			if b.stream {
				what, field = "the stream", "MaxStream"
			}
			err = b.exceeded(what+" exceeded "+size(b.max), field, b.max)
		}
		b.fail(err)
	}
	if b.stream {
		if i, overValues := b.scan(p[:n]); i >= 0 {
			n = i
			if overValues {
				err = b.exceeded(fmt.Sprintf("a server-sent event of the stream held more than %d JSON values", b.maxValues), "MaxValues", b.maxValues)
			} else {
				err = b.exceeded(fmt.Sprintf("a server-sent event of the stream exceeded %s", size(b.maxEvent)), "MaxEvent", b.maxEvent)
			}
			b.fail(err)
		}
	} else if b.maxValues >= 0 {
		if i := b.count(p[:n]); i >= 0 {
			n = i
			err = b.exceeded(fmt.Sprintf("the response body held more than %d JSON values", b.maxValues), "MaxValues", b.maxValues)
			b.fail(err)
		}
	}
	b.n += int64(n)
	return n, err
}

// scan follows events through p and returns how many bytes of it fit
// within the event limits, or -1 when all of it does; overValues says
// that the limit passed was MaxValues rather than MaxEvent. An event ends
// at a blank line ("\n" or "\r\n" alone).
func (b *limitedBody) scan(p []byte) (fit int, overValues bool) {
	off := 0
	for off < len(p) {
		i := bytes.IndexByte(p[off:], '\n')
		if i < 0 {
			seg := p[off:]
			if j := b.count(seg); j >= 0 {
				return off + j, true
			}
			b.line += int64(len(seg))
			b.event += int64(len(seg))
			b.last = seg[len(seg)-1]
			if b.maxEvent >= 0 && b.event > b.maxEvent {
				return len(p) - int(b.event-b.maxEvent), false
			}
			return -1, false
		}
		if j := b.count(p[off : off+i+1]); j >= 0 {
			return off + j, true
		}
		prev := b.last
		if i > 0 {
			prev = p[off+i-1]
		}
		blank := b.line+int64(i) == 0 || (b.line+int64(i) == 1 && prev == '\r')
		b.event += int64(i + 1)
		if b.maxEvent >= 0 && b.event > b.maxEvent {
			return off + i + 1 - int(b.event-b.maxEvent), false
		}
		if blank {
			b.event, b.values = 0, 0
		}
		b.line, b.last = 0, '\n'
		off += i + 1
	}
	return -1, false
}

// count counts the JSON values in p, going on from the bytes before it,
// and returns how many bytes of p fit within MaxValues, or -1 when all of
// it does. A value is counted where it can cost an allocation once
// decoded: at each '{' and '[' and at each ',' outside a string. Strings
// are followed only within a line, since JSON writes a line end in a
// string as "\n": in a stream each data line is JSON of its own, and a
// body whose string holds a raw line end is not JSON, which every decoder
// refuses before it allocates anything.
func (b *limitedBody) count(p []byte) int {
	if b.maxValues < 0 {
		return -1
	}
	for i, c := range p {
		switch {
		case c == '\n':
			b.inString, b.escaped = false, false
		case b.escaped:
			b.escaped = false
		case b.inString:
			switch c {
			case '\\':
				b.escaped = true
			case '"':
				b.inString = false
			}
		case c == '"':
			b.inString = true
		case c == '{' || c == '[' || c == ',':
			b.values++
			if b.values > b.maxValues {
				return i
			}
		}
	}
	return -1
}

// exceeded is the error of a limit passed: what, the bound, and how to
// change it.
func (b *limitedBody) exceeded(what, field string, limit int64) error {
	unit := "bytes"
	if field == "MaxValues" {
		unit = "values"
	}
	return &Error{Kind: KindResponseValidation, Provider: b.t.provider, Status: b.status,
		Message: fmt.Sprintf("%s, the limit on what is read of one response (ResponseLimits.%s, %d %s): the server is misbehaving, or raise the limit with llm.LimitResponses", what, field, limit, unit),
		Err:     ErrResponseTooLarge}
}

func (b *limitedBody) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
}

func (b *limitedBody) Close() error {
	b.fail(http.ErrBodyReadAfterClose)
	return b.rc.Close()
}

// ErrResponseTooLarge is the cause of every error of a response past its
// ResponseLimits, for errors.Is.
var ErrResponseTooLarge = errors.New("llm: response too large")

// size prints a byte count the way the limits are documented.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
