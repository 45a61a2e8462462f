package anthropic

import (
	"strconv"
	"strings"

	"github.com/llmhost/llmhost/llm"
)

// Capabilities reports the structured-output modes of model. Every model
// has the tool mode; models with Anthropic's structured outputs (Sonnet
// 4.5, Haiku 4.5, Opus 4.1 and every later model) have the strict mode too,
// and use it by default, since the API then guarantees a valid answer.
// There is no provider JSON mode: the json mode is the engine's prompt
// alone, which works with any model.
func (p *Provider) Capabilities(model string) llm.Capabilities {
	return Capabilities(model)
}

// Capabilities is [Provider.Capabilities] without a Provider.
func Capabilities(model string) llm.Capabilities {
	if supportsStructuredOutputs(model) {
		return llm.Capabilities{DefaultFormat: llm.FormatStrict, Formats: []llm.FormatMode{llm.FormatTool, llm.FormatStrict}}
	}
	return llm.Capabilities{DefaultFormat: llm.FormatTool, Formats: []llm.FormatMode{llm.FormatTool}}
}

// supportsStructuredOutputs reads the family and version from a model name:
// "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-opus-4-1",
// "claude-haiku-4-5". Names of the older form ("claude-3-5-haiku-latest")
// and names it cannot read (a proxy's aliases) do not qualify: the tool
// mode works everywhere, a wrong strict guess fails every call.
func supportsStructuredOutputs(model string) bool {
	rest, ok := strings.CutPrefix(model, "claude-")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "-")
	if len(parts) < 2 {
		return false
	}
	family := parts[0]
	if _, err := strconv.Atoi(family); err == nil {
		return false // the old form, version first: "claude-3-5-sonnet"
	}
	major, err := strconv.Atoi(parts[1])
	if err != nil {
		return false
	}
	minor := 0
	if len(parts) > 2 && len(parts[2]) <= 2 { // not a date suffix
		if n, err := strconv.Atoi(parts[2]); err == nil {
			minor = n
		}
	}
	switch {
	case major > 4:
		return true
	case major < 4:
		return false
	case family == "opus":
		return minor >= 1
	default:
		return minor >= 5
	}
}
