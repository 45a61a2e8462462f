//go:build wasip1

package main

import "github.com/llmhost/llmhost/pdk"

// echo returns its input: no copy in the guest, so a benchmark of it
// measures the host's side of a call.
//
//go:wasmexport echo
func echo(ptr, n uint32) uint64 {
	return pdk.Raw(ptr, n, func(in []byte) ([]byte, error) { return in, nil })
}
