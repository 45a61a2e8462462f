// Command native is the benchmarks' llmhost/1 guest, built with the Go
// guest SDK. It exports two raw functions with the ABI's calling
// convention:
//
//	echo           returns its input as is (no copy in the guest), so what
//	               it costs is the host's side of a call
//	parse_answer   the parse workload (package parsework) on the input
package main

import "github.com/llmhost/llmhost/pdk"

func init() { pdk.Info("bench-native", "1.0.0") }

func main() {}
