// Package hostile is a table of HTTP answers whose size the peer chooses,
// run against a provider through the engine: an endless or a 2 GiB body, a
// stream whose one event never ends, an endless stream of small events, an
// error status with a gigabyte of body, a gzip bomb, endless headers and a
// body that drips one byte at a time. Each provider's limits_test.go runs
// it with the events and bodies of its own wire format.
//
// The servers generate the bytes as they send them, from one small
// buffer, so the memory a test measures is the client's. The bound each
// case asserts is on the peak of the heap while the call runs, sampled
// every millisecond from runtime/metrics: reading an unbounded answer
// grows the heap for seconds, which no sampling misses. (The bytes
// allocated in all are no bound to assert: go-openai's regular
// expressions churn through hundreds of MiB of garbage per MiB of stream
// under the race detector, which defeats sync.Pool.)
package hostile

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/llm"
)

// Wire describes one provider's protocol, enough to start the answers the
// table makes endless.
type Wire struct {
	// Model is the model id called, e.g. "openai/gpt-4o-mini".
	Model string
	// BaseURL turns the test server's URL into the provider's base URL.
	BaseURL func(server string) string
	// BodyPrefix starts a 2xx JSON body whose string value the server then
	// fills without end: `{"id":"`.
	BodyPrefix string
	// Event is one small, valid stream event of text, blank line included.
	Event string
	// EventPrefix starts a stream event whose data the server then fills
	// without end, on one line: `data: {"x":"`.
	EventPrefix string
}

// GiB is what the servers offer where the attack is "a huge body".
const GiB = 1 << 30

// Bound is the most the heap may grow while a call reads a hostile answer,
// under the limits of the table (a few MiB) and under the default limits
// alike: far below the gigabytes offered.
const Bound = 200 << 20

// small are the limits most cases run with, so that they stay quick.
var small = llm.ResponseLimits{MaxBody: 1 << 20, MaxEvent: 256 << 10, MaxStream: 2 << 20, MaxErrorBody: 64 << 10}

