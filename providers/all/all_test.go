package all_test

import (
	"slices"
	"testing"

	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/all"
)

func TestRegistersEveryBuiltInProvider(t *testing.T) {
	for _, name := range []string{"openai", "ollama", "openrouter", "together", "vllm", "lmstudio", "llamacpp"} {
		if !slices.Contains(llm.Drivers(), name) {
			t.Errorf("provider %q is not registered; registered: %v", name, llm.Drivers())
		}
	}
}
