//go:build wasip1

package main

import (
	"encoding/json"
	"os"
)

// Imports of the Extism kernel, as the SDK's extism:host/env module
// declares them (see extism/go-sdk's host.go). Offsets are into the
// kernel's memory, not the guest's.

//go:wasmimport extism:host/env input_length
func inputLength() uint64

//go:wasmimport extism:host/env input_load_u64
func inputLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env input_load_u8
func inputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env alloc
func alloc(n uint64) uint64

//go:wasmimport extism:host/env length
func length(offset uint64) uint64

//go:wasmimport extism:host/env load_u64
func loadU64(offset uint64) uint64

//go:wasmimport extism:host/env load_u8
func loadU8(offset uint64) uint32

//go:wasmimport extism:host/env store_u64
func storeU64(offset uint64, v uint64)

//go:wasmimport extism:host/env store_u8
func storeU8(offset uint64, v uint32)

//go:wasmimport extism:host/env output_set
func outputSet(offset, n uint64)

//go:wasmimport extism:host/env error_set
func errorSet(offset uint64)

//go:wasmimport extism:host/env config_get
func configGet(offset uint64) uint64

//go:wasmimport extism:host/env http_request
func httpRequest(req, body uint64) uint64

//go:wasmimport extism:host/env http_status_code
func httpStatusCode() int32

// input reads the call's input the way the Extism Go PDK does: eight bytes
// per host call, then the tail byte by byte. This is the cost the native
// ABI avoids.
func input() []byte {
	n := inputLength()
	b := make([]byte, n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		v := inputLoadU64(i)
		for j := range 8 {
			b[i+uint64(j)] = byte(v >> (8 * j))
		}
	}
	for ; i < n; i++ {
		b[i] = byte(inputLoadU8(i))
	}
	return b
}

// store copies b into a new kernel block and returns its offset.
func store(b []byte) uint64 {
	n := uint64(len(b))
	off := alloc(n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		var v uint64
		for j := range 8 {
			v |= uint64(b[i+uint64(j)]) << (8 * j)
		}
		storeU64(off+i, v)
	}
	for ; i < n; i++ {
		storeU8(off+i, uint32(b[i]))
	}
	return off
}

func load(off uint64) []byte {
	n := length(off)
	b := make([]byte, n)
	for i := range n {
		b[i] = byte(loadU8(off + i))
	}
	return b
}

func output(b []byte) { outputSet(store(b), uint64(len(b))) }

func fail(msg string) int32 {
	errorSet(store([]byte(msg)))
	return 1
}

//go:wasmexport echo
func echo() int32 {
	output(input())
	return 0
}

//go:wasmexport describe
func describe() int32 {
	output(servletDescribe())
	return 0
}

//go:wasmexport call
func call() int32 {
	output(servletCall(input()))
	return 0
}

//go:wasmexport repeat
func repeatExport() int32 {
	output(repeat(input()))
	return 0
}

//go:wasmexport fail
func failExport() int32 { return fail("deliberate failure: " + string(input())) }

//go:wasmexport config
func config() int32 {
	off := configGet(store(input()))
	if off == 0 {
		return fail("no such config key")
	}
	output(load(off))
	return 0
}

//go:wasmexport http_get
func httpGet() int32 {
	req, _ := json.Marshal(map[string]string{"url": string(input()), "method": "GET"})
	off := httpRequest(store(req), 0)
	if off == 0 {
		output(nil)
		return 0
	}
	output(load(off))
	return 0
}

//go:wasmexport read_file
func readFile() int32 {
	b, err := os.ReadFile(string(input()))
	if err != nil {
		return fail(err.Error())
	}
	output(b)
	return 0
}

//go:wasmexport loop
func loop() int32 {
	for {
	}
}
