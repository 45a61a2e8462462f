package openai

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSSEFilter(t *testing.T) {
	cut := errors.New("connection reset")
	cases := []struct {
		name, in, want string
		err            error // what the source ends with; io.EOF when nil
	}{
		{"data passes", "data: {\"a\":1}\n\ndata: [DONE]\n\n", "data: {\"a\":1}\ndata: [DONE]\n", nil},
		{"comments and blank lines go", ": OPENROUTER PROCESSING\n\n: ping\r\n\r\ndata: x\n\n", "data: x\n", nil},
		{"other fields stay", "event: message\nid: 7\ndata: x\n\n", "event: message\nid: 7\ndata: x\n", nil},
		{"a cut line arrives, then the error", "data: x\n\ndata: {\"par", "data: x\ndata: {\"par", cut},
		{"a cut comment arrives not at all", "data: x\n\n: keep-al", "data: x\n", cut},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var src io.Reader = strings.NewReader(tc.in)
			if tc.err != nil {
				src = io.MultiReader(src, iotest.ErrReader(tc.err))
			}
			// One byte at a time, so that lines arrive in pieces.
			f := newSSEFilter(io.NopCloser(iotest.OneByteReader(src)))
			got, err := io.ReadAll(iotest.OneByteReader(f))
			if string(got) != tc.want {
				t.Errorf("filtered %q, want %q", got, tc.want)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("error %v, want %v", err, tc.err)
			}
			if tc.err == nil && err != nil {
				t.Errorf("error %v at a clean end", err)
			}
		})
	}
}
