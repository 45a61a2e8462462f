// Package bench holds llmhost's benchmarks: the figures of BENCHMARKS.md,
// which `make bench` (at the repository root) measures and writes.
//
// It is a module of its own, so that what it compares llmhost with
// (langchaingo, and whatever else a comparison needs) never enters the
// product's go.mod. Its go.mod points github.com/llmhost/llmhost at the
// checkout above it.
//
// The benchmarks are in the _test.go files of this package, one file per
// section of BENCHMARKS.md:
//
//	plugin_test.go       plugin calls: echo and parse on the native ABI, the
//	                     Extism ABI and in-process Go
//	coldstart_test.go    compile, load from the disk cache in a second
//	                     process, new instance, pooled instance
//	concurrency_test.go  1 to 16 goroutines calling the calculator plugin
//	engine_test.go       llm.Call beside go-openai and langchaingo against
//	                     a local server, plain and streamed
//
// and the programs under cmd/:
//
//	report     runs everything and writes BENCHMARKS.md
//	coldstart  one process start loading a plugin, run by coldstart_test.go
//	memory     the host's memory over 10,000 plugin and 1,000 engine calls
//
// The guests are built from source when the benchmarks start (see
// internal/guests): guests/native and guests/extism, the same two functions
// on each ABI, and the bundled plugins/calculator.
package bench
