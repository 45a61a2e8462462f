// Package abi is the contract between llmhost and its WebAssembly plugins:
// the ABI version, the calling convention, and the JSON messages of each
// plugin kind as Go types.
//
// The normative text is README.md beside this file; it is written so that a
// guest can be implemented in any language from it alone. The JSON Schema of
// every message is in the sub-package schema.
//
// This package is imported by both sides: the host (package host) and the Go
// guest SDK (package pdk), which is compiled to GOOS=wasip1 GOARCH=wasm. It
// therefore depends on nothing but the standard library.
package abi

// Version is the ABI version a native guest declares in the "abi" field of
// its describe reply.
const Version = "llmhost/1"

// Names of the exports of a native (llmhost/1) guest.
const (
	// ExportMarker is exported by every llmhost/1 guest. Its presence is how
	// the host recognises the ABI; the host never calls it. An incompatible
	// future version will use a different marker (llmhost_abi_v2, ...).
	ExportMarker = "llmhost_abi_v1"
	// ExportAlloc is the guest allocator: (size i32) -> (ptr i32).
	ExportAlloc = "llmhost_alloc"
	// ExportConfigure optionally receives the plugin's configuration map
	// once per instance, before any other call: (ptr i32, len i32) -> i64.
	ExportConfigure = "llmhost_configure"
	// ExportMemory is the guest's linear memory.
	ExportMemory = "memory"
	// ExportInitialize is the WASI reactor initialiser. When present the host
	// calls it once per instance, first.
	ExportInitialize = "_initialize"

	ExportDescribe = "describe" // every plugin: () -> Describe
	ExportCall     = "call"     // tools: ToolCall -> any JSON
	ExportParse    = "parse"    // parsers: ParseRequest -> ParseResult
	ExportDecide   = "decide"   // retry strategies: DecideRequest -> Decision
)

// ErrorFlag is the bit of a packed reply that marks an error reply: the bytes
// it points to are then an Error message rather than the function's result.
const ErrorFlag uint64 = 1 << 63

// MaxReplyLen is the largest length a packed reply can express (2 GiB - 1).
const MaxReplyLen = 1<<31 - 1

// Pack encodes the reply of an export as the i64 it returns:
//
//	bit  63     error flag (1: the bytes are an Error message)
//	bits 32..62 length in bytes
//	bits  0..31 pointer into the guest's memory
//
// n must not exceed MaxReplyLen; larger values are truncated to 31 bits.
func Pack(ptr, n uint32, isErr bool) uint64 {
	r := uint64(n&MaxReplyLen)<<32 | uint64(ptr)
	if isErr {
		r |= ErrorFlag
	}
	return r
}

// Unpack decodes a reply packed by Pack.
func Unpack(r uint64) (ptr, n uint32, isErr bool) {
	return uint32(r), uint32(r>>32) & MaxReplyLen, r&ErrorFlag != 0
}
