package openai

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"net/http"
)

// isEventStream reports whether a response is a server-sent event stream.
func isEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

// sseFilter drops SSE comment lines (": ...") and blank lines before
// go-openai reads the stream.
//
// go-openai reads an event stream line by line and returns every "data:"
// line as an event. Every other line is counted as an "empty message" (300
// in a row fail the stream) and appended to a buffer it later parses as the
// body of an error event. OpenRouter sends ": OPENROUTER PROCESSING"
// keep-alive comments while a slow model thinks, so without this filter a
// long wait fails a healthy stream, and an error event that follows a
// comment no longer parses and is lost. Comments carry nothing by the SSE
// specification, and blank lines (event separators) carry nothing for a
// line reader, so dropping them changes no event.
type sseFilter struct {
	r      *bufio.Reader
	closer io.Closer
	// pending is the kept part of the line being passed on: a view of r's
	// buffer, valid until r is read again, which happens only once it is
	// empty. Lines are not copied out one by one: an event is a few
	// hundred bytes, and a stream has thousands.
	pending []byte
	err     error // the error that ends the stream, once the pending bytes are out
	// A line longer than r's buffer arrives in pieces: midLine says the
	// next piece continues a line, dropping that the line is noise.
	midLine, dropping bool
}

func newSSEFilter(rc io.ReadCloser) *sseFilter {
	return &sseFilter{r: bufio.NewReader(rc), closer: rc}
}

// Read passes on as many whole kept lines as p holds, but blocks only for
// the first: once it has bytes for the caller, it returns rather than wait
// on the network for a line that is not in yet.
func (f *sseFilter) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(f.pending) == 0 {
			if f.err != nil || (n > 0 && !f.lineBuffered()) {
				break
			}
			f.next()
			continue
		}
		c := copy(p[n:], f.pending)
		f.pending = f.pending[c:]
		n += c
	}
	if n == 0 && f.err != nil {
		return 0, f.err
	}
	return n, nil
}

// next reads the next line, or the next piece of a long one, into pending
// unless it is noise.
func (f *sseFilter) next() {
	line, err := f.r.ReadSlice('\n')
	if !f.midLine {
		f.dropping = isSSENoise(line)
	}
	f.midLine = err == bufio.ErrBufferFull
	if !f.dropping {
		f.pending = line
	}
	if err != nil && err != bufio.ErrBufferFull {
		f.err = err
	}
}

// lineBuffered reports whether a whole line is already buffered, so that
// reading it cannot block.
func (f *sseFilter) lineBuffered() bool {
	b, _ := f.r.Peek(f.r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

func (f *sseFilter) Close() error { return f.closer.Close() }

func isSSENoise(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	return len(line) == 0 || line[0] == ':'
}
