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
	live      liveCalls
	modCfg    wazero.ModuleConfig // cfg.moduleConfig(), built once
}

func newNativeDriver(rt wazero.Runtime, compiled wazero.CompiledModule, cfg *config, limit uint64) *nativeDriver {
	d := &nativeDriver{rt: rt, compiled: compiled, cfg: cfg, limit: limit, modCfg: cfg.moduleConfig()}
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

// close stops the calls in flight (see liveCalls), then closes every
// instance.
func (d *nativeDriver) close(ctx context.Context) error {
	d.live.close()
	return d.rt.Close(ctx)
}

// closedDuring replaces e, the failure of a call or start-up that close
// stopped, with what stopped it.
func closedDuring(live *liveCalls, e *Error) *Error {
	if live.closing.Load() && e.Reason != ReasonClosed {
		return &Error{Reason: ReasonClosed, Message: "the plugin was closed during the call", Err: e}
	}
	return e
}

// newInstance instantiates the module and runs its start-up: _initialize
// (which runs a Go guest's runtime and init functions), then
// llmhost_configure. Start-up runs under the tool timeout, like a call,
// and a guest that sleeps in it is stopped at that deadline too.
func (d *nativeDriver) newInstance(ctx context.Context) (instance, *Error) {
	in := &nativeInstance{
		d:      d,
		stderr: &capture{max: d.cfg.maxStderr},
		mems:   &memories{limit: d.limit},
		fns:    make(map[string]api.Function, len(d.callable)),
		stack:  make([]uint64, 2),
		wait:   &waiter{},
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d.cfg.toolTO, errCallTimeout)
	defer cancel()
	in.wait.ctx = ctx
	if !d.live.begin(&in.slot, cancel) {
		return nil, errClosed()
	}
	mod, err := d.rt.InstantiateModule(in.watch.withCloseWatch(in.mems.withAllocator(ctx)), d.compiled, instanceConfig(d.modCfg, in.stderr, in.wait))
	if err == nil && ctx.Err() != nil {
		// A start function that slept to the deadline and returned.
		mod.Close(ctx)
		err = ctx.Err()
	}
	if err == nil {
		d.live.add(&in.slot)
	}
	d.live.end(&in.slot)
	if err != nil {
		e := failure(ctx, err, in.mems.hit(), in.stderr, d.limit, d.cfg.toolTO)
		e.Function = "instantiate"
		startupHint(e)
		return nil, closedDuring(&d.live, e)
	}
	in.mod = mod
	in.mem = mod.ExportedMemory(abi.ExportMemory)
	in.alloc = mod.ExportedFunction(abi.ExportAlloc)
	for _, name := range d.callable {
		in.fns[name] = mod.ExportedFunction(name)
	}
	if init := mod.ExportedFunction(abi.ExportInitialize); init != nil {
		if !d.live.begin(&in.slot, cancel) {
			in.close(ctx)
			return nil, errClosed()
		}
		_, err := init.Call(ctx)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err() // returned, but after the deadline
		}
		d.live.end(&in.slot)
		if err != nil {
			e := failure(ctx, err, in.mems.hit(), in.stderr, d.limit, d.cfg.toolTO)
			e.Function = abi.ExportInitialize
			startupHint(e)
			in.close(ctx)
			return nil, closedDuring(&d.live, e)
		}
	}
	if d.configure != nil {
		if _, e := in.call(ctx, abi.ExportConfigure, d.configure, d.cfg.toolTO); e != nil {
			e.Function = abi.ExportConfigure
			startupHint(e)
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
	wait   *waiter
	watch  closeWatch
	slot   callSlot
	// inPtr/inCap is the input region llmhost_alloc returned last. The ABI
	// lets the host reuse it for any input that fits, which saves a wasm
	// call per call.
	inPtr, inCap uint32
	dead         bool
}

func (in *nativeInstance) broken() bool { return in.dead || in.watch.closed.Load() }

func (in *nativeInstance) close(ctx context.Context) {
	if in.mod != nil {
		in.d.live.remove(&in.slot)
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
	// to close a module whose call context is done, and the instance's
	// sleeps end with it.
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errCallTimeout)
	defer cancel()
	in.wait.ctx = ctx
	if !in.d.live.begin(&in.slot, cancel) {
		return nil, errClosed()
	}
	defer in.d.live.end(&in.slot)

	var ptr uint32
	if n := uint32(len(input)); n > 0 {
		if n > in.inCap {
			in.stack[0] = uint64(n)
			if err := in.alloc.CallWithStack(ctx, in.stack); err != nil || ctx.Err() != nil {
				return nil, in.fail(ctx, err, fn, timeout)
			}
			p := uint32(in.stack[0])
			if p == 0 {
				in.dead = true
				return nil, &Error{Reason: ReasonMemoryLimit, Message: fmt.Sprintf("the plugin could not allocate %s for its input (its memory limit is %s; host.WithMaxMemory sets it)", FormatSize(int64(n)), FormatSize(int64(in.d.limit))), Stderr: in.stderr.String()}
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
	if err := f.CallWithStack(ctx, in.stack); err != nil || ctx.Err() != nil {
		// A guest that slept to the deadline may still have returned a
		// reply: it is late, and never a success.
		return nil, in.fail(ctx, err, fn, timeout)
	}
	rp, rn, isErr := abi.Unpack(in.stack[0])
	if int64(rn) > in.d.cfg.maxOutput {
		return nil, &Error{Reason: ReasonOutputTooLarge, Message: fmt.Sprintf("the reply is %s, over the %s output cap (host.WithMaxOutput sets it)", FormatSize(int64(rn)), FormatSize(in.d.cfg.maxOutput)), Stderr: in.stderr.String()}
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

// fail records that the instance is unusable and explains why. err is nil
// for a call that returned after its context was done.
func (in *nativeInstance) fail(ctx context.Context, err error, fn string, timeout time.Duration) *Error {
	in.dead = true
	if err == nil {
		err = ctx.Err()
	}
	e := failure(ctx, err, in.mems.hit(), in.stderr, in.d.limit, timeout)
	timeoutHint(e, fn)
	e = closedDuring(&in.d.live, e)
	if e.Reason == ReasonExit && e.ExitCode == 0 {
		// The llmhost/1 reply is the export's return value: a guest that
		// exits, even with status 0, has not replied.
		e.Message = "the plugin exited with status 0 during the call, without replying"
	}
	return e
}

func hasSignature(def api.FunctionDefinition, params, results []api.ValueType) bool {
	return string(def.ParamTypes()) == string(params) && string(def.ResultTypes()) == string(results)
}
