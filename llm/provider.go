package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Provider speaks one wire protocol. It makes exactly one attempt per call:
// retries, fallbacks, resumption and parsing belong to the engine, which is
// why a provider must turn every failure into an *Error of the right Kind.
//
// Provider packages register a Driver under a name, the way database/sql
// drivers do, and users import them for that side effect:
//
//	import _ "github.com/llmhost/llmhost/providers/openai"
type Provider interface {
	// Complete sends req and returns the whole answer.
	Complete(ctx context.Context, req *Request) (*Completion, error)

	// Stream sends req and returns its chunks as they arrive. An error that
	// comes before the stream opens (an HTTP error status, say) is returned
	// here; one that comes later is returned by ChunkReader.Next.
	Stream(ctx context.Context, req *Request) (ChunkReader, error)
}

// ChunkReader reads a streamed answer, like database/sql/driver.Rows.
type ChunkReader interface {
	// Next returns the next chunk, or io.EOF after the last one. Any other
	// error ends the stream; it must be an *Error.
	Next() (Chunk, error)
	// Close releases the connection. It is safe to call more than once.
	Close() error
}

// Driver opens Providers. Open is called with the settings of one endpoint;
// empty fields mean the driver's defaults, usually read from the
// environment (OPENAI_API_KEY, OPENAI_BASE_URL, ...). A missing key is an
// *Error of KindMissingAPIKey whose message names the variable to set.
type Driver interface {
	Open(cfg Config) (Provider, error)
}

// DriverFunc adapts a function to a Driver.
type DriverFunc func(cfg Config) (Provider, error)

// Open calls f(cfg).
func (f DriverFunc) Open(cfg Config) (Provider, error) { return f(cfg) }

// Config is what a Driver needs to reach one endpoint.
type Config struct {
	Provider   string       // the registered name, e.g. "openrouter"
	BaseURL    string       // in the form of the provider's official SDK; "" for the default
	APIKey     string       // "" to read the provider's key variable
	HTTPClient *http.Client // nil for a shared default client
}

// Endpoint overrides where and how a provider is reached. See WithEndpoint.
type Endpoint struct {
	BaseURL string
	APIKey  string
}

// Request is one provider call, as the engine hands it to a Provider.
type Request struct {
	// Model is the provider's own model name: "gpt-4o-mini" for the model
	// id "openai/gpt-4o-mini".
	Model    string
	Messages []Message
	Params   Params
	Tools    []ToolDefinition

	// ToolChoice is "" (the provider's default), "auto", "none",
	// "required", or the name of the one tool the model must call.
	ToolChoice string
	// ParallelToolCalls, when set, allows or forbids several calls per turn.
	ParallelToolCalls *bool

	// Format asks for structured output in the provider's native way
	// (FormatJSON or FormatStrict). The tool mode needs nothing here: the
	// engine turns it into a forced tool call.
	Format *ResponseFormat
}

// ToolDefinition describes a tool to the model.
type ToolDefinition struct {
	Name        string
	Description string
	Parameters  json.RawMessage // a JSON Schema object
	Strict      bool            // ask the provider to hold the model to the schema
}

// ResponseFormat is structured output as a provider sees it.
type ResponseFormat struct {
	Mode        FormatMode // FormatJSON or FormatStrict
	Name        string
	Description string
	Schema      json.RawMessage
}

// Completion is a provider's whole answer.
type Completion struct {
	Message       Message // the assistant message
	Usage         Usage
	FinishReason  FinishReason
	ProviderModel string // the model name the provider reported, e.g. "gpt-4o-2024-08-06"
}

// Usage counts tokens, the same way for every provider: InputTokens is
// every input token, cached or not, and CacheReadTokens says how many of
// them were read from a cache; OutputTokens is every output token, the
// model's reasoning included, and ReasoningTokens says how many of them
// were reasoning.
type Usage struct {
	InputTokens     int `json:"input_tokens"`
	OutputTokens    int `json:"output_tokens"`
	CacheReadTokens int `json:"cache_read_tokens,omitempty"`
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
}

