package openai

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/llmhost/llmhost/llm"
)

// A Server is an OpenAI-compatible chat-completions endpoint that llmhost
// knows by name. Each is a driver of its own: the name is the provider half
// of model ids ("ollama" in "ollama/llama3.2"), and it brings its default
// base URL, the variables it reads, and what it can do for structured
// output.
type Server struct {
	// Name is the registered provider name.
	Name string
	// BaseURL is the default base URL, in the form the official OpenAI SDK
	// takes: everything before /chat/completions, e.g.
	// "http://localhost:11434/v1".
	BaseURL string
	// KeyEnv names the variable holding the API key; "" means
	// <NAME>_API_KEY.
	KeyEnv string
	// BaseURLEnv names the variable that overrides BaseURL; "" means
	// <NAME>_BASE_URL.
	BaseURLEnv string
	// KeyOptional says the server runs without a key, as local servers do:
	// a missing key is then no error and no Authorization header is sent.
	// A key given anyway (KeyEnv or llm.Endpoint) is sent.
	KeyOptional bool
	// Capabilities says which structured-output modes a model supports and
	// which is its default. nil means tool calls by default, JSON mode and
	// native JSON schema on request.
	Capabilities func(model string) llm.Capabilities
}

// The built-in servers. Hosted services that route to many models default
// to the tool mode, which nearly every tool-capable model honours. Local
// servers default to strict: Ollama, vLLM and llama.cpp turn a JSON schema
// into a grammar that constrains any model, whereas tool calls work only
// with models (and server flags) made for them.
var builtin = []Server{
	{Name: "openai", BaseURL: "https://api.openai.com/v1", Capabilities: openAICapabilities},
	{Name: "ollama", BaseURL: "http://localhost:11434/v1", KeyOptional: true, Capabilities: localCapabilities},
	{Name: "openrouter", BaseURL: "https://openrouter.ai/api/v1", Capabilities: openRouterCapabilities},
	{Name: "together", BaseURL: "https://api.together.xyz/v1", Capabilities: hostedCapabilities},
	{Name: "vllm", BaseURL: "http://localhost:8000/v1", KeyOptional: true, Capabilities: localCapabilities},
	// LM Studio refuses response_format json_object ("must be json_schema
	// or text"), so its JSON mode is the system prompt alone.
	{Name: "lmstudio", BaseURL: "http://localhost:1234/v1", KeyOptional: true, Capabilities: lmStudioCapabilities},
	{Name: "llamacpp", BaseURL: "http://localhost:8080/v1", KeyOptional: true, Capabilities: localCapabilities},
}

var (
	serversMu sync.RWMutex
	servers   = map[string]Server{}
)

func init() {
	for _, s := range builtin {
		Register(s)
	}
}

// Register makes s available as a provider, under s.Name, to llm.Call and
// llm.Stream and to New. It is how another OpenAI-compatible service is
// added without a package of its own:
//
//	openai.Register(openai.Server{Name: "groq", BaseURL: "https://api.groq.com/openai/v1"})
//	// model ids "groq/...", key in GROQ_API_KEY, base URL override in GROQ_BASE_URL
//
// Like llm.Register, it panics if the name is taken or s has no name or
// base URL: both are programming errors.
func Register(s Server) {
	if s.Name == "" || s.BaseURL == "" {
		panic("openai: Register needs a Server with a Name and a BaseURL")
	}
	if s.KeyEnv == "" {
		s.KeyEnv = envName(s.Name, "API_KEY")
	}
	if s.BaseURLEnv == "" {
		s.BaseURLEnv = envName(s.Name, "BASE_URL")
	}
	serversMu.Lock()
	if _, dup := servers[s.Name]; dup {
		serversMu.Unlock()
		panic("openai: Register called twice for server " + s.Name)
	}
	servers[s.Name] = s
	serversMu.Unlock()
	// Registered after the server is known, so that a driver can never
	// be asked for a server it cannot find.
	llm.Register(s.Name, llm.DriverFunc(s.open))
}

// Servers returns the registered servers, sorted by name, with their
// variable names filled in.
func Servers() []Server {
	serversMu.RLock()
	defer serversMu.RUnlock()
	out := make([]Server, 0, len(servers))
	for _, s := range servers {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Server) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// envName builds <NAME>_<suffix> from a provider name: "lmstudio" gives
// LMSTUDIO_API_KEY, "my-proxy" MY_PROXY_API_KEY.
func envName(name, suffix string) string {
	upper := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
	return upper + "_" + suffix
}

// New opens the server named by cfg.Provider ("" means "openai") with the
// settings of cfg, as the engine does for each call. Empty fields are filled
// from the environment, then from the server's defaults:
//
//   - the base URL from cfg.BaseURL, else <NAME>_BASE_URL, else the
//     server's default;
//   - the key from cfg.APIKey, else <NAME>_API_KEY; a server that needs
//     one fails without it, with an *llm.Error of kind missing_api_key
//     that names the variable.
//
// Most programs never call New: importing the package registers every
// server with llm, and llm.Call opens them. New is for using a Provider
// directly.
func New(cfg llm.Config) (*Provider, error) {
	name := or(cfg.Provider, "openai")
	serversMu.RLock()
	s, ok := servers[name]
	serversMu.RUnlock()
	if !ok {
		return nil, &llm.Error{Kind: llm.KindNoProvider, Provider: name,
			Message: fmt.Sprintf("no OpenAI-compatible server %q is registered", name)}
	}
	return s.newProvider(cfg)
}

// open is the Server's llm.Driver. It returns a nil interface on failure,
// never an interface holding a nil *Provider.
func (s Server) open(cfg llm.Config) (llm.Provider, error) {
	p, err := s.newProvider(cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s Server) newProvider(cfg llm.Config) (*Provider, error) {
	cfg.Provider = s.Name
	cfg, err := cfg.Resolve(llm.Defaults{Provider: s.Name, BaseURL: s.BaseURL, BaseURLEnv: s.BaseURLEnv, KeyEnv: s.KeyEnv, KeyOptional: s.KeyOptional})
	if err != nil {
		return nil, err
	}
	// go-openai sends "Authorization: Bearer <key>" only for a non-empty
	// key, which is what a keyless local server wants.
	conf := goopenai.DefaultConfig(cfg.APIKey)
	conf.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	conf.HTTPClient = recorder{client: cfg.HTTPClient}
	return &Provider{name: s.Name, server: s, baseURL: conf.BaseURL, client: goopenai.NewClientWithConfig(conf)}, nil
}
