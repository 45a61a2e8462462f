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
	"encoding/binary"
	"fmt"
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
	const (
		i32, i64 = 0x7f, 0x7e
		funcType = 0x60
	)
	// Types: 0 () -> (), 1 (i32) -> i32, 2 (i32, i32) -> i64.
	types := vec(3, []byte{
		funcType, 0, 0,
		funcType, 1, i32, 1, i32,
		funcType, 2, i32, i32, 1, i64,
	})
	// Functions: marker, alloc, describe, call.
	funcs := vec(4, []byte{0, 1, 2, 2})
	memory := vec(1, []byte{0x00, 1}) // min 1 page, no max
	var exports []byte
	exports = export(exports, "memory", 0x02, 0)
	exports = export(exports, "llmhost_abi_v1", 0x00, 0)
	exports = export(exports, "llmhost_alloc", 0x00, 1)
	exports = export(exports, "describe", 0x00, 2)
	exports = export(exports, "call", 0x00, 3)

	// Each body: no locals, instructions, end.
	body := func(code ...byte) []byte {
		b := append([]byte{0}, code...)
		b = append(b, 0x0b)
		return append(uleb(nil, uint64(len(b))), b...)
	}
	var code []byte
	code = append(code, body()...)
	code = append(code, body(append([]byte{0x41}, sleb(nil, inputAt)...)...)...) // i32.const
	code = append(code, body(append([]byte{0x42}, sleb(nil, packed(describeAt, len(Describe)))...)...)...)
	code = append(code, body(append([]byte{0x42}, sleb(nil, packed(replyAt, len(Reply)))...)...)...)

	var data []byte
	data = segment(data, describeAt, Describe)
	data = segment(data, replyAt, Reply)

	out := []byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}
	out = section(out, 1, types)
	out = section(out, 3, funcs)
	out = section(out, 5, memory)
	out = section(out, 7, vec(5, exports))
	out = section(out, 10, vec(4, code))
	out = section(out, 11, vec(2, data))
	return out
}

// packed is the ABI's reply word: length in bits 32..62, pointer below.
func packed(ptr, n int) int64 { return int64(n)<<32 | int64(ptr) }

func segment(b []byte, at int, s string) []byte {
	b = append(b, 0x00, 0x41) // memory 0, i32.const
	b = sleb(b, int64(at))
	b = append(b, 0x0b)
	b = uleb(b, uint64(len(s)))
	return append(b, s...)
}

func export(b []byte, name string, kind byte, index uint64) []byte {
	b = uleb(b, uint64(len(name)))
	b = append(b, name...)
	b = append(b, kind)
	return uleb(b, index)
}

func section(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = uleb(out, uint64(len(body)))
	return append(out, body...)
}

func vec(n int, items []byte) []byte { return append(uleb(nil, uint64(n)), items...) }

func uleb(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// sleb appends v in signed LEB128, the encoding of constants.
func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// String describes the module for reports.
func String() string { return fmt.Sprintf("%d-byte hand-encoded llmhost/1 module", len(Module())) }
