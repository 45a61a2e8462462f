// Command retry-specific runs a reliability scenario of llmhost. Retrying only specific errors: an authentication error is sent once, never retried.
//
// Offline, against a scripted fault server that stages the failure:
//
//	go run ./examples/retry-specific
//
// Against a real provider, which uses a deliberately invalid key, and shows the authentication error reported without a retry:
//
//	OPENAI_API_KEY=... go run ./examples/retry-specific -model openai/gpt-4o-mini
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
	os.Exit(scenario.Main("retry-specific", os.Args[1:], os.Stdout))
}
