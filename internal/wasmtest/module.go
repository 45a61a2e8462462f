package wasmtest

import "encoding/binary"

// Value types of the WebAssembly binary format.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Module is a WebAssembly module small enough to write by hand: the guests
// that misbehave on purpose (trap, loop, recurse, grow memory, lie about
// their output) are a few instructions each, and writing them as bytes
// keeps the tests free of a wat2wasm dependency.
type Module struct {
	Imports []Import
	// Memory declares one memory of MemoryMin pages (64 KiB each),
	// exported as "memory". MemoryMin 0 means no memory.
	MemoryMin uint32
	Funcs     []Func
	Data      []Data
}

// Import is an imported function.
type Import struct {
	Module, Name    string
	Params, Results []byte
}

// Func is a function defined by the module. Its index is len(Imports) plus
// its position in Funcs. Body is the code after the locals, without the
// final end.
type Func struct {
	Export          string // "" for none
	Params, Results []byte
	Locals          []byte // one value type per local
	Body            []byte
}

// Data is an active data segment in memory 0.
type Data struct {
	Offset uint32
	Bytes  []byte
}

// Encode returns the module's binary form.
func (m Module) Encode() []byte {
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

	// One type per function (duplicates are allowed).
	var types []byte
	n := 0
	sig := func(p, r []byte) {
		types = append(types, 0x60)
		types = vec(types, len(p), p)
		types = vec(types, len(r), r)
		n++
	}
	for _, im := range m.Imports {
		sig(im.Params, im.Results)
	}
	for _, f := range m.Funcs {
		sig(f.Params, f.Results)
	}
	out = section(out, 1, uleb(nil, uint64(n)), types)

	if len(m.Imports) > 0 {
		var b []byte
		for i, im := range m.Imports {
			b = name(b, im.Module)
			b = name(b, im.Name)
			b = append(b, 0x00) // func
			b = uleb(b, uint64(i))
		}
		out = section(out, 2, uleb(nil, uint64(len(m.Imports))), b)
	}

	var funcs []byte
	for i := range m.Funcs {
		funcs = uleb(funcs, uint64(len(m.Imports)+i))
	}
	out = section(out, 3, uleb(nil, uint64(len(m.Funcs))), funcs)

	if m.MemoryMin > 0 {
		out = section(out, 5, []byte{1}, uleb([]byte{0x00}, uint64(m.MemoryMin)))
	}

	var exports []byte
	ne := 0
	if m.MemoryMin > 0 {
		exports = append(name(exports, "memory"), 0x02, 0x00)
		ne++
	}
	for i, f := range m.Funcs {
		if f.Export != "" {
			exports = append(name(exports, f.Export), 0x00)
			exports = uleb(exports, uint64(len(m.Imports)+i))
			ne++
		}
	}
	out = section(out, 7, uleb(nil, uint64(ne)), exports)

	var code []byte
	for _, f := range m.Funcs {
		var body []byte
		body = uleb(body, uint64(len(f.Locals)))
		for _, l := range f.Locals {
			body = append(body, 1, l)
		}
		body = append(append(body, f.Body...), 0x0b)
		code = uleb(code, uint64(len(body)))
		code = append(code, body...)
	}
	out = section(out, 10, uleb(nil, uint64(len(m.Funcs))), code)

	if len(m.Data) > 0 {
		var data []byte
		for _, d := range m.Data {
			data = append(data, 0x00)
			data = append(data, I32Const(int32(d.Offset))...)
			data = append(data, 0x0b)
			data = uleb(data, uint64(len(d.Bytes)))
			data = append(data, d.Bytes...)
		}
		out = section(out, 11, uleb(nil, uint64(len(m.Data))), data)
	}
	return out
}

// Instructions, enough for the test guests.
var (
	Unreachable = []byte{0x00}
	End         = []byte{0x0b}
	Return      = []byte{0x0f}
	Drop        = []byte{0x1a}
	I32Eq       = []byte{0x46}
	// MemoryGrow pops a page count and pushes the old size or -1.
	MemoryGrow = []byte{0x40, 0x00}
)

// Block and Loop open a block with no result; close them with End.
func Block() []byte { return []byte{0x02, 0x40} }
func Loop() []byte  { return []byte{0x03, 0x40} }

func Br(depth uint32) []byte   { return uleb([]byte{0x0c}, uint64(depth)) }
func BrIf(depth uint32) []byte { return uleb([]byte{0x0d}, uint64(depth)) }
func Call(fn uint32) []byte    { return uleb([]byte{0x10}, uint64(fn)) }
func LocalGet(i uint32) []byte { return uleb([]byte{0x20}, uint64(i)) }
func I32Const(v int32) []byte  { return sleb([]byte{0x41}, int64(v)) }
func I64Const(v int64) []byte  { return sleb([]byte{0x42}, v) }

// Seq concatenates instructions.
func Seq(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func section(out []byte, id byte, prefix, body []byte) []byte {
	out = append(out, id)
	out = uleb(out, uint64(len(prefix)+len(body)))
	return append(append(out, prefix...), body...)
}

func vec(b []byte, n int, items []byte) []byte {
	return append(uleb(b, uint64(n)), items...)
}

func name(b []byte, s string) []byte {
	return append(uleb(b, uint64(len(s))), s...)
}

func uleb(b []byte, v uint64) []byte {
	return binary.AppendUvarint(b, v)
}

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
