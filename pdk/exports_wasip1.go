//go:build wasip1

package pdk

import "github.com/llmhost/llmhost/abi"

// The exports of the llmhost/1 ABI. They exist only in wasm builds; every
// one is a thin shim over code that is tested natively.

//go:wasmexport llmhost_abi_v1
func exportMarker() {}

//go:wasmexport llmhost_alloc
func exportAlloc(size uint32) uint32 { return allocInput(size) }

//go:wasmexport llmhost_configure
func exportConfigure(ptr, n uint32) uint64 { return serve(abi.ExportConfigure, ptr, n) }

//go:wasmexport describe
func exportDescribe(ptr, n uint32) uint64 { return serve(abi.ExportDescribe, ptr, n) }

//go:wasmexport call
func exportCall(ptr, n uint32) uint64 { return serve(abi.ExportCall, ptr, n) }

//go:wasmexport parse
func exportParse(ptr, n uint32) uint64 { return serve(abi.ExportParse, ptr, n) }

//go:wasmexport decide
func exportDecide(ptr, n uint32) uint64 { return serve(abi.ExportDecide, ptr, n) }
