package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/internal/reliability"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/openai"
)

// The fault matrix: every kind of provider failure, on a plain call and on
// a stream, under a retry policy and under a fallback, staged by the fault
// server and met by the real OpenAI provider and the engine. Each case has
// an expected outcome written from the engine's contract (docs of package
// llm, ARCHITECTURE.md) and an observed one read off the run; the test
// requires them equal, and `make soak` records both.

const (
	// The answer every healthy step gives, and how a broken stream splits
	// it: the partial text that arrives before the fault, and the
	// continuation a resumed request gets.
	answer       = "Hello, world."
	partial      = "Hello"
	continuation = ", world."

	primary = "openai/primary"
	backup  = "openai/backup"
	// refusedPrimary is served by a driver of the same provider package
	// pointed at a port where nothing listens; its fallback is backup.
	refusedPrimary = "ollama/primary"

	backoff = 100 * time.Millisecond
	// attemptTimeout bounds every attempt of every case, the healthy
	// replies' too: it is what turns a stall into a timeout, but a healthy
	// reply that took longer would fail its case. Under -race on a busy
	// 2-core machine a round trip to the local fault server can take
	// hundreds of milliseconds, so the bound leaves it a wide margin; it
	// costs only the stalled attempts, which wait for it.
	attemptTimeout = 2 * time.Second
	maxRetries     = 2
)

// faultCase is one kind of failure as the fault server stages it, and how
// the engine's contract says it must come out.
type faultCase struct {
	kind string // the row's name: the error kind, with the variant
	how  string // what the server does
	// step is the failing reply; nil means the port refuses connections.
	step func() faultserver.Step
	// want is the error the failing attempt must produce, per mode.
	want func(stream bool) (llm.Kind, int)
	// afterContent: on a stream, text arrives before the fault.
	afterContent bool
	// wait is the delay the policy asks for before a retry.
	wait time.Duration
}

var faultCases = []faultCase{
	{kind: "authentication", how: "401 invalid_api_key", step: func() faultserver.Step { return faultserver.Fail(401) }, want: fixed(llm.KindAuthentication, 401)},
	{kind: "permission", how: "403 unsupported_country_region_territory", step: func() faultserver.Step { return faultserver.Fail(403) }, want: fixed(llm.KindPermission, 403)},
	{kind: "bad_request", how: "400 invalid_request_error", step: func() faultserver.Step { return faultserver.Fail(400) }, want: fixed(llm.KindBadRequest, 400)},
	{kind: "not_found", how: "404 model_not_found", step: func() faultserver.Step { return faultserver.Fail(404) }, want: fixed(llm.KindNotFound, 404)},
	{kind: "rate_limit", how: "429 with Retry-After: 2", step: func() faultserver.Step { return faultserver.RateLimit(2 * time.Second) }, want: fixed(llm.KindRateLimit, 429), wait: 2 * time.Second},
	{kind: "server", how: "503 server_error", step: func() faultserver.Step { return faultserver.Fail(503) }, want: fixed(llm.KindServer, 503), wait: backoff},
	{kind: "timeout (stall)", how: "headers, then (stream) \"Hello\", then silence; attempt timeout " + attemptTimeout.String(),
		step: func() faultserver.Step { return faultserver.Stall(partial, 0) }, want: fixed(llm.KindTimeout, 0), afterContent: true, wait: backoff},
	{kind: "connection (cut)", how: "connection dropped mid-body (plain) or after \"Hello\" (stream)",
		step: func() faultserver.Step { return faultserver.Cut(partial) }, want: fixed(llm.KindConnection, 0), afterContent: true, wait: backoff},
	{kind: "connection (refused)", how: "nothing listens on the port", want: fixed(llm.KindConnection, 0), wait: backoff},
	{kind: "response_validation", how: "200 whose body has a syntax error (plain) or a chunk that is not JSON after \"Hello\" (stream)",
		step: func() faultserver.Step { return faultserver.Malformed(partial) }, want: fixed(llm.KindResponseValidation, 200), afterContent: true},
	{kind: "server (error frame)", how: "error frame inside a 200 stream after \"Hello\" (plain: 500)",
		step: func() faultserver.Step { return faultserver.ErrorFrame(partial) },
		want: func(stream bool) (llm.Kind, int) {
			if stream {
				return llm.KindServer, 200
			}
			return llm.KindServer, 500
		}, afterContent: true, wait: backoff},
}