// Run runs the table against w.
func Run(t *testing.T, w Wire) {
	t.Run("body of 2 GiB", func(t *testing.T) {
		e := w.call(t, false, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.Header().Set("Content-Length", fmt.Sprint(2*GiB))
			fill(rw, w.BodyPrefix, 2*GiB)
		})
		wantLimit(t, e, "MaxBody", small.MaxBody)
	})
	t.Run("endless body", func(t *testing.T) {
		e := w.call(t, false, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			fill(rw, w.BodyPrefix, -1)
		})
		wantLimit(t, e, "MaxBody", small.MaxBody)
	})
	t.Run("stream event of 1 GiB", func(t *testing.T) {
		e := w.call(t, true, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/event-stream")
			fill(rw, w.EventPrefix, GiB)
		})
		wantLimit(t, e, "MaxEvent", small.MaxEvent)
	})
	t.Run("endless stream of small events", func(t *testing.T) {
		e := w.call(t, true, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/event-stream")
			repeat(rw, w.Event)
		})
		wantLimit(t, e, "MaxStream", small.MaxStream)
	})
	t.Run("endless stream of small events with CRLF line ends", func(t *testing.T) {
		// Each "\r\n\r\n" ends an event: the stream's limit is reached,
		// not the event's.
		e := w.call(t, true, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/event-stream")
			repeat(rw, strings.ReplaceAll(w.Event, "\n", "\r\n"))
		})
		wantLimit(t, e, "MaxStream", small.MaxStream)
	})
	t.Run("stream answered as one endless body", func(t *testing.T) {
		// A stream request answered with a plain content type is a whole
		// body to the limits, and bounded as one.
		e := w.call(t, true, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			fill(rw, w.EventPrefix, -1)
		})
		wantLimit(t, e, "MaxBody", small.MaxBody)
	})
	for _, c := range []struct {
		status int
		kind   llm.Kind
		stream bool
	}{
		{http.StatusInternalServerError, llm.KindServer, false},
		{http.StatusTooManyRequests, llm.KindRateLimit, true},
		{http.StatusUnauthorized, llm.KindAuthentication, false},
	} {
		t.Run(fmt.Sprintf("status %d with 1 GiB of body, stream %v", c.status, c.stream), func(t *testing.T) {
			e := w.call(t, c.stream, small, func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/json")
				rw.WriteHeader(c.status)
				fill(rw, `{"error":{"message":"`, GiB)
			})
			if e.Kind != c.kind || e.Status != c.status {
				t.Errorf("got %s (status %d), want %s (status %d): the status decides the kind: %v", e.Kind, e.Status, c.kind, c.status, e)
			}
			if len(e.Message) > 4<<10 {
				t.Errorf("the error's message holds %d bytes of the body; it should be a short prefix", len(e.Message))
			}
		})
	}
	t.Run("gzip bomb", func(t *testing.T) {
		e := w.call(t, false, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(rw, gzip.BestSpeed)
			fill(zw, w.BodyPrefix, 2*GiB) // about 2 MiB on the wire
			zw.Close()
		})
		wantLimit(t, e, "MaxBody", small.MaxBody)
	})
	t.Run("endless headers", func(t *testing.T) {
		// net/http bounds response headers (Transport.MaxResponseHeaderBytes,
		// 10 MiB by default): the call fails, it does not grow.
		e := w.call(t, false, small, func(rw http.ResponseWriter, r *http.Request) {
			conn, buf, err := rw.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
			line := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
			for i := 0; i < 1<<20; i++ { // 1 GiB of headers, if read
				if _, err := buf.WriteString(line); err != nil {
					return
				}
			}
			buf.Flush()
		})
		if e.Kind != llm.KindConnection && e.Kind != llm.KindResponseValidation {
			t.Errorf("got %s, want connection or response_validation: %v", e.Kind, e)
		}
	})
	t.Run("slow drip with an attempt timeout", func(t *testing.T) {
		// One byte at a time, never finishing: RetryPolicy.AttemptTimeout
		// ends a whole answer that takes too long.
		e := w.call(t, false, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(http.StatusOK)
			drip(rw, r, w.BodyPrefix)
		}, llm.WithRetry(llm.RetryPolicy{MaxRetries: llm.NoRetries, AttemptTimeout: 200 * time.Millisecond}))
		if e.Kind != llm.KindTimeout {
			t.Errorf("got %s, want timeout: %v", e.Kind, e)
		}
	})
	t.Run("slow drip of a stream with an attempt timeout", func(t *testing.T) {
		e := w.call(t, true, small, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/event-stream")
			rw.WriteHeader(http.StatusOK)
			drip(rw, r, w.EventPrefix)
		}, llm.WithRetry(llm.RetryPolicy{MaxRetries: llm.NoRetries, AttemptTimeout: 200 * time.Millisecond}))
		if e.Kind != llm.KindTimeout {
			t.Errorf("got %s, want timeout: %v", e.Kind, e)
		}
	})
}

// RunDefaults serves 2 GiB of body, 1 GiB of one event and 1 GiB of error
// body under the default limits, asserts each is bounded, and logs what
// the process allocated for it.
func RunDefaults(t *testing.T, w Wire) {
	def := llm.DefaultResponseLimits()
	defer logPeakRSS(t)
	t.Run("body of 2 GiB", func(t *testing.T) {
		e := w.call(t, false, llm.ResponseLimits{}, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			fill(rw, w.BodyPrefix, 2*GiB)
		})
		wantLimit(t, e, "MaxBody", def.MaxBody)
	})
	t.Run("stream event of 1 GiB", func(t *testing.T) {
		e := w.call(t, true, llm.ResponseLimits{}, func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/event-stream")
			fill(rw, w.EventPrefix, GiB)
		})
		wantLimit(t, e, "MaxEvent", def.MaxEvent)
	})
	t.Run("error body of 1 GiB", func(t *testing.T) {
		e := w.call(t, false, llm.ResponseLimits{}, func(rw http.ResponseWriter, r *http.Request) {
			rw.WriteHeader(http.StatusBadGateway)
			fill(rw, "<html>", GiB)
		})
		if e.Kind != llm.KindServer || e.Status != http.StatusBadGateway {
			t.Errorf("got %s (status %d), want server (502): %v", e.Kind, e.Status, e)
		}
		if len(e.Message) > 4<<10 {
			t.Errorf("the error's message holds %d bytes of the body; it should be a short prefix", len(e.Message))
		}
	})
}

// logPeakRSS logs the process's peak resident memory, where /proc says.
func logPeakRSS(t *testing.T) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			t.Logf("peak RSS of the test process so far: %s", strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")))
		}
	}
}

