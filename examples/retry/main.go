// Command retry runs a reliability scenario of llmhost. Retrying calls: a 429 with Retry-After, then success.
//
// Offline, against a scripted fault server that stages the failure:
//
//	go run ./examples/retry
//
// Against a real provider, which the call waits what Retry-After says, then succeeds:
//
//	OPENAI_API_KEY=... go run ./examples/retry -model openai/gpt-4o-mini
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
	os.Exit(scenario.Main("retry", os.Args[1:], os.Stdout))
}