func fixed(k llm.Kind, status int) func(bool) (llm.Kind, int) {
	return func(bool) (llm.Kind, int) { return k, status }
}

func (c faultCase) refused() bool { return c.step == nil }

func (c faultCase) primary() string {
	if c.refused() {
		return refusedPrimary
	}
	return primary
}

// outcome is what a call came to, in the terms of the engine's contract.
type outcome struct {
	Result   string   // "ok", or the kind of the error returned
	Status   int      // the returned error's HTTP status
	Model    string   // the model that answered
	Attempts []string // the failed attempts recorded: "model kind status"
	Waits    []time.Duration
	Tries    []string // requests made, per model: "model×n"
	Resumed  bool     // a partial answer was sent back with the resume prompt
	Text     string   // the text the caller received
	Kept     string   // after a failed stream: the partial answer kept in Messages
}

func (o outcome) String() string {
	var parts []string
	if o.Result == "ok" {
		parts = append(parts, "ok from "+o.Model)
	} else {
		parts = append(parts, fmt.Sprintf("**failed: %s %d**", o.Result, o.Status))
	}
	parts = append(parts, "attempts: "+orNone(strings.Join(o.Attempts, ", ")))
	var waits []string
	for _, w := range o.Waits {
		waits = append(waits, w.String())
	}
	parts = append(parts, "waits: "+orNone(strings.Join(waits, ", ")))
	parts = append(parts, "requests: "+strings.Join(o.Tries, ", "))
	if o.Resumed {
		parts = append(parts, "resumed")
	}
	parts = append(parts, fmt.Sprintf("text %q", o.Text))
	if o.Kept != "" {
		parts = append(parts, fmt.Sprintf("kept %q", o.Kept))
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// expect is the contract for case c, as a plain call or a stream, under the
// retry policy (no fallback) or a fallback (no retries).
func expect(c faultCase, stream, fallback bool) outcome {
	kind, status := c.want(stream)
	first := c.primary()
	after := stream && c.afterContent
	failed := fmt.Sprintf("%s %s %d", first, kind, status)
	retryable := slices.Contains(llm.DefaultRetryKinds, kind)
	tries := func(p, b int) []string {
		t := []string{fmt.Sprintf("%s×%d", first, p)}
		if fallback {
			t = append(t, fmt.Sprintf("%s×%d", backup, b))
		}
		return t
	}
	var o outcome
	switch {
	case !retryable:
		// Not retried, and no fallback either: another model would be
		// refused the same request. The error comes back as it is, and
		// what a stream delivered before it stays in its messages.
		o = outcome{Result: string(kind), Status: status, Tries: tries(1, 0)}
		if after {
			o.Text, o.Kept = partial, partial
		}
	case c.refused() && !fallback:
		// Every retry meets the same closed port.
		o = outcome{Result: string(llm.KindRetriesExhausted), Status: status, Tries: tries(maxRetries+1, 0)}
		for n := range maxRetries + 1 {
			o.Attempts = append(o.Attempts, failed)
			if n > 0 {
				o.Waits = append(o.Waits, backoff<<(n-1))
			}
		}
	case !fallback:
		// Retried on the same model after the policy's wait (Retry-After
		// when the provider gave one), and a stream cut after text resumes
		// where it stopped: the caller gets the whole answer once.
		o = outcome{Result: "ok", Model: first, Attempts: []string{failed}, Waits: []time.Duration{c.wait},
			Tries: tries(2, 0), Resumed: after, Text: answer}
	default:
		// The fallback takes over at once, and continues a partial answer.
		o = outcome{Result: "ok", Model: backup, Attempts: []string{failed}, Tries: tries(1, 1), Resumed: after, Text: answer}
	}
	return o
}

// observe runs case c and reads its outcome off the engine's results and
// the server's log.
func observe(t *testing.T, c faultCase, stream, fallback bool) outcome {
	s := faultserver.New()
	defer s.Close()
	// The healthy replies: the whole answer, or its continuation when the
	// engine resumes a stream.
	healthy := faultserver.Func(func(r faultserver.Request) faultserver.Step {
		if r.LastMessage().Content == llm.ResumePrompt {
			return faultserver.Text(continuation)
		}
		return faultserver.Text(answer)
	})
	if c.refused() {
		s.Script("primary", healthy) // never reached
	} else {
		s.Script("primary", c.step(), healthy)
	}
	s.Script("backup", healthy)

	clock := clocktest.At(time.Unix(1_700_000_000, 0))
	var mu sync.Mutex
	tries := map[string]int{}
	opts := []llm.Option{
		llm.WithEndpoint("openai", llm.Endpoint{BaseURL: s.URL(), APIKey: "sk-fault"}),
		llm.WithEndpoint("ollama", llm.Endpoint{BaseURL: closedPort(t)}),
		llm.WithClock(clock),
		llm.WithCooldowns(llm.NewCooldowns()),
		llm.WithObserver(func(e llm.Event) {
			if e.Type == llm.EventAttempt {
				mu.Lock()
				tries[e.Model]++
				mu.Unlock()
			}
		}),
	}
	policy := llm.RetryPolicy{MaxRetries: maxRetries, InitialDelay: backoff, Jitter: -1, AttemptTimeout: attemptTimeout, Cooldown: -1}
	if fallback {
		policy.MaxRetries = llm.NoRetries
		opts = append(opts, llm.WithFallbacks(backup))
	}
	opts = append(opts, llm.WithRetry(policy))

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	msgs := []llm.Message{llm.User("Say hello.")}
	var o outcome
	var attempts []llm.Attempt
	var err error
	if stream {
		var sr *llm.StreamResponse
		sr, err = llm.Stream(ctx, c.primary(), msgs, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		for chunk, cerr := range sr.Chunks() {
			if cerr != nil {
				err = cerr
				break
			}
			if chunk.Kind == llm.ChunkText {
				text.WriteString(chunk.Text)
			}
		}
		o.Text = text.String()
		if err == nil {
			resp, rerr := sr.Response()
			if rerr != nil {
				t.Fatalf("Response after a clean stream: %v", rerr)
			}
			o.Model, attempts = resp.Model, resp.Attempts
			if resp.Text() != o.Text {
				t.Errorf("the response's text %q differs from the text streamed %q", resp.Text(), o.Text)
			}
		} else if m := sr.Messages(); m[len(m)-1].Role == llm.RoleAssistant {
			o.Kept = m[len(m)-1].Text()
		}
	} else {
		var resp *llm.Response
		resp, err = llm.Call(ctx, c.primary(), msgs, opts...)
		if err == nil {
			o.Model, o.Text, attempts = resp.Model, resp.Text(), resp.Attempts
		}
	}
	if err == nil {
		o.Result = "ok"
	} else {
		var e *llm.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
		}
		o.Result, o.Status, attempts = string(e.Kind), e.Status, e.Attempts
	}
	for _, a := range attempts {
		o.Attempts = append(o.Attempts, fmt.Sprintf("%s %s %d", a.Model, a.Error.Kind, a.Error.Status))
	}
	o.Waits = clock.Sleeps()

	models := []string{c.primary()}
	if fallback {
		models = append(models, backup)
	}
	for _, m := range models {
		n := tries[m]
		o.Tries = append(o.Tries, fmt.Sprintf("%s×%d", m, n))
		// What the engine says it sent, the server must have received.
		if _, name, _ := strings.Cut(m, "/"); m != refusedPrimary && len(s.Requests(name)) != n {
			t.Errorf("%s: the engine made %d attempts, the server received %d requests", m, n, len(s.Requests(name)))
		}
	}
	// A resumption shows on the wire: the partial answer, then the prompt.
	for _, r := range s.AllRequests() {
		if n := len(r.Messages); n >= 2 && r.Messages[n-1].Content == llm.ResumePrompt {
			o.Resumed = true
			if r.Messages[n-2].Role != "assistant" || r.Messages[n-2].Content != partial {
				t.Errorf("the resumed request carries %+v before the prompt, want the partial answer %q", r.Messages[n-2], partial)
			}
		}
	}
	return o
}

func TestFaultMatrix(t *testing.T) {
	type row struct {
		c                  faultCase
		mode, strategy     string
		expected, observed outcome
	}
	var rows []*row
	for _, c := range faultCases {
		for _, stream := range []bool{false, true} {
			for _, fallback := range []bool{false, true} {
				r := &row{c: c, mode: "plain", strategy: "retry", expected: expect(c, stream, fallback)}
				if stream {
					r.mode = "stream"
				}
				if fallback {
					r.strategy = "fallback"
				}
				rows = append(rows, r)
				t.Run(strings.Join([]string{strings.ReplaceAll(c.kind, " ", "_"), r.mode, r.strategy}, "/"), func(t *testing.T) {
					t.Parallel()
					r.observed = observe(t, c, stream, fallback)
					if r.observed.String() != r.expected.String() {
						t.Errorf("\nexpected: %s\nobserved: %s", r.expected, r.observed)
					}
				})
			}
		}
	}
	// Cleanup runs once every case, parallel ones included, has finished.
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		same := 0
		var b strings.Builder
		for _, r := range rows {
			if r.observed.String() == r.expected.String() {
				same++
			}
		}
		fmt.Fprintf(&b, "%s\n\n", reliability.Environment())
		fmt.Fprintf(&b, "%d cases: %d error kinds × plain and stream × retry and fallback, each staged by the fault server (`internal/faultserver`) "+
			"and met by the real OpenAI provider (go-openai underneath) and the engine. **%d of %d observed as expected.**\n\n", len(rows), len(faultCases), same, len(rows))
		fmt.Fprintf(&b, "- *retry*: `RetryPolicy{MaxRetries: %d, InitialDelay: %s, Jitter: off, AttemptTimeout: %s}`, no fallback; the fault, then a healthy answer.\n", maxRetries, backoff, attemptTimeout)
		fmt.Fprintf(&b, "- *fallback*: no retries, fallback `%s`; the fault on the primary, a healthy answer on the fallback.\n", backup)
		fmt.Fprintf(&b, "- A healthy answer is %q; a stream that breaks after text has sent %q, and a resumed request is answered %q.\n", answer, partial, continuation)
		fmt.Fprintf(&b, "- Waits are the delays the engine asked its clock for (a fake clock: nothing waits). Requests are counted by the engine's observer and checked against the server's log; *resumed* means a request carried the partial answer and then `llm.ResumePrompt`.\n\n")
		b.WriteString("| kind | fault | call | strategy | expected | observed |\n|---|---|---|---|---|---|\n")
		for _, r := range rows {
			obs := r.observed.String()
			if obs == r.expected.String() {
				obs = "✅ " + obs
			} else {
				obs = "❌ " + obs
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.c.kind, r.c.how, r.mode, r.strategy, r.expected, obs)
		}
		record(t, reliability.SectionFaults, b.String())
	})
}

// closedPort returns a base URL where nothing listens: a port that was free
// a moment ago.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/v1"
}
