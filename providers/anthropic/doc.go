// Package anthropic is the llmhost provider for Anthropic's Messages API,
// built on the official SDK, github.com/anthropics/anthropic-sdk-go.
//
// Importing the package registers the driver "anthropic", so model ids of
// the form "anthropic/<model>" reach it:
//
//	import _ "github.com/llmhost/llmhost/providers/anthropic"
//
//	resp, err := llm.Call(ctx, "anthropic/claude-sonnet-4-0", msgs)
//
// # Configuration
//
// The key comes from [llm.Config.APIKey] (llm.WithEndpoint), else from
// ANTHROPIC_API_KEY; the endpoint from [llm.Config.BaseURL], else from
// ANTHROPIC_BASE_URL, else [DefaultBaseURL]. Base URLs take the SDK's form:
// the host root ("http://127.0.0.1:8080"), to which the SDK adds
// /v1/messages. The SDK's own environment autoloading (profiles, auth
// tokens, custom headers) is switched off, so what reaches Anthropic is
// exactly what llmhost was configured with.
//
// # One attempt per call
//
// The SDK's retries are turned off: retries, backoff, fallbacks and stream
// resumption belong to the engine, which needs to see every failure.
// Failures come out as *llm.Error of the kinds the engine retries on:
// 429 is rate_limit with the server's retry-after-ms / retry-after, 500 and
// 529 (overloaded) are server, and so is an "event: error" inside a 200
// stream, after whatever content the stream had already delivered.
//
// # What is sent
//
//   - max_tokens is required by Anthropic; [DefaultMaxTokens] is sent when
//     the call does not set one. The SDK refuses a non-streamed request it
//     expects to run past ten minutes (max_tokens above about 21,000, or
//     8,192 for Opus 4.0): such calls must stream.
//   - Params.Seed has no Anthropic counterpart and is not sent.
//   - System messages, wherever they are, are joined into the system prompt.
//   - Tool outputs go back as tool_result blocks in a user turn, with
//     is_error set when the tool failed.
//   - Thinking blocks are kept in the messages as llm.Thought (signature
//     included) and sent back unchanged on later turns to Anthropic; thoughts
//     written by other providers are dropped, their signatures mean nothing
//     here. A streamed redacted_thinking block cannot be kept: llm.Chunk has
//     no field for its data.
//   - Prompt caching: the system prompt, the last tool and, in a multi-turn
//     conversation, the last block of the last message are marked
//     cache_control "ephemeral". Repeated prefixes (tool loops, parse
//     retries, resumed conversations) are then read from Anthropic's cache
//     at a fraction of the price; Usage.CacheReadTokens reports it. Prefixes
//     shorter than the model's minimum are simply not cached.
//
// # Structured output
//
// Every model supports the tool mode (a forced call of the format tool,
// with disable_parallel_tool_use). A tool's Strict flag is not sent: strict
// tool schemas need the structured-outputs beta, which not every model has,
// and the engine validates arguments anyway. Models that support Anthropic's
// structured outputs (Sonnet 4.5, Haiku 4.5, Opus 4.1 and later) also
// support the strict mode, which is their default: the schema is sent as
// the beta "output_format" (POST /v1/messages?beta=true with the
// anthropic-beta: structured-outputs-2025-11-13 header), after the SDK's
// transform makes it acceptable (additionalProperties false on objects,
// unsupported keywords moved into descriptions). The json mode needs
// nothing from the provider: the engine puts the schema in the prompt.
package anthropic
