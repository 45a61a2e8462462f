package pdk

// Raw implements an extra export with the ABI's calling convention, for
// functions that take and return bytes rather than the JSON messages of a
// plugin kind. Declare the export in package main:
//
//	//go:wasmexport echo
//	func echo(ptr, n uint32) uint64 {
//		return pdk.Raw(ptr, n, func(in []byte) ([]byte, error) { return in, nil })
//	}
//
// in is a view of the host's input, valid during the call only; returning it
// (or a sub-slice) is allowed and costs no copy. A returned error, or a
// panic, becomes an error reply.
func Raw(ptr, n uint32, fn func(in []byte) ([]byte, error)) uint64 {
	in, err := input(ptr, n)
	if err != nil {
		return finish(encodeError(err), true)
	}
	out, err := runRaw(fn, in)
	if err != nil {
		return finish(encodeError(err), true)
	}
	return finish(out, false)
}

func runRaw(fn func([]byte) ([]byte, error), in []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, recovered(r)
		}
	}()
	out, err = fn(in)
	if err == nil && out == nil {
		out = []byte{}
	}
	return out, err
}
