// Command stream-resume runs a reliability scenario of llmhost. Resuming a failed stream: the connection is cut mid-chunk; the partial answer is kept and continued.
//
// Offline, against a scripted fault server that stages the failure:
//
//	go run ./examples/stream-resume
//
// Against a real provider, which streams an answer; a cut connection would be resumed the same way:
//
//	OPENAI_API_KEY=... go run ./examples/stream-resume -model openai/gpt-4o-mini
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
	os.Exit(scenario.Main("stream-resume", os.Args[1:], os.Stdout))
}
