package openai_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// The recordings hold no rate limits, server errors or broken streams.
// These tests build them from the recorded interactions and error shapes
// (replay's fault helpers) and check that each becomes the right *llm.Error
// through the whole engine, plain and streamed.

const (
	callSync   = "test_call/openai_gpt_4o_completions/sync.json"
	callStream = "test_call/openai_gpt_4o_completions/stream.json"
)

var question = []llm.Message{llm.User("What is 4200 + 42?")}

// callNames are the two recordings of a plain question, by call style.
var callNames = map[string]string{"sync": callSync, "stream": callStream}

// readStream reads a stream to its end, returning the text it yielded and
// the error that ended it.
func readStream(t *testing.T, sr *llm.StreamResponse) (string, error) {
	t.Helper()
	var text strings.Builder
	for c, err := range sr.Chunks() {
		if err != nil {
			return text.String(), err
		}
		if c.Kind == llm.ChunkText {
			text.WriteString(c.Text)
		}
	}
	return text.String(), nil
}

// attempt makes one call or stream with retries off and returns its error.
func attempt(t *testing.T, streamed bool, model string, opts ...llm.Option) error {
	t.Helper()
	opts = append(opts, llm.WithMaxRetries(0))
	if !streamed {
		_, err := llm.Call(t.Context(), model, question, opts...)
		return err
	}
	sr, err := llm.Stream(t.Context(), model, question, opts...)
	if err != nil {
		return err
	}
	_, err = readStream(t, sr)
	return err
}

func TestRateLimitCapturesRetryAfter(t *testing.T) {
	cases := []struct {
		header, value string
		want          time.Duration
	}{
		{"Retry-After", "7", 7 * time.Second},
		{"retry-after-ms", "1500", 1500 * time.Millisecond},
	}
	for _, kind := range []string{"sync", "stream"} {
		for _, c := range cases {
			t.Run(kind+"/"+c.header, func(t *testing.T) {
				r := serve(t, callNames[kind], func(cs *replay.Cassette) {
					cs.Interactions[0].SetError(429, c.header, c.value)
				})
				err := attempt(t, kind == "stream", gpt4o, r.opts("openai")...)
				e := wantError(t, err, llm.KindRateLimit, 429, recordedError(t, r.c.Interactions[0]))
				if e.RetryAfter != c.want {
					t.Errorf("RetryAfter %v, want %v from %s: %s", e.RetryAfter, c.want, c.header, c.value)
				}
			})
		}
	}
}

// TestRetryAfterIsHonoured: a 429 asking for 7s, then the recorded answer.
// The engine waits exactly what the provider asked, retries, and records
// the failed attempt, for calls and for streams alike.
func TestRetryAfterIsHonoured(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			r := serve(t, callNames[kind], func(c *replay.Cassette) {
				limited := c.Interactions[0]
				limited.SetError(429, "Retry-After", "7")
				c.Interactions = append([]replay.Interaction{limited}, c.Interactions...)
			})
			clock := clocktest.At(time.Unix(1_700_000_000, 0))
			resp, err := complete(t, t.Context(), kind == "stream", gpt4o, question, r.opts("openai", llm.WithClock(clock))...)
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[1]), "")
			if d := cmp.Diff([]time.Duration{7 * time.Second}, clock.Sleeps()); d != "" {
				t.Errorf("waits before retrying (-want +got):\n%s", d)
			}
			if len(resp.Attempts) != 1 || resp.Attempts[0].Error.Kind != llm.KindRateLimit || resp.Attempts[0].Error.RetryAfter != 7*time.Second {
				t.Errorf("attempts %v, want the one rate limit with its Retry-After", resp.Attempts)
			}
			r.checkSent()
		})
	}
}

