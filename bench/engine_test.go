package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	goopenai "github.com/sashabaranov/go-openai"
	"github.com/tmc/langchaingo/llms"
	lcopenai "github.com/tmc/langchaingo/llms/openai"

	"github.com/llmhost/llmhost/bench/internal/oaiserver"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/openai"
)

const prompt = "Write a thousand words about the weather in Lyon."

// A client makes one chat completion against the local server, plain or
// streamed, and returns the answer's text.
type client struct {
	name     string
	complete func(ctx context.Context) (string, error)
	stream   func(ctx context.Context) (string, error)
}

// newHTTPClient is the HTTP client every path uses: the same transport
// settings, keep-alive on, so each path pays for HTTP the same way.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

// clients returns the three ways of calling the server: go-openai by hand
// (the floor: llmhost's OpenAI provider is built on it), llmhost's engine,
// and langchaingo's OpenAI model. Each is set up once, as an application
// would, and used for every call.
func clients(b *testing.B, srv *oaiserver.Server) []client {
	cfg := goopenai.DefaultConfig("sk-bench")
	cfg.BaseURL = srv.URL
	cfg.HTTPClient = newHTTPClient()
	raw := goopenai.NewClientWithConfig(cfg)
	rawReq := func(stream bool) goopenai.ChatCompletionRequest {
		r := goopenai.ChatCompletionRequest{
			Model:    oaiserver.Model,
			Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
		}
		if stream {
			// What llmhost and langchaingo ask for too.
			r.Stream, r.StreamOptions = true, &goopenai.StreamOptions{IncludeUsage: true}
		}
		return r
	}

	opts := []llm.Option{
		llm.WithEndpoint("openai", llm.Endpoint{BaseURL: srv.URL, APIKey: "sk-bench"}),
		llm.WithHTTPClient(newHTTPClient()),
	}
	model := "openai/" + oaiserver.Model
	msgs := []llm.Message{llm.User(prompt)}

	lc, err := lcopenai.New(lcopenai.WithBaseURL(srv.URL), lcopenai.WithToken("sk-bench"),
		lcopenai.WithModel(oaiserver.Model), lcopenai.WithHTTPClient(newHTTPClient()))
	if err != nil {
		b.Fatal(err)
	}
	lcMsgs := []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, prompt)}

	return []client{
		{
			name: "go-openai",
			complete: func(ctx context.Context) (string, error) {
				resp, err := raw.CreateChatCompletion(ctx, rawReq(false))
				if err != nil {
					return "", err
				}
				return resp.Choices[0].Message.Content, nil
			},
			stream: func(ctx context.Context) (string, error) {
				s, err := raw.CreateChatCompletionStream(ctx, rawReq(true))
				if err != nil {
					return "", err
				}
				defer s.Close()
				var text strings.Builder
				for {
					c, err := s.Recv()
					if errors.Is(err, io.EOF) {
						return text.String(), nil
					}
					if err != nil {
						return "", err
					}
					if len(c.Choices) > 0 {
						text.WriteString(c.Choices[0].Delta.Content)
					}
				}
			},
		},
		{
			name: "llmhost",
			complete: func(ctx context.Context) (string, error) {
				resp, err := llm.Call(ctx, model, msgs, opts...)
				if err != nil {
					return "", err
				}
				return resp.Text(), nil
			},
			stream: func(ctx context.Context) (string, error) {
				sr, err := llm.Stream(ctx, model, msgs, opts...)
				if err != nil {
					return "", err
				}
				var text strings.Builder
				for t, err := range sr.TextStream() {
					if err != nil {
						return "", err
					}
					text.WriteString(t)
				}
				return text.String(), nil
			},
		},
		{
			name: "langchaingo",
			complete: func(ctx context.Context) (string, error) {
				resp, err := lc.GenerateContent(ctx, lcMsgs)
				if err != nil {
					return "", err
				}
				return resp.Choices[0].Content, nil
			},
			stream: func(ctx context.Context) (string, error) {
				var text strings.Builder
				_, err := lc.GenerateContent(ctx, lcMsgs, llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error {
					text.Write(chunk)
					return nil
				}))
				return text.String(), err
			},
		},
	}
}

// BenchmarkEngine makes one chat completion through each client against
// the same local OpenAI-compatible server, which answers in no time: what
// is measured is the client side. plain gets the answer whole; stream gets
// it as oaiserver.Chunks server-sent events, and also reports ns/chunk.
// The paths alternate within one run, so the ratios between them compare
// like with like.
func BenchmarkEngine(b *testing.B) {
	srv := oaiserver.Start()
	defer srv.Close()
	cs := clients(b, srv)
	for _, mode := range []string{"plain", "stream"} {
		for _, c := range cs {
			b.Run(mode+"/"+c.name, func(b *testing.B) {
				call := c.complete
				if mode == "stream" {
					call = c.stream
				}
				ctx := context.Background()
				if text, err := call(ctx); err != nil || text != oaiserver.Text {
					b.Fatalf("%s: %d bytes of text, %v", c.name, len(text), err)
				}
				b.ReportAllocs()
				start := time.Now()
				for b.Loop() {
					if _, err := call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				if mode == "stream" {
					b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/oaiserver.Chunks, "ns/chunk")
				}
			})
		}
	}
}

// BenchmarkEngineOverhead measures each client's overhead over go-openai
// by hand, pairing the calls: every iteration makes one call through
// go-openai and one through the client, in alternating order, and each is
// timed on its own. Both calls of a pair run under the same conditions (the
// same moment's CPU contention, the same GC cycle), and the overhead is the
// median of the pairs' differences: a call that another process preempted
// makes one pair an outlier, which a median ignores and a mean would not.
// On a busy machine two separate benchmark runs differ by more than the
// overhead itself.
//
// It reports base-ns and client-ns (the median go-openai and client call),
// overhead-µs (the median difference of a pair), overhead-% (that, over
// base-ns); for streams also overhead-ns/chunk.
func BenchmarkEngineOverhead(b *testing.B) {
	srv := oaiserver.Start()
	defer srv.Close()
	cs := clients(b, srv)
	base := cs[0]
	for _, mode := range []string{"plain", "stream"} {
		for _, c := range cs[1:] {
			b.Run(mode+"/"+c.name, func(b *testing.B) {
				pair := [2]func(context.Context) (string, error){base.complete, c.complete}
				if mode == "stream" {
					pair = [2]func(context.Context) (string, error){base.stream, c.stream}
				}
				ctx := context.Background()
				var took [2][]time.Duration
				var diffs []time.Duration
				i := 0
				for b.Loop() {
					// Alternate which goes first, so neither always finds
					// the connection, caches and GC in the state the other
					// left.
					var d [2]time.Duration
					for k := range 2 {
						j := (i + k) % 2
						t := time.Now()
						if _, err := pair[j](ctx); err != nil {
							b.Fatal(err)
						}
						d[j] = time.Since(t)
						took[j] = append(took[j], d[j])
					}
					diffs = append(diffs, d[1]-d[0])
					i++
				}
				baseNs := float64(median(took[0]).Nanoseconds())
				diff := float64(median(diffs).Nanoseconds())
				b.ReportMetric(baseNs, "base-ns")
				b.ReportMetric(float64(median(took[1]).Nanoseconds()), "client-ns")
				b.ReportMetric(diff/1e3, "overhead-µs")
				b.ReportMetric(100*diff/baseNs, "overhead-%")
				if mode == "stream" {
					b.ReportMetric(diff/oaiserver.Chunks, "overhead-ns/chunk")
				}
			})
		}
	}
}

// median returns the median of ds, which it sorts.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}
