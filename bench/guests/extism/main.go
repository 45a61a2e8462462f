// Command extism is the benchmarks' Extism guest: the same two functions as
// the native guest (echo, parse_answer), with the Extism calling convention.
// It moves its input and output through the Extism kernel the way the
// Extism PDKs do, eight bytes per host call, which is the cost of that ABI
// that these benchmarks measure. The Extism Go PDK is not a dependency of
// llmhost, so the few kernel functions it needs are imported by hand
// (env_wasip1.go).
package main

func main() {}