// call serves h, makes one call to w.Model through it (streamed or not)
// under limits, and returns the error of its one attempt. It fails the
// test when the call succeeds, or when the process allocated more than
// Bound while it ran.
func (w Wire) call(t *testing.T, stream bool, limits llm.ResponseLimits, h http.HandlerFunc, opts ...llm.Option) *llm.Error {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	client := llm.LimitResponses(srv.Client(), limits)
	opts = append([]llm.Option{
		llm.WithRetry(llm.RetryPolicy{MaxRetries: llm.NoRetries}),
		llm.WithHTTPClient(client),
		llm.WithEndpoint(strings.SplitN(w.Model, "/", 2)[0], llm.Endpoint{BaseURL: w.BaseURL(srv.URL), APIKey: "test-key"}),
		llm.WithCooldowns(llm.NewCooldowns()),
	}, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs := []llm.Message{llm.User("hi")}

	runtime.GC()
	base, peak := heapPeak()
	var err error
	if stream {
		var sr *llm.StreamResponse
		sr, err = llm.Stream(ctx, w.Model, msgs, opts...)
		if err == nil {
			for _, e := range sr.Chunks() {
				if e != nil {
					break
				}
			}
			_, err = sr.Response()
		}
	} else {
		_, err = llm.Call(ctx, w.Model, msgs, opts...)
	}
	grew := peak() - base
	t.Logf("the heap peaked %.1f MiB above where it started while the call read the answer", float64(grew)/(1<<20))
	if grew > Bound {
		t.Errorf("the heap grew by %d MiB during the call, more than the %d MiB bound: the answer was not bounded", grew>>20, Bound>>20)
	}
	if ctx.Err() != nil {
		t.Fatalf("the call was still running after 30s: %v", err)
	}
	if err == nil {
		t.Fatal("the call succeeded on a hostile answer")
	}
	return attemptError(t, err)
}

// heapPeak samples the heap every millisecond from now on. It returns the
// heap now, and a function that stops the sampling and returns the largest
// heap seen.
func heapPeak() (base int64, stop func() int64) {
	heap := func() int64 {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		return int64(s[0].Value.Uint64())
	}
	base = heap()
	done, result := make(chan struct{}), make(chan int64)
	go func() {
		peak := base
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, heap())
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return base, func() int64 { close(done); return <-result }
}

// attemptError is the error of the one attempt err ended.
func attemptError(t *testing.T, err error) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want an *llm.Error", err, err)
	}
	if e.Kind == llm.KindRetriesExhausted {
		var inner *llm.Error
		if errors.As(e.Err, &inner) {
			return inner
		}
	}
	return e
}

// wantLimit requires e to be the response_validation error of the limit
// field with its value, naming the option that changes it.
func wantLimit(t *testing.T, e *llm.Error, field string, limit int64) {
	t.Helper()
	t.Logf("the error: %v", e)
	if e.Kind != llm.KindResponseValidation || !errors.Is(e, llm.ErrResponseTooLarge) {
		t.Fatalf("got %s (%v), want response_validation caused by llm.ErrResponseTooLarge", e.Kind, e)
	}
	for _, s := range []string{"ResponseLimits." + field, fmt.Sprint(limit), "llm.LimitResponses"} {
		if !strings.Contains(e.Message, s) {
			t.Errorf("the message %q does not name %q", e.Message, s)
		}
	}
	if e.Provider == "" {
		t.Errorf("the error names no provider: %v", e)
	}
}

// fill writes prefix, then 'a's until n bytes in all have gone, forever
// when n is negative, or until the client goes away.
func fill(w io.Writer, prefix string, n int64) {
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	n -= int64(len(prefix))
	chunk := bytes.Repeat([]byte("a"), 32<<10)
	for n != 0 {
		c := chunk
		if n > 0 && n < int64(len(c)) {
			c = c[:n]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		if n > 0 {
			n -= int64(len(c))
		}
	}
}

// repeat writes s without end, until the client goes away.
func repeat(w io.Writer, s string) {
	chunk := []byte(strings.Repeat(s, max(1, (32<<10)/len(s))))
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// drip writes prefix, then one byte every 50ms, flushed, until the client
// goes away.
func drip(w http.ResponseWriter, r *http.Request, prefix string) {
	io.WriteString(w, prefix)
	fl, _ := w.(http.Flusher)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if fl != nil {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if _, err := w.Write([]byte("a")); err != nil {
			return
		}
	}
}
