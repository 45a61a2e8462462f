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
	r       *bufio.Reader
	closer  io.Closer
	pending []byte // filtered bytes not yet read
	err     error  // the error that ends the stream, once the pending bytes are out
}

func newSSEFilter(rc io.ReadCloser) *sseFilter {
	return &sseFilter{r: bufio.NewReader(rc), closer: rc}
}

func (f *sseFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		line, err := f.r.ReadBytes('\n')
		if !isSSENoise(line) {
			f.pending = line
		}
		f.err = err
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

func (f *sseFilter) Close() error { return f.closer.Close() }

func isSSENoise(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	return len(line) == 0 || line[0] == ':'
}
