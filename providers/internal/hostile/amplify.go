package hostile

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/llm"
)

// A Bomb is a small answer that decodes into a large one: a body (or, for
// a stream, one event) that repeats a short JSON value such as `{},` in an
// array the SDK decodes into a slice of structs. Three bytes of `{},` in
// "choices" cost go-openai about 900 bytes of heap, so 30 MiB of them,
// within every size limit, took 8.9 GB before the limit on values.
type Bomb struct {
	Name   string
	Stream bool   // Prefix starts a stream event ("data: ..."), Suffix ends it
	Prefix string // the JSON before the repeated value
	Item   string // the repeated value, separator included: `{},`
	Suffix string // the JSON after it, closing the array (with one last value)
}

// RunBombs serves each bomb, filled to size bytes (30 MiB when size is 0:
// under the default body limit; for streams, 7 MiB: under the default event
// limit), under the default response limits, and asserts that the call
// fails with the error of ResponseLimits.MaxValues and that the heap stays
// within Bound.
func RunBombs(t *testing.T, w Wire, bombs []Bomb) {
	for _, b := range bombs {
		t.Run(b.Name, func(t *testing.T) {
			size := 30 << 20
			if b.Stream {
				size = 7 << 20
			}
			n := (size - len(b.Prefix) - len(b.Suffix)) / len(b.Item)
			body := b.Prefix + strings.Repeat(b.Item, n) + b.Suffix
			if b.Stream {
				body += "\n\n"
			}
			e := w.call(t, b.Stream, llm.ResponseLimits{}, func(rw http.ResponseWriter, r *http.Request) {
				ct := "application/json"
				if b.Stream {
					ct = "text/event-stream"
				}
				rw.Header().Set("Content-Type", ct)
				fmt.Fprint(rw, body)
			})
			def := llm.DefaultResponseLimits()
			wantLimit(t, e, "MaxValues", def.MaxValues)
			if !errors.Is(e, llm.ErrResponseTooLarge) {
				t.Errorf("the error is not llm.ErrResponseTooLarge: %v", e)
			}
		})
	}
}
