// Command fallback runs a reliability scenario of llmhost. Provider fallbacks: the primary stays down; the fallback model answers.
//
// Offline, against a scripted fault server that stages the failure:
//
//	go run ./examples/fallback
//
// Against a real provider, which tries -model, then -fallback:
//
//	OPENAI_API_KEY=... go run ./examples/fallback -model openai/gpt-4o-mini
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
	os.Exit(scenario.Main("fallback", os.Args[1:], os.Stdout))
}