func (u *Usage) add(o Usage) {
	u.InputTokens += o.InputTokens
	u.OutputTokens += o.OutputTokens
	u.CacheReadTokens += o.CacheReadTokens
	u.ReasoningTokens += o.ReasoningTokens
}

// merge takes every non-zero field of o: stream usage chunks carry running
// totals, and providers report different fields at different times.
func (u *Usage) merge(o Usage) {
	if o.InputTokens != 0 {
		u.InputTokens = o.InputTokens
	}
	if o.OutputTokens != 0 {
		u.OutputTokens = o.OutputTokens
	}
	if o.CacheReadTokens != 0 {
		u.CacheReadTokens = o.CacheReadTokens
	}
	if o.ReasoningTokens != 0 {
		u.ReasoningTokens = o.ReasoningTokens
	}
}

// FinishReason says why an answer ended early. It is empty when the model
// finished normally (including to call tools).
type FinishReason string

const (
	FinishMaxTokens             FinishReason = "max_tokens"
	FinishRefusal               FinishReason = "refusal"
	FinishContextLengthExceeded FinishReason = "context_length_exceeded"
)

// ChunkKind says what a Chunk carries.
type ChunkKind string

const (
	ChunkText     ChunkKind = "text"      // Text is a delta of the answer
	ChunkThought  ChunkKind = "thought"   // Text (and Signature) are a delta of a thought
	ChunkToolCall ChunkKind = "tool_call" // ToolCall is a delta of a tool call
	ChunkUsage    ChunkKind = "usage"     // Usage holds running totals; non-zero fields replace earlier ones
	ChunkFinish   ChunkKind = "finish"    // FinishReason is final ("" for a normal end)
)

// Chunk is one piece of a streamed answer.
type Chunk struct {
	Kind      ChunkKind
	Text      string
	Signature string
	// Redacted is an encrypted thought (ChunkThought) the provider did not
	// show.
	Redacted string
	// NewBlock, on a ChunkThought, starts a new thought instead of
	// extending the last one: adjacent thoughts each keep their own
	// signature.
	NewBlock bool

	ToolCall     ToolCallDelta
	Usage        Usage
	FinishReason FinishReason
	// ProviderModel is the provider's model name, when the chunk says it.
	ProviderModel string
}

// ToolCallDelta is a piece of a streamed tool call. Pieces with the same
// Index belong to the same call: the first usually has ID and Name, the
// rest add to Arguments.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes a driver available under name, the prefix of model ids
// ("openai" in "openai/gpt-4o"). It panics if name is taken or d is nil,
// like database/sql.Register, because both are programming errors.
func Register(name string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d == nil {
		panic("llm: Register driver is nil")
	}
	if _, dup := drivers[name]; dup {
		panic("llm: Register called twice for driver " + name)
	}
	drivers[name] = d
}

// Drivers returns the registered provider names, sorted.
func Drivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SplitModel splits a model id "provider/model" into its two halves. The
// model half may itself contain slashes ("openrouter/openai/gpt-4o").
func SplitModel(id string) (provider, model string, err error) {
	provider, model, ok := strings.Cut(id, "/")
	if !ok || provider == "" || model == "" {
		return "", "", &Error{Kind: KindNoProvider, Model: id,
			Message: fmt.Sprintf("model id %q is not of the form provider/model (e.g. openai/gpt-4o-mini)", id)}
	}
	return provider, model, nil
}

// openProvider opens the provider for cfg. Opening is cheap (drivers keep
// no connections of their own; the HTTP client pools them), and doing it per
// call means a changed environment variable takes effect at once.
func openProvider(cfg Config) (Provider, error) {
	driversMu.RLock()
	d, ok := drivers[cfg.Provider]
	driversMu.RUnlock()
	if !ok {
		return nil, &Error{Kind: KindNoProvider, Provider: cfg.Provider,
			Message: fmt.Sprintf("no provider %q is registered (registered: %s); import its package, or github.com/llmhost/llmhost/providers/all",
				cfg.Provider, strings.Join(Drivers(), ", "))}
	}
	return d.Open(cfg)
}
