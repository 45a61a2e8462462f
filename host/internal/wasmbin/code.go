package wasmbin

import "fmt"

// Code is what ScanCode learns of the instructions of one function body:
// the measures by which a body makes wazero's validator and compiler slow
// or hungry, although it is small in the file. Nesting costs the validator
// and the compiler time quadratic in the depth; every br_table target
// costs the compiler a block of its own (kilobytes each).
type Code struct {
	Instructions uint64
	// MaxDepth is the deepest nesting of blocks (block, loop, if,
	// try_table), the function's own block counting as 1.
	MaxDepth int
	// BrTableTargets is the number of targets of all the br_table
	// instructions of the body, their default targets included.
	BrTableTargets uint64
}

// ScanCode reads the instructions of a function body, code being the bytes
// after its locals (wasm[FuncBody.CodeStart:FuncBody.End]). It knows every
// instruction wazero v1.12 decodes and fails on any other, so that nothing
// it cannot measure gets past it; it does not validate (types, indexes,
// stack heights are wazero's), but it does check that blocks balance and
// that the body ends with the end of the function's block.
func ScanCode(code []byte) (Code, error) {
	r := &reader{b: code}
	var c Code
	depth := 1
	c.MaxDepth = 1
	for depth > 0 {
		if r.off >= len(code) {
			return c, &Error{r.off, "function body ends inside a block"}
		}
		op := code[r.off]
		r.off++
		c.Instructions++
		switch op {
		case 0x02, 0x03, 0x04, 0x1f: // block, loop, if, try_table
			r.blockType()
			if op == 0x1f {
				n := r.u32()
				for i := uint32(0); i < n && r.err == nil; i++ {
					switch kind := r.byte(); kind {
					case 0x00, 0x01: // catch, catch_ref: tag, label
						r.u32()
						r.u32()
					case 0x02, 0x03: // catch_all, catch_all_ref: label
						r.u32()
					default:
						r.fail("unknown catch clause 0x%02x", kind)
					}
				}
			}
			depth++
			c.MaxDepth = max(c.MaxDepth, depth)
		case 0x0b: // end
			depth--
		case 0x0e: // br_table
			n := r.u32()
			for i := uint32(0); i < n && r.err == nil; i++ {
				r.index()
			}
			r.index()
			c.BrTableTargets += uint64(n) + 1
		default:
			if op >= 0x45 && op <= 0xc4 { // numeric: no immediates, and most common
				continue
			}
			r.immediates(op)
		}
		if r.err != nil {
			return c, r.err
		}
	}
	if r.off != len(code) {
		return c, &Error{r.off, fmt.Sprintf("%d bytes after the end of the function body", len(code)-r.off)}
	}
	return c, nil
}

// blockType skips a block type: 0x40, a value type, or a type index
// (a signed LEB128 of 33 bits).
func (r *reader) blockType() { r.sleb(33) }

// sleb skips a signed LEB128 of at most bits bits.
func (r *reader) sleb(bits uint) {
	if r.err == nil && r.off < len(r.b) && r.b[r.off] < 0x80 {
		r.off++
		return
	}
	maxBytes := int((bits + 6) / 7)
	for i := 0; r.err == nil; i++ {
		c := r.byte()
		if c&0x80 == 0 {
			return
		}
		if i == maxBytes-1 {
			r.fail("integer too large for %d bits", bits)
		}
	}
}

func (r *reader) memarg() {
	align := r.u32()
	if align&0x40 != 0 { // multi-memory: a memory index follows
		r.u32()
	}
	if r.err == nil && r.off < len(r.b) && r.b[r.off] < 0x80 {
		r.off++ // the common one-byte offset
		return
	}
	r.uleb(64)
}

// index skips a u32 whose value does not matter, one byte at a time only
// when it is longer than one: most indexes are small.
func (r *reader) index() {
	if r.err == nil && r.off < len(r.b) && r.b[r.off] < 0x80 {
		r.off++
		return
	}
	r.u32()
}

