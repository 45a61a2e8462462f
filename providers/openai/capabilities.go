package openai

import (
	"strings"

	"github.com/llmhost/llmhost/llm"
)

// Capabilities says which structured-output modes model supports on this
// server and which one a Format without a mode gets. It implements
// llm.CapabilityReporter.
func (p *Provider) Capabilities(model string) llm.Capabilities {
	if p.server.Capabilities == nil {
		return hostedCapabilities(model)
	}
	return p.server.Capabilities(model)
}

var (
	allFormats  = []llm.FormatMode{llm.FormatTool, llm.FormatJSON, llm.FormatStrict}
	toolAndJSON = []llm.FormatMode{llm.FormatTool, llm.FormatJSON}
)

// openAICapabilities: OpenAI's own models default to strict, native JSON
// schema output, which OpenAI recommends and guarantees for every model
// since gpt-4o-2024-08-06. The models before it (gpt-3.5, gpt-4,
// gpt-4-turbo) have no json_schema response format and fall back to tools.
func openAICapabilities(model string) llm.Capabilities {
	if legacyOpenAIModel(model) {
		return llm.Capabilities{DefaultFormat: llm.FormatTool, Formats: toolAndJSON}
	}
	return llm.Capabilities{DefaultFormat: llm.FormatStrict, Formats: allFormats}
}

func legacyOpenAIModel(model string) bool {
	return strings.HasPrefix(model, "gpt-3.5") || model == "gpt-4" || strings.HasPrefix(model, "gpt-4-")
}

// openRouterCapabilities: OpenRouter names models "vendor/model". Its
// OpenAI models behave as OpenAI's own; the others vary by upstream, and
// tool calls are what most of them honour.
func openRouterCapabilities(model string) llm.Capabilities {
	if m, ok := strings.CutPrefix(model, "openai/"); ok {
		return openAICapabilities(m)
	}
	return hostedCapabilities(model)
}

// hostedCapabilities suits a service that hosts many models (Together,
// and any Server registered without Capabilities): tools by default, JSON
// mode and JSON schema when asked for.
func hostedCapabilities(string) llm.Capabilities {
	return llm.Capabilities{DefaultFormat: llm.FormatTool, Formats: allFormats}
}

// localCapabilities suits Ollama, vLLM and llama.cpp, which enforce a JSON
// schema by constrained decoding whatever the model, so strict is the
// reliable default there.
func localCapabilities(string) llm.Capabilities {
	return llm.Capabilities{DefaultFormat: llm.FormatStrict, Formats: allFormats}
}

// lmStudioCapabilities: LM Studio enforces JSON schemas too, but has no
// json_object mode.
func lmStudioCapabilities(string) llm.Capabilities {
	return llm.Capabilities{DefaultFormat: llm.FormatStrict, Formats: []llm.FormatMode{llm.FormatTool, llm.FormatStrict}}
}
