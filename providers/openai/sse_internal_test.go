package openai

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
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
		// Lines longer than the filter's 4 KiB buffer arrive in pieces.
		{"a long data line passes whole", "data: " + long + "\n\ndata: y\n", "data: " + long + "\ndata: y\n", nil},
		{"a long comment goes whole", ": " + long + "\ndata: y\n", "data: y\n", nil},
	}
	for _, tc := range cases {
		// One byte at a time, so that lines arrive in pieces; and whole,
		// so that one Read passes on several lines.
		for _, bytewise := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/bytewise=%t", tc.name, bytewise), func(t *testing.T) {
				var src io.Reader = strings.NewReader(tc.in)
				if tc.err != nil {
					src = io.MultiReader(src, iotest.ErrReader(tc.err))
				}
				var f io.Reader
				if bytewise {
					f = iotest.OneByteReader(newSSEFilter(io.NopCloser(iotest.OneByteReader(src))))
				} else {
					f = newSSEFilter(io.NopCloser(src))
				}
				got, err := io.ReadAll(f)
				if string(got) != tc.want {
					t.Errorf("filtered %.100q, want %.100q", got, tc.want)
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
}

var long = strings.Repeat("0123456789", 1000)

// A Read that has bytes to give returns them rather than wait for a line
// the server has not sent yet: each event reaches go-openai as it comes.
func TestSSEFilterDoesNotWaitForMore(t *testing.T) {
	pr, pw := io.Pipe()
	f := newSSEFilter(pr)
	go pw.Write([]byte("data: x\n\ndata: y"))
	buf := make([]byte, 4096)
	done := make(chan string)
	go func() {
		n, _ := f.Read(buf)
		done <- string(buf[:n])
	}()
	select {
	case got := <-done:
		if got != "data: x\n" {
			t.Errorf("read %q, want the first line", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read waited for the rest of the stream")
	}
	pw.Close()
}
