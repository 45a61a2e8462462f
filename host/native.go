package host

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// nativeDriver runs llmhost/1 guests on wazero directly. This is the fast
// path: a call is one write of the input into guest memory, one wasm call,
// and one read of the reply out of it; no host function sits in between.
type nativeDriver struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	cfg      *config
	limit    uint64
	// callable are the exports with the ABI's (i32, i32) -> i64 signature.
	callable  []string
	configure []byte // llmhost_configure's input; nil if not exported
}

func newNativeDriver(rt wazero.Runtime, compiled wazero.CompiledModule, cfg *config, limit uint64) *nativeDriver {
	d := &nativeDriver{rt: rt, compiled: compiled, cfg: cfg, limit: limit}
	for name, def := range compiled.ExportedFunctions() {
		if hasSignature(def, []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}) {
			d.callable = append(d.callable, name)
		}
	}
	if _, ok := compiled.ExportedFunctions()[abi.ExportConfigure]; ok {
		cm := cfg.config
		if cm == nil {
			cm = map[string]string{}
		}
		d.configure, _ = json.Marshal(cm)
	}
	return d
}

func (d *nativeDriver) close(ctx context.Context) error { return d.rt.Close(ctx) }

// newInstance instantiates the module and runs its start-up: _initialize
// (which runs a Go guest's runtime and init functions), then
// llmhost_configure. Start-up runs under the tool timeout, like a call.
func (d *nativeDriver) newInstance(ctx context.Context) (instance, *Error) {
	in := &nativeInstance{
		d:      d,
		stderr: &capture{max: d.cfg.maxStderr},
		mems:   &memories{limit: d.limit},
		fns:    make(map[string]api.Function, len(d.callable)),
		stack:  make([]uint64, 2),
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.toolTO)
	defer cancel()
	mod, err := d.rt.InstantiateModule(in.mems.withAllocator(ctx), d.compiled, d.cfg.moduleConfig(in.stderr))
	if err != nil {
		e := failure(ctx, err, in.mems.hit(), in.stderr, d.limit, d.cfg.toolTO)
		e.Function = "instantiate"
		return nil, e
	}
	in.mod = mod
	in.mem = mod.ExportedMemory(abi.ExportMemory)
	in.alloc = mod.ExportedFunction(abi.ExportAlloc)
	for _, name := range d.callable {
		in.fns[name] = mod.ExportedFunction(name)
	}
	if init := mod.ExportedFunction(abi.ExportInitialize); init != nil {
		if _, err := init.Call(ctx); err != nil {
			e := failure(ctx, err, in.mems.hit(), in.stderr, d.limit, d.cfg.toolTO)
			e.Function = abi.ExportInitialize
			in.close(ctx)
			return nil, e
		}
	}
	if d.configure != nil {
		if _, e := in.call(ctx, abi.ExportConfigure, d.configure, d.cfg.toolTO); e != nil {
			e.Function = abi.ExportConfigure
			in.close(ctx)
			return nil, e
		}
	}
	return in, nil
}

type nativeInstance struct {
	d      *nativeDriver
	mod    api.Module
	mem    api.Memory
	alloc  api.Function
	fns    map[string]api.Function
	stack  []uint64 // reused by every call: CallWithStack allocates nothing
	stderr *capture
	mems   *memories
	// inPtr/inCap is the input region llmhost_alloc returned last. The ABI
	// lets the host reuse it for any input that fits, which saves a wasm
	// call per call.
	inPtr, inCap uint32
	dead         bool
}

func (in *nativeInstance) broken() bool { return in.dead }

func (in *nativeInstance) close(ctx context.Context) {
	if in.mod != nil {
		in.mod.Close(ctx)
	}
}

func (in *nativeInstance) call(ctx context.Context, fn string, input []byte, timeout time.Duration) ([]byte, *Error) {
	f := in.fns[fn]
	if f == nil {
		return nil, &Error{Reason: ReasonMissingExport, Message: fmt.Sprintf("no export %q with the signature (i32, i32) -> i64", fn)}
	}
	if in.alloc == nil && len(input) > 0 {
		return nil, &Error{Reason: ReasonMissingExport, Message: "the module exports no " + abi.ExportAlloc + ", so it cannot take input"}
	}
	in.stderr.reset()
	in.mems.reset()
	// The deadline is what stops a runaway guest: the runtime is configured
	// to close a module whose call context is done.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var ptr uint32
	if n := uint32(len(input)); n > 0 {
		if n > in.inCap {
			in.stack[0] = uint64(n)
			if err := in.alloc.CallWithStack(ctx, in.stack); err != nil {
				return nil, in.fail(ctx, err, timeout)
			}
			p := uint32(in.stack[0])
			if p == 0 {
				in.dead = true
				return nil, &Error{Reason: ReasonMemoryLimit, Message: fmt.Sprintf("the plugin could not allocate %s for its input", FormatSize(int64(n))), Stderr: in.stderr.String()}
			}
			if uint64(p)+uint64(n) > uint64(in.mem.Size()) {
				in.dead = true
				return nil, &Error{Reason: ReasonMalformedReply, Message: fmt.Sprintf("%s returned region [%d, %d), outside its %d-byte memory", abi.ExportAlloc, p, uint64(p)+uint64(n), in.mem.Size())}
			}
			in.inPtr, in.inCap = p, n
		}
		ptr = in.inPtr
		in.mem.Write(ptr, input) // in bounds: checked when the region was allocated, and memory never shrinks
	}

	in.stack[0], in.stack[1] = uint64(ptr), uint64(len(input))
	if err := f.CallWithStack(ctx, in.stack); err != nil {
		return nil, in.fail(ctx, err, timeout)
	}
	rp, rn, isErr := abi.Unpack(in.stack[0])
	if int64(rn) > in.d.cfg.maxOutput {
		return nil, &Error{Reason: ReasonOutputTooLarge, Message: fmt.Sprintf("the reply is %s, over the %s output cap", FormatSize(int64(rn)), FormatSize(in.d.cfg.maxOutput)), Stderr: in.stderr.String()}
	}
	view, ok := in.mem.Read(rp, rn)
	if !ok {
		in.dead = true
		return nil, &Error{Reason: ReasonMalformedReply, Message: fmt.Sprintf("the reply [%d, %d) lies outside the plugin's %d-byte memory", rp, uint64(rp)+uint64(rn), in.mem.Size()), Stderr: in.stderr.String()}
	}
	out := make([]byte, len(view))
	copy(out, view)
	if isErr {
		return nil, guestError(out, in.stderr)
	}
	return out, nil
}

// fail records that the instance is unusable and explains why.
func (in *nativeInstance) fail(ctx context.Context, err error, timeout time.Duration) *Error {
	in.dead = true
	return failure(ctx, err, in.mems.hit(), in.stderr, in.d.limit, timeout)
}

func hasSignature(def api.FunctionDefinition, params, results []api.ValueType) bool {
	return string(def.ParamTypes()) == string(params) && string(def.ResultTypes()) == string(results)
}
