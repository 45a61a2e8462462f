package anthropic

import (
	"context"
	"strings"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/llmhost/llmhost/llm"
)

const (
	// Name is the driver's registered name, the prefix of its model ids.
	Name = "anthropic"
	// EnvAPIKey names the variable the key is read from.
	EnvAPIKey = "ANTHROPIC_API_KEY"
	// EnvBaseURL names the variable that overrides the endpoint.
	EnvBaseURL = "ANTHROPIC_BASE_URL"
	// DefaultBaseURL is Anthropic's API, in the SDK's form (the host root).
	DefaultBaseURL = "https://api.anthropic.com"
	// DefaultMaxTokens is sent as max_tokens, which Anthropic requires, when
	// a call does not set llm.MaxTokens. It is the value Mirascope sends: it
	// leaves room for long answers on every current model while staying
	// under the SDK's limit for non-streamed requests (its estimate of such
	// a request must stay under ten minutes).
	DefaultMaxTokens = 16000
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

// Provider speaks Anthropic's Messages API. It is safe for concurrent use.
type Provider struct {
	name   string // the registered name errors carry, "anthropic" by default
	client anthropic.Client
}

var (
	_ llm.Provider           = (*Provider)(nil)
	_ llm.CapabilityReporter = (*Provider)(nil)
)

// New returns a Provider for cfg. Empty fields are filled from the
// environment (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL), then the defaults.
// A missing key is an *llm.Error of kind missing_api_key naming the
// variable to set.
func New(cfg llm.Config) (*Provider, error) {
	cfg, err := cfg.Resolve(llm.Defaults{Provider: Name, BaseURL: DefaultBaseURL, BaseURLEnv: EnvBaseURL, KeyEnv: EnvAPIKey})
	if err != nil {
		return nil, err
	}
	name, key, base, hc := cfg.Provider, cfg.APIKey, cfg.BaseURL, cfg.HTTPClient
	client := anthropic.NewClient(
		// Only what llmhost was given: no profiles, auth tokens or custom
		// headers picked up from the environment behind the caller's back.
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(key),
		option.WithBaseURL(strings.TrimRight(base, "/")),
		option.WithHTTPClient(hc),
		// The engine retries; an SDK retry would hide failures from it and
		// multiply the wait.
		option.WithMaxRetries(0),
	)
	return &Provider{name: name, client: client}, nil
}

// Complete sends req to POST /v1/messages and returns the whole answer.
func (p *Provider) Complete(ctx context.Context, req *llm.Request) (*llm.Completion, error) {
	params, opts, err := p.encode(req)
	if err != nil {
		return nil, err
	}
	msg, err := p.client.Messages.New(ctx, params, opts...)
	if err != nil {
		return nil, p.error(err)
	}
	return decodeMessage(msg), nil
}

// Stream sends req with "stream": true. It returns once the response
// headers arrived, so an HTTP error status comes back from Stream itself;
// the events are read by the returned ChunkReader.
func (p *Provider) Stream(ctx context.Context, req *llm.Request) (llm.ChunkReader, error) {
	params, opts, err := p.encode(req)
	if err != nil {
		return nil, err
	}
	// NewStreaming sends the request and waits for the headers; an error
	// status is in Err before the first event is read.
	s := p.client.Messages.NewStreaming(ctx, params, opts...)
	if err := s.Err(); err != nil {
		s.Close()
		return nil, p.error(err)
	}
	return &chunkReader{p: p, s: s}, nil
}
