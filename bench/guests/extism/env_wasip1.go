//go:build wasip1

package main

import "github.com/llmhost/llmhost/bench/internal/parsework"

// The Extism kernel's functions, as extism/go-sdk declares them in its
// extism:host/env module. Offsets are into the kernel's memory, not the
// guest's: every byte crosses the boundary through these calls.

//go:wasmimport extism:host/env input_length
func inputLength() uint64

//go:wasmimport extism:host/env input_load_u64
func inputLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env input_load_u8
func inputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env alloc
func kernelAlloc(n uint64) uint64

//go:wasmimport extism:host/env store_u64
func storeU64(offset uint64, v uint64)

//go:wasmimport extism:host/env store_u8
func storeU8(offset uint64, v uint32)

//go:wasmimport extism:host/env output_set
func outputSet(offset, n uint64)

//go:wasmimport extism:host/env error_set
func errorSet(offset uint64)

// input copies the call's input out of the kernel, as the PDKs' input
// helpers do: whole words, then the tail byte by byte.
func input() []byte {
	n := inputLength()
	b := make([]byte, n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		v := inputLoadU64(i)
		for j := range uint64(8) {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for ; i < n; i++ {
		b[i] = byte(inputLoadU8(i))
	}
	return b
}

// store copies b into a new kernel block and returns the block's offset.
func store(b []byte) uint64 {
	n := uint64(len(b))
	off := kernelAlloc(n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		var v uint64
		for j := range uint64(8) {
			v |= uint64(b[i+j]) << (8 * j)
		}
		storeU64(off+i, v)
	}
	for ; i < n; i++ {
		storeU8(off+i, uint32(b[i]))
	}
	return off
}

func output(b []byte) { outputSet(store(b), uint64(len(b))) }

//go:wasmexport echo
func echo() int32 {
	output(input())
	return 0
}

//go:wasmexport parse_answer
func parseAnswer() int32 {
	v, err := parsework.Parse(input())
	if err != nil {
		errorSet(store([]byte(err.Error())))
		return 1
	}
	output(v)
	return 0
}
