// Package google is the llmhost provider for Google's Gemini API
// (generateContent and streamGenerateContent), built on the official SDK,
// google.golang.org/genai, with an API key.
//
// Importing the package registers the driver "google", so model ids of the
// form "google/<model>" reach it:
//
//	import _ "github.com/llmhost/llmhost/providers/google"
//
//	resp, err := llm.Call(ctx, "google/gemini-2.5-flash", msgs)
//
// # Configuration
//
// The key comes from [llm.Config.APIKey] (llm.WithEndpoint), else from
// GOOGLE_API_KEY; the endpoint from [llm.Config.BaseURL], else from
// GOOGLE_BASE_URL, else [DefaultBaseURL]. Base URLs take the SDK's form: the
// host root ("http://127.0.0.1:8080"), to which the SDK adds
// /v1beta/models/<model>:generateContent. The Gemini API backend is always
// used: the SDK's switch to Vertex AI by environment variable is ignored.
//
// # One attempt per call
//
// The SDK's HTTP retries are off (its default), and so is its automatic
// continuation, which would send further requests behind the engine's
// back: retries, backoff and stream resumption belong to the engine.
// Failures come out as *llm.Error: Google answers a bad key with a 400 whose
// ErrorInfo reason is API_KEY_INVALID, which is authentication here; 403,
// 404 and 429 are permission, not_found and rate_limit; 5xx is server, and
// so is an error inside a 200 stream. Google says when to come back in a
// RetryInfo detail ("retryDelay": "37s") more often than in a Retry-After
// header; either becomes RetryAfter. The genai SDK does not keep response
// headers on its errors, so the provider reads them, and any failure to read
// a body, through a wrapper around the HTTP client's transport.
//
// # Messages
//
//   - System messages are joined into the systemInstruction.
//   - Thought parts ("thought": true) are llm.Thought, kept in the messages
//     and never part of Text.
//   - Gemini signs parts with a thoughtSignature, on thoughts, on function
//     calls and on text. A signature on a part that is not a thought is kept
//     as an llm.Thought holding only the signature, right after the part it
//     signs, and goes back on that part when the conversation continues
//     with Google: Gemini rejects a function call sent back without its
//     signature. Other providers drop such thoughts, like any thought not
//     theirs.
//   - Gemini's function calls usually carry no id. The provider names them
//     "gemini-call:<responseId>:<n>", stable for a given answer, and never
//     sends such a name back: outputs are matched to calls by function name,
//     as Gemini does.
//
// # Structured output
//
// The strict mode (the default) sends responseMimeType application/json
// with the schema as responseSchema, Gemini's own schema dialect: types in
// capitals, $refs inlined, propertyOrdering from the order of the JSON
// Schema's properties. A schema that dialect cannot hold (a recursive $ref,
// a tuple) is sent as responseJsonSchema instead. The json mode sends
// responseMimeType alone, beside the engine's prompt; the tool mode forces a
// call with functionCallingConfig mode ANY.
package google
