package host_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	w "github.com/llmhost/llmhost/internal/wasmtest"
)

// mirrorStash is where the mirror guest keeps the reply it was given.
const mirrorStash = 128 << 10

// mirrorGuest is an llmhost/1 guest whose replies the host chooses: its
// export stash takes an input of 8 bytes, a packed reply (abi.Pack), then
// the reply's bytes, which it copies to mirrorStash; call, parse and decide
// then return that packed reply as it is, lie or not. It declares one tool,
// one parser and a retry strategy, so that every typed call reaches it.
func mirrorGuest() []byte {
	d := []byte(`{"abi":"llmhost/1","name":"mirror","tools":[{"name":"run","parameters":{"type":"object"}}],"parsers":[{"name":"p"}],"retry":true}`)
	const at = 256
	two := []byte{w.I32, w.I32}
	i64 := []byte{w.I64}
	replay := w.Seq(w.I32Const(0), []byte{0x29, 0x03, 0x00}) // i64.load the packed reply at 0
	stash := w.Seq(
		// memory.copy(mirrorStash, ptr+8, len-8)
		w.I32Const(mirrorStash),
		w.LocalGet(0), w.I32Const(8), []byte{0x6a}, // i32.add
		w.LocalGet(1), w.I32Const(8), []byte{0x6b}, // i32.sub
		[]byte{0xfc, 0x0a, 0x00, 0x00},
		// the packed reply, the input's first 8 bytes, to address 0
		w.I32Const(0), w.LocalGet(0), []byte{0x29, 0x03, 0x00}, []byte{0x37, 0x03, 0x00},
		w.I64Const(0))
	return w.Module{
		MemoryMin: 4,
		Funcs: []w.Func{
			{Export: abi.ExportMarker},
			{Export: abi.ExportAlloc, Params: []byte{w.I32}, Results: []byte{w.I32}, Body: w.I32Const(1024)},
			{Export: abi.ExportDescribe, Params: two, Results: i64, Body: w.I64Const(int64(abi.Pack(at, uint32(len(d)), false)))},
			{Export: "stash", Params: two, Results: i64, Body: stash},
			{Export: abi.ExportCall, Params: two, Results: i64, Body: replay},
			{Export: abi.ExportParse, Params: two, Results: i64, Body: replay},
			{Export: abi.ExportDecide, Params: two, Results: i64, Body: replay},
		},
		Data: []w.Data{{Offset: at, Bytes: d}},
	}.Encode()
}

// FuzzReply is the host's decoding of a native guest's replies, from the
// packed i64 an export returns (pointer, length, error flag) read out of
// guest memory, to the typed replies of call, parse and decide, and error
// replies. The guest is untrusted: its reply can lie about where it is and
// how long, and hold any bytes; the call must then fail with a reason that
// says so, and the host must go on serving.
func FuzzReply(f *testing.F) {
	f.Add(uint8(0), false, uint64(0), []byte(`{"result":42}`))
	f.Add(uint8(0), true, uint64(0), []byte(`{"message":"division by zero"}`))
	f.Add(uint8(0), true, uint64(0), []byte(`plain failure`))
	f.Add(uint8(1), false, uint64(0), []byte(`{"value":{"city":"Lyon"}}`))
	f.Add(uint8(1), true, uint64(0), []byte(`{"message":"no JSON","retry_message":"Answer with JSON only."}`))
	f.Add(uint8(2), false, uint64(0), []byte(`{"action":"retry","delay_ms":250}`))
	f.Add(uint8(2), false, uint64(0), []byte(`{"action":"fallback"}`))
	f.Add(uint8(0), false, abi.Pack(0, 1<<30, false), []byte(nil))
	f.Add(uint8(0), false, abi.Pack(1<<31, 16, false), []byte(nil))
	f.Add(uint8(3), false, abi.Pack(256, 64, true), []byte(nil))

	ctx := context.Background()
	p := loadBytes(f, mirrorGuest(), host.WithMaxIdle(1), host.WithMaxOutput(1<<20))
	f.Fuzz(func(t *testing.T, op uint8, isErr bool, raw uint64, reply []byte) {
		if len(reply) > 64<<10 {
			return // the stash holds 128 KiB; larger replies test nothing new
		}
		// raw 0 asks for the honest reply: where the stash is, how long.
		honest := raw == 0
		packed := raw
		if honest {
			packed = abi.Pack(mirrorStash, uint32(len(reply)), isErr)
		}
		in := binary.LittleEndian.AppendUint64(nil, packed)
		if _, err := p.Call(ctx, "stash", append(in, reply...)); err != nil {
			t.Fatalf("stash: %v", err)
		}
		_, n, errFlag := abi.Unpack(packed)
		var out []byte
		var err error
		switch op % 4 {
		case 0:
			out, err = p.CallTool(ctx, abi.ToolCall{ID: "call_1", Name: "run", Arguments: json.RawMessage(`{}`)})
		case 1:
			out, err = p.Parse(ctx, abi.ParseRequest{Text: "x"})
		case 2:
			var d abi.Decision
			if d, err = p.Decide(ctx, abi.DecideRequest{Attempt: 1, Model: "m"}); err == nil {
				if d.Validate() != nil {
					t.Fatalf("Decide returned an invalid decision %+v", d)
				}
				out, _ = json.Marshal(d)
			}
		case 3:
			out, err = p.Call(ctx, abi.ExportCall, nil)
		}
		if err == nil {
			if errFlag {
				t.Fatalf("an error reply came back as a result: %q", out)
			}
			if op%4 != 3 && !json.Valid(out) {
				t.Fatalf("a typed call returned %q, not JSON", out)
			}
			if honest && op%4 == 0 && !bytes.Equal(out, reply) {
				t.Fatalf("the tool returned %q, its guest replied %q", out, reply)
			}
			return
		}
		var e *host.Error
		if !errors.As(err, &e) {
			t.Fatalf("failed with %v (%T), not a *host.Error", err, err)
		}
		allowed := []host.Reason{host.ReasonGuestError, host.ReasonMalformedReply, host.ReasonOutputTooLarge}
		if !slices.Contains(allowed, e.Reason) || e.Message == "" || e.Plugin == "" || e.Function == "" {
			t.Fatalf("failed with %#v", e)
		}
		if n > 1<<20 && e.Reason != host.ReasonOutputTooLarge {
			t.Fatalf("a %d-byte reply over the 1MiB cap failed with %s", n, e.Reason)
		}
		if honest && errFlag {
			var m abi.Error
			if e.Reason != host.ReasonGuestError {
				t.Fatalf("an error reply failed with %s", e.Reason)
			}
			if json.Unmarshal(reply, &m) == nil && m.Message != "" && e.Message != m.Message {
				t.Fatalf("the guest said %q, the error says %q", m.Message, e.Message)
			}
		}
	})
}
