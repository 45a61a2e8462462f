package llm

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Defaults are where a driver's endpoint comes from when a Config leaves
// it empty.
type Defaults struct {
	Provider    string // the registered name, for errors when Config.Provider is empty
	BaseURL     string // the provider's own endpoint
	BaseURLEnv  string // e.g. "OPENAI_BASE_URL"
	KeyEnv      string // e.g. "OPENAI_API_KEY"
	KeyOptional bool   // local servers run without a key
}

// sharedClient is the HTTP client of every provider opened without one, so
// that connections are pooled across calls and providers. It has no overall
// timeout: a stream may rightly last minutes, and the engine bounds
// attempts itself (RetryPolicy.AttemptTimeout).
var sharedClient = &http.Client{}

// Resolve fills cfg's empty fields the way every driver must: the explicit
// value, else the environment variable, else the default. It checks the
// base URL is an http(s) URL, bounds what the HTTP client reads of each
// response (see ResponseLimits), and returns a KindMissingAPIKey error naming
// the variable to set when a required key is missing. Drivers call it
// first thing in Open.
func (cfg Config) Resolve(d Defaults) (Config, error) {
	if cfg.Provider == "" {
		cfg.Provider = d.Provider
	}
	base, from := strings.TrimSpace(cfg.BaseURL), "the base URL"
	if base == "" && d.BaseURLEnv != "" {
		base, from = strings.TrimSpace(os.Getenv(d.BaseURLEnv)), d.BaseURLEnv
	}
	if base == "" {
		base, from = d.BaseURL, "the default base URL"
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, &Error{Kind: KindBadRequest, Provider: cfg.Provider,
			Message: fmt.Sprintf("%s %q is not an http(s) URL such as %s", from, base, d.BaseURL)}
	}
	cfg.BaseURL = base
	if cfg.APIKey == "" && d.KeyEnv != "" {
		cfg.APIKey = strings.TrimSpace(os.Getenv(d.KeyEnv))
	}
	if cfg.APIKey == "" && !d.KeyOptional {
		return cfg, &Error{Kind: KindMissingAPIKey, Provider: cfg.Provider,
			Message: d.KeyEnv + " is not set: export it, or pass a key with llm.WithEndpoint"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = sharedClient
	}
	// Every driver reads through the response limits: those of a client
	// made by LimitResponses, else the defaults.
	cfg.HTTPClient = limitedClient(cfg.HTTPClient, cfg.Provider)
	return cfg, nil
}
