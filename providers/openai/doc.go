// Package openai is llmhost's provider for the OpenAI chat-completions API
// and for every server that speaks it, built on
// github.com/sashabaranov/go-openai.
//
// Importing the package registers one driver per known server, so that
// model ids name the server:
//
//	import _ "github.com/llmhost/llmhost/providers/openai"
//
//	resp, err := llm.Call(ctx, "ollama/llama3.2", []llm.Message{llm.User("Hi")})
//
// The servers, with their defaults; each also reads <NAME>_BASE_URL and,
// where a key is optional, uses <NAME>_API_KEY when it is set:
//
//	name        default base URL                key
//	openai      https://api.openai.com/v1       OPENAI_API_KEY (required)
//	openrouter  https://openrouter.ai/api/v1    OPENROUTER_API_KEY (required)
//	together    https://api.together.xyz/v1     TOGETHER_API_KEY (required)
//	ollama      http://localhost:11434/v1       none needed
//	vllm        http://localhost:8000/v1        none needed
//	lmstudio    http://localhost:1234/v1        none needed
//	llamacpp    http://localhost:8080/v1        none needed
//
// Base URLs take the official SDK's form, everything before
// /chat/completions: OPENAI_BASE_URL=http://127.0.0.1:8080/v1. Another
// compatible service is one Register call away.
//
// What the provider does for the engine:
//
//   - Calls and streams, with usage in streams (stream_options.include_usage),
//     tool calls (streamed ones as deltas by index), and sampling settings;
//     reasoning models (o1, o3, o4, gpt-5) get max_completion_tokens instead
//     of max_tokens.
//   - Structured output: the strict mode becomes response_format json_schema
//     with "strict": true and the schema adapted as OpenAI requires (every
//     object closed with "additionalProperties": false and all its
//     properties required, key order kept); so does the schema of a strict
//     tool. The JSON mode becomes json_object. Capabilities says what each
//     server supports.
//   - Finish reasons: "length" is max_tokens; a refusal or content_filter is
//     refusal, and the refusal's words are the answer's text.
//   - Errors: every failure is an *llm.Error. Statuses map to kinds (401
//     authentication, 403 permission, 400/409/422 bad_request, 404 and
//     OpenAI's 400 model_not_found not_found, 429 rate_limit, 5xx server),
//     with the server's own message and Retry-After / retry-after-ms, on
//     streams too; an error event inside a 200 stream is server; a body or
//     stream that does not decode is response_validation; a network failure
//     is connection or timeout.
package openai
