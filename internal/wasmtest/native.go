package wasmtest

import (
	"encoding/json"

	"github.com/llmhost/llmhost/abi"
)

// NativeHelperIndex is the function index of the first helper passed to
// Native, for use with Call.
const NativeHelperIndex = 4

// Native returns a minimal llmhost/1 guest named name: one page of memory,
// the marker, an allocator that always answers 1024, a describe declaring
// one tool "run" taking any object, and a call export whose body is call.
// The body receives (ptr i32, len i32) and must leave an i64 packed reply
// (abi.Pack) on the stack, or never return. helpers are appended after the
// four exports (index NativeHelperIndex onward).
func Native(name string, call []byte, helpers ...Func) []byte {
	d, _ := json.Marshal(abi.Describe{
		ABI: abi.Version, Name: name, Version: "0",
		Tools: []abi.Tool{{Name: "run", Description: "misbehaves", Parameters: json.RawMessage(`{"type":"object"}`)}},
	})
	const at = 256
	m := Module{
		MemoryMin: 1,
		Funcs: append([]Func{
			{Export: abi.ExportMarker},
			{Export: abi.ExportAlloc, Params: []byte{I32}, Results: []byte{I32}, Body: I32Const(1024)},
			{Export: abi.ExportDescribe, Params: []byte{I32, I32}, Results: []byte{I64},
				Body: I64Const(int64(abi.Pack(at, uint32(len(d)), false)))},
			{Export: abi.ExportCall, Params: []byte{I32, I32}, Results: []byte{I64}, Body: call},
		}, helpers...),
		Data: []Data{{Offset: at, Bytes: d}},
	}
	return m.Encode()
}
