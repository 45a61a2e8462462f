// Command parse-feedback runs a reliability scenario of llmhost. Feeding parse errors back: an answer that breaks the schema is corrected by the model.
//
// Offline, against a scripted fault server that stages the failure:
//
//	go run ./examples/parse-feedback
//
// Against a real provider, which asks for a Book as structured output, validated against its schema:
//
//	OPENAI_API_KEY=... go run ./examples/parse-feedback -model openai/gpt-4o-mini
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
	os.Exit(scenario.Main("parse-feedback", os.Args[1:], os.Stdout))
}
