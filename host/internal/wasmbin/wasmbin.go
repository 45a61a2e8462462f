// Package wasmbin reads, and rewrites in small ways, the binary format of a
// WebAssembly module, before wazero sees it.
//
// The host needs this for what wazero does not offer: counting what a
// module declares (tables, locals, function sizes) against the sandbox's
// limits before any compilation, bounding tables by rewriting their
// declared maximum, and redirecting imports to host functions of its own.
// It reads only the framing of the format (sections, vectors, limits and
// the locals of function bodies), not instructions: wazero validates the
// rest.
package wasmbin

import (
	"errors"
	"fmt"
)

// Section ids of the binary format.
const (
	SectionCustom    byte = 0
	SectionType      byte = 1
	SectionImport    byte = 2
	SectionFunction  byte = 3
	SectionTable     byte = 4
	SectionMemory    byte = 5
	SectionGlobal    byte = 6
	SectionExport    byte = 7
	SectionStart     byte = 8
	SectionElement   byte = 9
	SectionCode      byte = 10
	SectionData      byte = 11
	SectionDataCount byte = 12
	SectionTag       byte = 13
)

// Kinds of imports and exports.
const (
	KindFunc   byte = 0
	KindTable  byte = 1
	KindMemory byte = 2
	KindGlobal byte = 3
	KindTag    byte = 4
)

// Section is one section of a module: its id, its name if it is a custom
// section, and where its payload lies in the module's bytes.
type Section struct {
	ID         byte
	Name       string // custom sections only
	Header     int    // where the section begins: its id byte
	Start, End int    // payload, as wasm[Start:End] (after the name, for custom sections)
}

// Limits are the bounds of a table or memory, in elements or pages.
type Limits struct {
	Min, Max uint64
	HasMax   bool
	Shared   bool // memory of the threads proposal
	Is64     bool // memory64 / table64
}

// Import is one import of the module.
type Import struct {
	Module, Name string
	Kind         byte
	Limits       Limits // for tables and memories
	// Desc is the raw encoding of the import's descriptor (after the kind
	// byte), as wasm[DescStart:DescEnd].
	DescStart, DescEnd int
}

// Table is a table the module defines.
type Table struct {
	RefType byte
	Limits  Limits
}

// FuncBody is one entry of the code section.
type FuncBody struct {
	Start, End int    // the body, locals and code, as wasm[Start:End]
	Locals     uint64 // declared locals, summed (saturating at 2^64-1)
	CodeStart  int    // where the instructions begin, after the locals
}

// Module is what Parse reads of a module.
type Module struct {
	Sections []Section
	Imports  []Import
	Tables   []Table // defined tables, in index order after imported ones
	Memories []Limits
	Funcs    []FuncBody
	// FuncDecls is the number of functions the function section declares.
	FuncDecls uint64
}

// Section returns the first section with the id, if there is one.
func (m *Module) Section(id byte) (Section, bool) {
	for _, s := range m.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return Section{}, false
}

// Error is a module that is not well formed: the offset and what was
// expected there.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("malformed module at byte %d: %s", e.Offset, e.Msg)
}

var errNotWasm = errors.New("not a WebAssembly module (no \\0asm header of version 1)")

