package pdk

import (
	"errors"
	"unsafe"

	"github.com/llmhost/llmhost/abi"
)

// The ABI's memory protocol, guest side. The host asks llmhost_alloc for a
// region, writes its input there and passes (ptr, len) to an export; the
// export replies with a packed (ptr, len, flag) of bytes that must stay
// valid until the next call. Both regions are kept reachable from these
// package variables so the (non-moving) Go GC cannot free them under the
// host's feet.
var (
	inBuf []byte // the region llmhost_alloc handed out last
	reply []byte // the last reply
)

// allocInput implements llmhost_alloc. The region is reused while it is big
// enough, so a host that calls with inputs of similar size allocates once;
// the ABI lets the host reuse it without asking again.
func allocInput(size uint32) uint32 {
	if int(size) > cap(inBuf) {
		inBuf = make([]byte, size)
	}
	inBuf = inBuf[:cap(inBuf)]
	return addr(inBuf)
}

var errBadInput = errors.New("pdk: input pointer was not returned by llmhost_alloc")

// input returns the input the host wrote at (ptr, n): a view of inBuf, no
// copy. Passing anything else is a host bug, reported rather than trusted.
func input(ptr, n uint32) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if ptr != addr(inBuf) || int(n) > len(inBuf) {
		return nil, errBadInput
	}
	return inBuf[:n:n], nil
}

// finish keeps out alive and packs its location for the host.
func finish(out []byte, isErr bool) uint64 {
	if len(out) > abi.MaxReplyLen {
		out, isErr = encodeError(errors.New("pdk: reply larger than 2 GiB")), true
	}
	reply = out
	return abi.Pack(addr(out), uint32(len(out)), isErr)
}

// addr is b's address in linear memory. Only meaningful on wasm, where
// pointers fit in 32 bits.
func addr(b []byte) uint32 {
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// serve runs export on the input at (ptr, n) and packs its reply.
func serve(export string, ptr, n uint32) uint64 {
	in, err := input(ptr, n)
	if err != nil {
		return finish(encodeError(err), true)
	}
	return finish(dispatch(export, in))
}
