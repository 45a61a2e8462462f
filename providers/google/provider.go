package google

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"google.golang.org/genai"

	"github.com/llmhost/llmhost/llm"
)

const (
	// Name is the driver's registered name, the prefix of its model ids.
	Name = "google"
	// EnvAPIKey names the variable the key is read from.
	EnvAPIKey = "GOOGLE_API_KEY"
	// EnvBaseURL names the variable that overrides the endpoint.
	EnvBaseURL = "GOOGLE_BASE_URL"
	// DefaultBaseURL is the Gemini API, in the SDK's form (the host root).
	DefaultBaseURL = "https://generativelanguage.googleapis.com/"
)

func init() {
	llm.Register(Name, llm.DriverFunc(func(cfg llm.Config) (llm.Provider, error) {
		p, err := New(cfg)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return p, nil
	}))
}

// Provider speaks the Gemini API. It is safe for concurrent use.
type Provider struct {
	name   string // the registered name errors carry, "google" by default
	client *genai.Client
}

var (
	_ llm.Provider           = (*Provider)(nil)
	_ llm.CapabilityReporter = (*Provider)(nil)
)

// New returns a Provider for cfg. Empty fields are filled from the
// environment (GOOGLE_API_KEY, GOOGLE_BASE_URL), then the defaults. A
// missing key is an *llm.Error of kind missing_api_key naming the variable
// to set.
func New(cfg llm.Config) (*Provider, error) {
	cfg, err := cfg.Resolve(llm.Defaults{Provider: Name, BaseURL: DefaultBaseURL, BaseURLEnv: EnvBaseURL, KeyEnv: EnvAPIKey})
	if err != nil {
		return nil, err
	}
	name, key, base, hc := cfg.Provider, cfg.APIKey, cfg.BaseURL, cfg.HTTPClient
	if !strings.HasSuffix(base, "/") {
		base += "/" // the SDK joins paths onto it
	}
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: key,
		// Explicit, so that GOOGLE_GENAI_USE_VERTEXAI in the environment
		// cannot send an API key meant for Gemini to Vertex AI.
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  observed(hc),
		HTTPOptions: genai.HTTPOptions{BaseURL: base},
	})
	if err != nil {
		return nil, &llm.Error{Kind: llm.KindBadRequest, Provider: name,
			Message: "configuring the genai client: " + err.Error(), Err: err}
	}
	return &Provider{name: name, client: client}, nil
}

// Complete sends req to generateContent and returns the whole answer.
func (p *Provider) Complete(ctx context.Context, req *llm.Request) (*llm.Completion, error) {
	contents, config, err := p.encode(req)
	if err != nil {
		return nil, err
	}
	ctx, ex := observe(ctx)
	var resp *genai.GenerateContentResponse
	err = guard(func() (err error) {
		resp, err = p.client.Models.GenerateContent(ctx, req.Model, contents, config)
		return err
	})
	if err != nil {
		return nil, p.error(err, ex)
	}
	return decodeResponse(resp), nil
}

// Stream sends req to streamGenerateContent?alt=sse. The SDK sends the
// request when its iterator is first pulled, so Stream pulls the first
// chunk itself: an HTTP error status then comes back from Stream, as the
// engine expects, and the chunk waits in the reader.
func (p *Provider) Stream(ctx context.Context, req *llm.Request) (llm.ChunkReader, error) {
	contents, config, err := p.encode(req)
	if err != nil {
		return nil, err
	}
	ctx, ex := observe(ctx)
	next, stop := iter.Pull2(p.client.Models.GenerateContentStream(ctx, req.Model, contents, config))
	r := &chunkReader{p: p, ex: ex, next: guardNext(next), stop: stop}
	first, err, ok := r.next()
	switch {
	case err != nil:
		stop()
		return nil, p.error(err, ex)
	case ok:
		r.decode(first)
	default:
		r.ended = true
	}
	return r, nil
}

// guard runs f, a call into the genai SDK, and returns a panic in it as an
// error. The SDK converts responses with unchecked type assertions
// (candidates.([]any), ...), so a body or stream event whose JSON has an
// unexpected shape, such as {"candidates":{}}, makes it panic: that is a
// response the provider cannot read, which p.error reports as
// response_validation, not a reason to bring down the program.
func guard(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the genai SDK failed on it: %v", v)
		}
	}()
	return f()
}

// guardNext wraps a stream's next (from iter.Pull2, which passes on a panic
// of the SDK's iterator to its caller) so that a panic ends the stream with
// an error instead. The iterator is finished after a panic: later calls
// return ok false, and stop does nothing.
func guardNext(next func() (*genai.GenerateContentResponse, error, bool)) func() (*genai.GenerateContentResponse, error, bool) {
	return func() (resp *genai.GenerateContentResponse, err error, ok bool) {
		err = guard(func() error {
			var e error
			resp, e, ok = next()
			return e
		})
		return resp, err, ok
	}
}
