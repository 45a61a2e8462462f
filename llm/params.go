package llm

// Params are the sampling settings of a call. Zero values are left out of
// the request, so the provider's defaults apply.
type Params struct {
	Temperature *float64
	MaxTokens   int
	TopP        *float64
	Seed        *int
	Stop        []string
}

// Temperature sets the sampling temperature.
func Temperature(t float64) Option { return func(s *settings) { s.params.Temperature = &t } }

// MaxTokens bounds the length of the answer.
func MaxTokens(n int) Option { return func(s *settings) { s.params.MaxTokens = n } }

// TopP sets nucleus sampling.
func TopP(p float64) Option { return func(s *settings) { s.params.TopP = &p } }

// Seed asks for reproducible sampling, where the provider supports it.
func Seed(n int) Option { return func(s *settings) { s.params.Seed = &n } }

// Stop sets sequences at which the model stops.
func Stop(seq ...string) Option { return func(s *settings) { s.params.Stop = seq } }

// WithParams replaces all sampling settings at once.
func WithParams(p Params) Option { return func(s *settings) { s.params = p } }
