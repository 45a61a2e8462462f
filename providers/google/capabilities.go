package google

import "github.com/llmhost/llmhost/llm"

// Capabilities reports the structured-output modes of model. Gemini has all
// three natively (a forced function call, a JSON mode, and response
// schemas), and strict is the default: the API then constrains decoding to
// the schema.
func (p *Provider) Capabilities(model string) llm.Capabilities {
	return Capabilities(model)
}

// Capabilities is [Provider.Capabilities] without a Provider.
func Capabilities(string) llm.Capabilities {
	return llm.Capabilities{
		DefaultFormat: llm.FormatStrict,
		Formats:       []llm.FormatMode{llm.FormatTool, llm.FormatJSON, llm.FormatStrict},
	}
}
