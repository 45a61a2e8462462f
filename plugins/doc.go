// Package plugins holds no code: its sub-directories are the sources of the
// plugins bundled with llmhost, Go guests of the llmhost/1 ABI built with
// the standard toolchain by `make plugins` into build/plugins/NAME.wasm:
//
//	calculator   tools add, subtract, multiply, divide (divide panics on b = 0)
//	jsonextract  parser "json": JSON found in prose or a fence, validated
//	             against the request's schema, with a retry message naming
//	             the fields
//	backoff      retry strategy: exponential backoff with jitter, honours
//	             retry_after_ms, falls back after N attempts
//	files        tools list and read over a directory the user grants
//
// Each is a main package whose logic also compiles natively, so it is
// unit-tested with pdk.Invoke; the tests in this directory build every
// plugin to WebAssembly and run it through package host.
package plugins