func TestServerErrors(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		for _, status := range []int{500, 502, 503, 529} {
			t.Run(fmt.Sprintf("%s/%d", kind, status), func(t *testing.T) {
				r := serve(t, callNames[kind], func(c *replay.Cassette) { c.Interactions[0].SetError(status) })
				err := attempt(t, kind == "stream", gpt4o, r.opts("openai")...)
				wantError(t, err, llm.KindServer, status, recordedError(t, r.c.Interactions[0]))
			})
		}
	}
}

// TestStatusErrorsOnStreams serves the recorded 401 and 404, and OpenAI's
// 400 model_not_found, to calls and to streams: a stream's error status
// comes back with the same kind, status and message as a call's.
func TestStatusErrorsOnStreams(t *testing.T) {
	auth := replay.MustLoad(t, "test_authentication_error/openai_gpt_4o_completions/sync.json").Interactions[0].Response
	missing := replay.MustLoad(t, "test_model_not_found/openai_gpt_4o_completions/sync.json").Interactions[0].Response
	missing400 := missing
	missing400.Status = 400 // the same body, as OpenAI sends it for some models

	cases := []struct {
		name   string
		resp   replay.Response
		kind   llm.Kind
		status int
	}{
		{"401", auth, llm.KindAuthentication, 401},
		{"404", missing, llm.KindNotFound, 404},
		{"400 model_not_found", missing400, llm.KindNotFound, 400},
	}
	for _, kind := range []string{"sync", "stream"} {
		for _, c := range cases {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				r := serve(t, callNames[kind], func(cs *replay.Cassette) { cs.Interactions[0].Response = c.resp })
				err := attempt(t, kind == "stream", gpt4o, r.opts("openai")...)
				wantError(t, err, c.kind, c.status, recordedError(t, r.c.Interactions[0]))
			})
		}
	}
}

// textOf returns the text of the first n events of a recorded stream.
func textOf(t *testing.T, it replay.Interaction, n int) string {
	t.Helper()
	it.Response.Body = strings.Join(it.Events()[:n], "")
	return recordedAnswer(t, it).Text
}

// checkPartial requires the stream's messages to end with the partial
// answer, so that Resume gives the model its own words.
func checkPartial(t *testing.T, sr *llm.StreamResponse, partial string) {
	t.Helper()
	msgs := sr.Messages()
	last := msgs[len(msgs)-1]
	if last.Role != llm.RoleAssistant || last.Text() != partial {
		t.Errorf("the stream's last message is %s %q, want the partial answer %q", last.Role, last.Text(), partial)
	}
}

// TestStreamCut: the connection drops in the middle of an event, after
// some text. The failure is a connection error, and the text received is
// kept, in what the stream yielded and in its messages.
func TestStreamCut(t *testing.T) {
	const kept = 4 // events before the cut: role, "420", "0", " +"
	r := serve(t, callStream, func(c *replay.Cassette) {
		if err := c.Interactions[0].CutStream(kept, true); err != nil {
			panic(err)
		}
	})
	partial := textOf(t, replay.MustLoad(t, callStream).Interactions[0], kept)
	if partial == "" {
		t.Fatal("the cut keeps no text; cut later")
	}
	sr, err := llm.Stream(t.Context(), gpt4o, question, r.opts("openai", llm.WithMaxRetries(0))...)
	if err != nil {
		t.Fatal(err)
	}
	text, err := readStream(t, sr)
	wantError(t, err, llm.KindConnection, 0, "")
	if text != partial {
		t.Errorf("streamed %q before the cut, want %q", text, partial)
	}
	checkPartial(t, sr, partial)
}

