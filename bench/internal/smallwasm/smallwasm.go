// Package smallwasm makes the "small guest" of the cold-start benchmarks:
// the minimal llmhost/1 module of abi/README.md section 10, one tool that
// always answers 42, a few hundred bytes with no language runtime. Beside a
// Go guest (megabytes, a runtime to initialise) it shows the fixed cost of
// loading and instantiating any module.
//
// The module is encoded here, byte by byte, so that the benchmarks need no
// assembler beyond the Go toolchain.
package smallwasm

import (
	"fmt"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Describe is the guest's describe reply.
const Describe = `{"abi":"llmhost/1","name":"answer","version":"1.0.0","tools":[{"name":"answer","description":"Answers 42.","parameters":{"type":"object"}}]}`

// Reply is what its tool returns, whatever the arguments.
const Reply = "42"

const (
	describeAt = 256
	replyAt    = 1024
	inputAt    = 2048 // the allocator's fixed region, up to the end of the page
)

// Module returns the encoded module. It exports memory (one page),
// llmhost_abi_v1, llmhost_alloc (always the region at 2048, so inputs of up
// to 62 KiB), describe and call, which reply with constants in memory.
func Module() []byte {
	reply := func(at int, s string) []byte {
		return wasmtest.I64Const(int64(abi.Pack(uint32(at), uint32(len(s)), false)))
	}
	i32, i64 := wasmtest.I32, wasmtest.I64
	return wasmtest.Module{
		MemoryMin: 1,
		Funcs: []wasmtest.Func{
			{Export: abi.ExportMarker},
			{Export: abi.ExportAlloc, Params: []byte{i32}, Results: []byte{i32}, Body: wasmtest.I32Const(inputAt)},
			{Export: abi.ExportDescribe, Params: []byte{i32, i32}, Results: []byte{i64}, Body: reply(describeAt, Describe)},
			{Export: abi.ExportCall, Params: []byte{i32, i32}, Results: []byte{i64}, Body: reply(replyAt, Reply)},
		},
		Data: []wasmtest.Data{
			{Offset: describeAt, Bytes: []byte(Describe)},
			{Offset: replyAt, Bytes: []byte(Reply)},
		},
	}.Encode()
}

// String describes the module for reports.
func String() string { return fmt.Sprintf("%d-byte hand-encoded llmhost/1 module", len(Module())) }