// immediates skips the immediates of every instruction but those that
// open or close blocks and br_table, and fails on an unknown opcode.
func (r *reader) immediates(op byte) {
	switch {
	case op == 0x00, op == 0x01, op == 0x05, op == 0x0a, op == 0x0f, // unreachable nop else throw_ref return
		op == 0x1a, op == 0x1b, // drop select
		op == 0xd1, op == 0xd3, op == 0xd4, // ref.is_null ref.eq ref.as_non_null
		op >= 0x45 && op <= 0xc4: // numeric instructions
	case op == 0x08, op == 0x0c, op == 0x0d, op == 0x10, op == 0x12, // throw br br_if call return_call
		op == 0x14, op == 0x15, op == 0xd2, op == 0xd5, op == 0xd6, // call_ref return_call_ref ref.func br_on_null br_on_non_null
		op >= 0x20 && op <= 0x26: // local.*, global.*, table.get, table.set
		r.index()
	case op == 0x11, op == 0x13: // call_indirect, return_call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		n := r.u32()
		for i := uint32(0); i < n && r.err == nil; i++ {
			r.valType()
		}
	case op >= 0x28 && op <= 0x3e: // loads and stores
		r.memarg()
	case op == 0x3f, op == 0x40: // memory.size, memory.grow
		r.u32()
	case op == 0x41:
		r.sleb(32)
	case op == 0x42:
		r.sleb(64)
	case op == 0x43:
		r.bytes(4)
	case op == 0x44:
		r.bytes(8)
	case op == 0xd0: // ref.null heaptype
		r.sleb(33)
	case op == 0xfc:
		r.misc(r.u32())
	case op == 0xfd:
		r.simd(r.u32())
	case op == 0xfe:
		r.atomic(r.u32())
	default:
		r.fail("unknown opcode 0x%02x", op)
	}
}

func (r *reader) valType() {
	switch t := r.byte(); t {
	case 0x63, 0x64: // (ref null? ht)
		r.sleb(33)
	}
}

func (r *reader) misc(sub uint32) {
	switch {
	case sub <= 7: // saturating truncations
	case sub == 8: // memory.init data mem
		r.u32()
		r.u32()
	case sub == 9, sub == 13, sub == 15, sub == 16, sub == 17: // data.drop elem.drop table.grow table.size table.fill
		r.u32()
	case sub == 10, sub == 12, sub == 14: // memory.copy table.init table.copy
		r.u32()
		r.u32()
	case sub == 11: // memory.fill
		r.u32()
	default:
		r.fail("unknown instruction 0xfc %d", sub)
	}
}

func (r *reader) simd(sub uint32) {
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads and stores, load32_zero, load64_zero
		r.memarg()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		r.bytes(16)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		r.byte()
	case sub >= 84 && sub <= 91: // load_lane, store_lane
		r.memarg()
		r.byte()
	case sub <= 0x113: // every other SIMD instruction has no immediate
	default:
		r.fail("unknown instruction 0xfd %d", sub)
	}
}

func (r *reader) atomic(sub uint32) {
	switch {
	case sub == 0x03: // atomic.fence
		r.byte()
	case sub <= 0x02, sub >= 0x10 && sub <= 0x4e:
		r.memarg()
	default:
		r.fail("unknown instruction 0xfe %d", sub)
	}
}

// Count returns the length of the vector that begins the payload of the
// first section with the id (the number of types, imports, functions,
// globals, exports, element or data segments, ...), or 0 if the module
// has no such section.
func (m *Module) Count(wasm []byte, id byte) uint64 {
	s, ok := m.Section(id)
	if !ok || id == SectionCustom || id == SectionStart {
		return 0
	}
	r := &reader{b: wasm[:s.End], off: s.Start}
	return uint64(r.u32())
}

// ElementEntries returns the number of entries of all the element segments
// of the module: what instantiation writes into tables, or keeps per
// instance for passive segments.
func (m *Module) ElementEntries(wasm []byte) (uint64, error) {
	s, ok := m.Section(SectionElement)
	if !ok {
		return 0, nil
	}
	r := &reader{b: wasm[:s.End], off: s.Start}
	n := r.u32()
	var total uint64
	for i := uint32(0); i < n && r.err == nil; i++ {
		flags := r.u32()
		if flags > 7 {
			r.fail("element segment %d has unknown flags %d", i, flags)
			break
		}
		if flags&0x02 != 0 && flags&0x01 == 0 { // explicit table index
			r.u32()
		}
		if flags&0x01 == 0 { // active: an offset expression
			r.constExpr()
		}
		if flags&0x03 != 0 { // elemkind or reftype
			r.valType()
		}
		count := r.u32()
		total += uint64(count)
		for j := uint32(0); j < count && r.err == nil; j++ {
			if flags&0x04 != 0 {
				r.constExpr()
			} else {
				r.u32()
			}
		}
	}
	if r.err != nil {
		return total, r.err
	}
	return total, nil
}

// constExpr skips a constant expression, up to and including its end.
func (r *reader) constExpr() {
	for r.err == nil {
		op := r.byte()
		if op == 0x0b {
			return
		}
		switch op {
		case 0x02, 0x03, 0x04, 0x0e, 0x1f:
			r.fail("instruction 0x%02x in a constant expression", op)
		default:
			r.immediates(op)
		}
	}
}