// TestStreamCutThenResumed: with a retry left, the engine resumes the cut
// answer on the same model; the reader gets the partial text and then the
// continuation, and the second request carries the partial answer.
func TestStreamCutThenResumed(t *testing.T) {
	const kept = 4
	r := serve(t, callStream, func(c *replay.Cassette) {
		whole := c.Interactions[0]
		if err := c.Interactions[0].CutStream(kept, true); err != nil {
			panic(err)
		}
		c.Interactions = append(c.Interactions, whole)
	})
	whole := r.c.Interactions[1]
	partial := textOf(t, whole, kept)
	sr, err := llm.Stream(t.Context(), gpt4o, question, r.opts("openai",
		llm.WithMaxRetries(1), llm.WithClock(&clocktest.Clock{}))...)
	if err != nil {
		t.Fatal(err)
	}
	text, err := readStream(t, sr)
	if err != nil {
		t.Fatal(err)
	}
	if want := partial + recordedAnswer(t, whole).Text; text != want {
		t.Errorf("streamed %q, want the partial text then the continuation: %q", text, want)
	}
	resumed := r.srv.Requests()[1].Body["messages"].([]any)
	want := []any{
		map[string]any{"role": "user", "content": "What is 4200 + 42?"},
		map[string]any{"role": "assistant", "content": partial},
		map[string]any{"role": "user", "content": llm.ResumePrompt},
	}
	if d := cmp.Diff(want, resumed); d != "" {
		t.Errorf("the resuming request's messages (-want +got):\n%s", d)
	}
}

// TestStreamErrorEvent: OpenAI fails part way through a 200 stream with an
// error event. That is a server error, in OpenAI's words, and the text
// before it is kept.
func TestStreamErrorEvent(t *testing.T) {
	const kept = 4
	r := serve(t, callStream, func(c *replay.Cassette) {
		if err := c.Interactions[0].InjectErrorEvent(kept); err != nil {
			panic(err)
		}
	})
	partial := textOf(t, replay.MustLoad(t, callStream).Interactions[0], kept)
	sr, err := llm.Stream(t.Context(), gpt4o, question, r.opts("openai", llm.WithMaxRetries(0))...)
	if err != nil {
		t.Fatal(err)
	}
	text, err := readStream(t, sr)
	wantError(t, err, llm.KindServer, 0, "The server had an error while processing your request. Sorry about that!")
	if text != partial {
		t.Errorf("streamed %q before the error, want %q", text, partial)
	}
	checkPartial(t, sr, partial)
}

const openRouterStream = "test_openrouter_stream/openrouter_anthropic_claude_3_5_sonnet_20241022/sync.json"

// TestOpenRouterKeepAlives: OpenRouter sends ": OPENROUTER PROCESSING"
// comments while a model is slow. However many arrive, the stream is
// healthy, and an error event after them is still understood.
func TestOpenRouterKeepAlives(t *testing.T) {
	model := "openrouter/anthropic/claude-3-5-sonnet-20241022"
	keepAlive := ": OPENROUTER PROCESSING\n\n"

	t.Run("a long wait", func(t *testing.T) {
		// go-openai alone fails a stream after 300 lines without data.
		r := serve(t, openRouterStream, func(c *replay.Cassette) {
			c.Interactions[0].Response.Body = strings.Repeat(keepAlive, 1000) + c.Interactions[0].Response.Body
		})
		resp, err := complete(t, t.Context(), true, model, []llm.Message{llm.User("Say hello in one word")}, r.opts("openrouter")...)
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, resp, recordedAnswer(t, replay.MustLoad(t, openRouterStream).Interactions[0]), "")
	})

	t.Run("an error after them", func(t *testing.T) {
		r := serve(t, openRouterStream, func(c *replay.Cassette) {
			events := c.Interactions[0].Events()
			if !strings.HasPrefix(events[0], ":") {
				panic("the recording no longer starts with a keep-alive")
			}
			c.Interactions[0].Response.Body = events[0] + events[1] + replay.ErrorEvent(replay.OpenAI)
		})
		sr, err := llm.Stream(t.Context(), model, []llm.Message{llm.User("Say hello in one word")},
			r.opts("openrouter", llm.WithMaxRetries(0))...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = readStream(t, sr)
		wantError(t, err, llm.KindServer, 0, "The server had an error while processing your request. Sorry about that!")
	})
}

