// Package all registers every built-in provider of llmhost. A program that
// wants them all imports it for that side effect alone:
//
//	import _ "github.com/llmhost/llmhost/providers/all"
//
// after which llm.Call and llm.Stream accept model ids of every built-in
// provider: openai/..., ollama/..., openrouter/..., and the rest listed by
// llm.Drivers.
package all

import (
	// OpenAI and every OpenAI-compatible server: ollama, openrouter,
	// together, vllm, lmstudio, llamacpp.
	_ "github.com/llmhost/llmhost/providers/openai"

	// Anthropic's Messages API.
	_ "github.com/llmhost/llmhost/providers/anthropic"
	// Google's Gemini API.
	_ "github.com/llmhost/llmhost/providers/google"
)
