package wasmbin

import "fmt"

// reader decodes the primitive encodings of the format. The first error
// sticks: later reads return zero values, so callers check once.
type reader struct {
	b   []byte
	off int
	err *Error
}

func (r *reader) fail(msg string, args ...any) {
	if r.err == nil {
		r.err = &Error{r.off, fmt.Sprintf(msg, args...)}
	}
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// uleb reads an unsigned LEB128 of at most bits bits, refusing overlong
// and overflowing encodings as the format does.
func (r *reader) uleb(bits uint) uint64 {
	var v uint64
	maxBytes := int((bits + 6) / 7)
	for i := 0; ; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		if i == maxBytes-1 {
			// The last byte may carry only the bits that are left.
			rem := bits - uint(7*i)
			if c&0x80 != 0 || (rem < 7 && c>>rem != 0) {
				r.fail("integer too large for %d bits", bits)
				return 0
			}
		}
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c&0x80 == 0 {
			return v
		}
	}
}

func (r *reader) u32() uint32 { return uint32(r.uleb(32)) }

func (r *reader) bytes(n uint32) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		r.fail("%d bytes run past the end", n)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *reader) name() string { return string(r.bytes(r.u32())) }

func (r *reader) limits() Limits {
	flag := r.byte()
	if flag > 0x07 {
		r.fail("invalid limits flag 0x%02x", flag)
		return Limits{}
	}
	l := Limits{HasMax: flag&0x01 != 0, Shared: flag&0x02 != 0, Is64: flag&0x04 != 0}
	bits := uint(32)
	if l.Is64 {
		bits = 64
	}
	l.Min = r.uleb(bits)
	if l.HasMax {
		l.Max = r.uleb(bits)
	}
	return l
}

func (r *reader) imports() []Import {
	n := r.u32()
	var out []Import
	for i := uint32(0); i < n && r.err == nil; i++ {
		im := Import{Module: r.name(), Name: r.name(), Kind: r.byte()}
		im.DescStart = r.off
		switch im.Kind {
		case KindFunc:
			r.u32()
		case KindTable:
			r.byte()
			im.Limits = r.limits()
		case KindMemory:
			im.Limits = r.limits()
		case KindGlobal:
			r.byte()
			r.byte()
		case KindTag:
			r.byte()
			r.u32()
		default:
			r.fail("import %d has unknown kind 0x%02x", i, im.Kind)
		}
		im.DescEnd = r.off
		out = append(out, im)
	}
	return out
}

func (r *reader) code() []FuncBody {
	n := r.u32()
	var out []FuncBody
	for i := uint32(0); i < n && r.err == nil; i++ {
		size := r.u32()
		start := r.off
		if uint64(start)+uint64(size) > uint64(len(r.b)) {
			r.fail("function body %d of %d bytes runs past its section", i, size)
			return out
		}
		body := &reader{b: r.b[:start+int(size)], off: start}
		f := FuncBody{Start: start, End: start + int(size)}
		groups := body.u32()
		for g := uint32(0); g < groups && body.err == nil; g++ {
			c := uint64(body.u32())
			body.byte() // the value type; validation is wazero's
			if f.Locals+c < f.Locals {
				f.Locals = ^uint64(0)
			} else {
				f.Locals += c
			}
		}
		if body.err != nil {
			r.err = body.err
			return out
		}
		f.CodeStart = body.off
		out = append(out, f)
		r.off = f.End
	}
	return out
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}