func TestMalformedResponses(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			r := serve(t, callNames[kind], func(c *replay.Cassette) { c.Interactions[0].MalformBody() })
			err := attempt(t, kind == "stream", gpt4o, r.opts("openai")...)
			wantError(t, err, llm.KindResponseValidation, 200, "")
		})
	}
}

// TestBodyCut: a plain answer whose body the network cuts is a connection
// error, not a malformed body, though the JSON decoder says "unexpected
// EOF" for both.
func TestBodyCut(t *testing.T) {
	r := serve(t, callSync, func(c *replay.Cassette) {
		resp := &c.Interactions[0].Response
		resp.Body, resp.Abort = resp.Body[:len(resp.Body)/2], true
	})
	wantError(t, attempt(t, false, gpt4o, r.opts("openai")...), llm.KindConnection, 0, "")
}

// TestStreamEndsEarly: a stream that ends cleanly before the model said
// why it stopped was cut (by a proxy, say): connection, partial kept.
func TestStreamEndsEarly(t *testing.T) {
	const kept = 4
	r := serve(t, callStream, func(c *replay.Cassette) {
		events := c.Interactions[0].Events()
		c.Interactions[0].Response.Body = strings.Join(events[:kept], "")
	})
	sr, err := llm.Stream(t.Context(), gpt4o, question, r.opts("openai", llm.WithMaxRetries(0))...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readStream(t, sr)
	wantError(t, err, llm.KindConnection, 0, "")
	checkPartial(t, sr, textOf(t, replay.MustLoad(t, callStream).Interactions[0], kept))
}

func TestConnectionFailures(t *testing.T) {
	// A port that was listening a moment ago and is closed now.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/v1"
	l.Close()

	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind+"/refused", func(t *testing.T) {
			err := attempt(t, kind == "stream", gpt4o,
				llm.WithEndpoint("openai", llm.Endpoint{BaseURL: refused, APIKey: "test"}), llm.WithCooldowns(llm.NewCooldowns()))
			wantError(t, err, llm.KindConnection, 0, "")
		})
		t.Run(kind+"/dropped", func(t *testing.T) {
			r := serve(t, callNames[kind], func(c *replay.Cassette) { c.Interactions[0].Drop() })
			wantError(t, attempt(t, kind == "stream", gpt4o, r.opts("openai")...), llm.KindConnection, 0, "")
		})
	}
}

// stallingServer answers after writing prefix (status, headers and maybe
// some events) and then says nothing until the client gives up.
func stallingServer(t *testing.T, prefix func(w http.ResponseWriter)) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if prefix != nil {
			prefix(w)
			http.NewResponseController(w).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first: frees the handlers
	return srv.URL + "/v1"
}

// TestStalls: a server that stops talking fails the attempt at its timeout,
// as a timeout: before answering, and part way through a stream (keeping
// what arrived).
func TestStalls(t *testing.T) {
	policy := llm.WithRetry(llm.RetryPolicy{MaxRetries: llm.NoRetries, AttemptTimeout: time.Second})
	endpoint := func(url string) []llm.Option {
		return []llm.Option{llm.WithEndpoint("openai", llm.Endpoint{BaseURL: url, APIKey: "test"}), llm.WithCooldowns(llm.NewCooldowns()), policy}
	}

	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind+"/before the answer", func(t *testing.T) {
			url := stallingServer(t, nil)
			err := attempt(t, kind == "stream", gpt4o, endpoint(url)...)
			wantError(t, err, llm.KindTimeout, 0, "")
		})
	}

	t.Run("stream/part way", func(t *testing.T) {
		const kept = 4
		it := replay.MustLoad(t, callStream).Interactions[0]
		url := stallingServer(t, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			fmt.Fprint(w, strings.Join(it.Events()[:kept], ""))
		})
		sr, err := llm.Stream(t.Context(), gpt4o, question, endpoint(url)...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = readStream(t, sr)
		wantError(t, err, llm.KindTimeout, 0, "")
		checkPartial(t, sr, textOf(t, it, kept))
	})
}
