// Command tool-errors runs a reliability scenario of llmhost. Recovering from tool errors: a tool panics, the model reads the error and adapts.
//
// Offline, against a scripted fault server that stages the failure:
//
//	go run ./examples/tool-errors
//
// Against a real provider, which offers a calculator whose divide panics on zero, and runs the tool loop:
//
//	OPENAI_API_KEY=... go run ./examples/tool-errors -model openai/gpt-4o-mini
//
// The code of the scenario is in internal/scenario; `llmhost demo` runs all
// of them.
package main

import (
	"os"

	"github.com/llmhost/llmhost/internal/scenario"
	_ "github.com/llmhost/llmhost/providers/all"
)

func main() {
	os.Exit(scenario.Main("tool-errors", os.Args[1:], os.Stdout))
}
