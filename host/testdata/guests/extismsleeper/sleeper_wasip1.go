//go:build wasip1

package main

import (
	"strconv"
	"time"
)

//go:wasmimport extism:host/env input_length
func inputLength() uint64

//go:wasmimport extism:host/env input_load_u8
func inputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env alloc
func alloc(n uint64) uint64

//go:wasmimport extism:host/env length
func length(offset uint64) uint64

//go:wasmimport extism:host/env load_u8
func loadU8(offset uint64) uint32

//go:wasmimport extism:host/env store_u8
func storeU8(offset uint64, v uint32)

//go:wasmimport extism:host/env output_set
func outputSet(offset, n uint64)

//go:wasmimport extism:host/env config_get
func configGet(offset uint64) uint64

func input() []byte {
	b := make([]byte, inputLength())
	for i := range b {
		b[i] = byte(inputLoadU8(uint64(i)))
	}
	return b
}

func store(b []byte) uint64 {
	off := alloc(uint64(len(b)))
	for i, c := range b {
		storeU8(off+uint64(i), uint32(c))
	}
	return off
}

func config(key string) string {
	off := configGet(store([]byte(key)))
	if off == 0 {
		return ""
	}
	b := make([]byte, length(off))
	for i := range b {
		b[i] = byte(loadU8(off + uint64(i)))
	}
	return string(b)
}

func init() {
	if config("sleep_init") == "1" {
		time.Sleep(time.Hour)
	}
}

// sleep sleeps as many milliseconds as its input says, then answers.
//
//go:wasmexport sleep
func sleep() int32 {
	ms, _ := strconv.Atoi(string(input()))
	time.Sleep(time.Duration(ms) * time.Millisecond)
	b := []byte("awake")
	outputSet(store(b), uint64(len(b)))
	return 0
}
