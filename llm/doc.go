// Package llm is the engine of llmhost: reliable calls to large language
// models, across providers, with the reliability model of Mirascope's llm
// API.
//
// A call names its model as "provider/model" and gets back a Response:
//
//	import (
//		"github.com/llmhost/llmhost/llm"
//		_ "github.com/llmhost/llmhost/providers/all"
//	)
//
//	resp, err := llm.Call(ctx, "openai/gpt-4o-mini",
//		[]llm.Message{llm.User("What is 4200 + 42?")},
//		llm.WithFallbacks("anthropic/claude-3-5-haiku-latest"))
//	if err != nil {
//		var e *llm.Error
//		if errors.As(err, &e) {
//			log.Fatalf("%s (%d attempts)", e.Kind, len(e.Attempts))
//		}
//	}
//	fmt.Println(resp.Text())
//
// What the engine does for you:
//
//   - Errors: every provider's failures come out as one type, *Error, with a
//     Kind shared by all providers (rate_limit, server, authentication, ...).
//   - Retries: failures of the kinds a RetryPolicy names are retried with
//     exponential backoff and jitter, waiting what Retry-After says when the
//     provider says it. Fallback models each get their own budget, and a
//     model that keeps failing is skipped for a while (Cooldowns).
//   - Streams: a StreamResponse that fails part way is resumed; the reader
//     receives the partial text and then the continuation, nothing lost or
//     repeated.
//   - Structured output: a Format from a Go type or a JSON Schema; answers
//     that fail to parse or validate go back to the model with a message
//     that names what was wrong.
//   - Tools: Go functions become Tools; their errors and panics become
//     ToolOutput errors that the model reads, and the tool loop goes on.
//
// Providers are drivers, registered like database/sql drivers by the
// packages under providers/. This package imports none of them.
package llm