// Parse reads the framing of a module: every section, and in detail the
// import, table, memory, function and code sections. It fails on a
// module whose framing is broken (a section running past the end, a
// truncated or overlong LEB128), not on what only validation would find.
func Parse(wasm []byte) (*Module, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || string(wasm[4:8]) != "\x01\x00\x00\x00" {
		return nil, errNotWasm
	}
	m := &Module{}
	r := &reader{b: wasm, off: 8}
	for r.off < len(wasm) {
		header := r.off
		id := r.byte()
		size := r.u32()
		if r.err != nil {
			return nil, r.err
		}
		start := r.off
		end := start + int(size)
		if uint64(start)+uint64(size) > uint64(len(wasm)) {
			return nil, &Error{start, fmt.Sprintf("section %d of %d bytes runs past the end of the module (%d bytes)", id, size, len(wasm))}
		}
		s := Section{ID: id, Header: header, Start: start, End: end}
		sub := &reader{b: wasm[:end], off: start}
		switch id {
		case SectionCustom:
			s.Name = sub.name()
			s.Start = sub.off
		case SectionImport:
			m.Imports = sub.imports()
		case SectionTable:
			n := sub.u32()
			for i := uint32(0); i < n && sub.err == nil; i++ {
				t := Table{RefType: sub.byte()}
				t.Limits = sub.limits()
				m.Tables = append(m.Tables, t)
			}
		case SectionMemory:
			n := sub.u32()
			for i := uint32(0); i < n && sub.err == nil; i++ {
				m.Memories = append(m.Memories, sub.limits())
			}
		case SectionFunction:
			m.FuncDecls = uint64(sub.u32())
		case SectionCode:
			m.Funcs = sub.code()
		}
		if sub.err != nil {
			return nil, sub.err
		}
		m.Sections = append(m.Sections, s)
		r.off = end
	}
	return m, nil
}

// SetTableMax returns the module with every table it defines bounded to at
// most max elements: a table without a maximum, or with a larger one, gets
// max as its maximum, so that table.grow past it fails (returns -1) as the
// specification says. A table whose minimum exceeds max is an error:
// nothing could instantiate it within the bound.
func SetTableMax(wasm []byte, max uint32) ([]byte, error) {
	m, err := Parse(wasm)
	if err != nil {
		return nil, err
	}
	s, ok := m.Section(SectionTable)
	if !ok {
		return wasm, nil
	}
	var body []byte
	body = appendU32(body, uint32(len(m.Tables)))
	changed := false
	for i, t := range m.Tables {
		if t.Limits.Is64 {
			return nil, fmt.Errorf("table %d: 64-bit tables are not supported", i)
		}
		if t.Limits.Min > uint64(max) {
			return nil, &TableError{Index: i, Min: t.Limits.Min, Limit: max}
		}
		hi := uint64(max)
		if t.Limits.HasMax && t.Limits.Max < hi {
			hi = t.Limits.Max
		}
		if !t.Limits.HasMax || t.Limits.Max != hi {
			changed = true
		}
		body = append(body, t.RefType, 0x01)
		body = appendU32(body, uint32(t.Limits.Min))
		body = appendU32(body, uint32(hi))
	}
	if !changed {
		return wasm, nil
	}
	return replaceSection(wasm, s, body), nil
}

// TableError is a table whose declared minimum exceeds the limit.
type TableError struct {
	Index int
	Min   uint64
	Limit uint32
}

func (e *TableError) Error() string {
	return fmt.Sprintf("table %d starts with %d elements, over the limit of %d", e.Index, e.Min, e.Limit)
}

// RenameImports returns the module with the module name of some imports
// changed: rename is called for each import and returns the new module
// name and true to change it. Names, kinds and descriptors are kept, so
// the import indexes, and every reference to them, stay as they were.
func RenameImports(wasm []byte, rename func(module, name string) (string, bool)) ([]byte, error) {
	m, err := Parse(wasm)
	if err != nil {
		return nil, err
	}
	s, ok := m.Section(SectionImport)
	if !ok {
		return wasm, nil
	}
	var body []byte
	body = appendU32(body, uint32(len(m.Imports)))
	changed := false
	for _, im := range m.Imports {
		mod := im.Module
		if n, ok := rename(im.Module, im.Name); ok && n != mod {
			mod, changed = n, true
		}
		body = appendName(body, mod)
		body = appendName(body, im.Name)
		body = append(body, im.Kind)
		body = append(body, wasm[im.DescStart:im.DescEnd]...)
	}
	if !changed {
		return wasm, nil
	}
	return replaceSection(wasm, s, body), nil
}

// replaceSection returns wasm with the payload of s replaced by body.
func replaceSection(wasm []byte, s Section, body []byte) []byte {
	out := make([]byte, 0, len(wasm)-(s.End-s.Header)+len(body)+6)
	out = append(out, wasm[:s.Header]...)
	out = append(out, s.ID)
	out = appendU32(out, uint32(len(body)))
	out = append(out, body...)
	out = append(out, wasm[s.End:]...)
	return out
}
