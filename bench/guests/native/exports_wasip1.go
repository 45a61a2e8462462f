//go:build wasip1

package main

import (
	"github.com/llmhost/llmhost/bench/internal/parsework"
	"github.com/llmhost/llmhost/pdk"
)

//go:wasmexport echo
func echo(ptr, n uint32) uint64 {
	return pdk.Raw(ptr, n, func(in []byte) ([]byte, error) { return in, nil })
}

//go:wasmexport parse_answer
func parseAnswer(ptr, n uint32) uint64 { return pdk.Raw(ptr, n, parsework.Parse) }
