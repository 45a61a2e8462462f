package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/llmhost/llmhost/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// extismKernelMemory is the initial memory of the Extism kernel module
// (16 pages in go-sdk v1.7.1), which every Extism instance carries beside
// the guest. A limit below it could not even instantiate the kernel.
const extismKernelMemory = 1 << 20

// extismDriver runs Extism plugins (any language, any Extism PDK) and plain
// modules through extism/go-sdk, under the same sandbox as native guests.
// The SDK has sharp edges, each covered here:
//
//   - it enforces timeouts only when Manifest.Timeout is set, because only
//     then does it ask wazero to close modules on context done: the host
//     asks wazero itself (RuntimeConfig.WithCloseOnContextDone) and puts a
//     deadline on every call;
//   - input or output that does not fit in memory fails silently (rc 0,
//     empty output, no error): the host's memory allocator records the
//     refused grow, and such a call fails with ReasonMemoryLimit;
//   - a Plugin is not safe for concurrent use: every instance comes from
//     CompiledPlugin.Instance and is used by one call at a time via the pool;
//   - WASI stdout and stderr are discarded unless a writer is configured:
//     stderr goes to the same bounded capture as for native guests (unless
//     the EXTISM_ENABLE_WASI_OUTPUT variable is set, which makes the SDK
//     send it to the host's own stderr instead);
//   - a Go (or any WASI) guest needs EnableWasi: it is set when the module
//     imports wasi_snapshot_preview1;
//   - an instance stays callable after a trap: the host discards it anyway;
//   - proc_exit(0) is a successful call to the SDK, which keeps the closed
//     instance and fails every later call with "module is closed": the
//     host watches its modules close (closeWatch) and discards it. The
//     call itself succeeds with the output set before the exit, as Extism
//     has it (a WASI command's _start ends in proc_exit(0)); any other
//     status is ReasonExit;
//   - a guest asleep in WASI is never stopped by the SDK's timeout: the
//     instance's nanosleep ends with the call (waiter);
//   - its http_request follows redirects to any host and panics on a bad
//     allowed-host pattern: the guest's HTTP imports are the host's own
//     functions (extismhttp.go), and patterns are checked at Load;
//   - it reads an error_set message whatever its size, and an output_set
//     past the kernel's memory as empty output: the guest's output_set and
//     error_set are the host's own too, bounded by the output cap and the
//     memory (extismreply.go);
//   - closing its runtime under a running call looks to it like exit(0),
//     a success: the driver stops the calls in flight first (liveCalls).
type extismDriver struct {
	cp    *extism.CompiledPlugin
	cfg   *config
	limit uint64
	live  liveCalls
	// modCfg is cfg.moduleConfig(), built once.
	modCfg wazero.ModuleConfig
	http   *extismHTTP
}

func newExtismDriver(ctx context.Context, wasm []byte, cache wazero.CompilationCache, wasi bool, cfg *config, limit uint64) (*extismDriver, error) {
	// The common configuration, close-on-context-done included.
	rc := runtimeConfig(cache)
	grants, err := compileHostPatterns(cfg.hosts)
	if err != nil {
		return nil, err
	}
	// HTTP and replies go through the host's own functions (see
	// extismhttp.go and extismreply.go).
	wasm, err = renameHostImports(wasm)
	if err != nil {
		return nil, err
	}
	h := newExtismHTTP(grants, cfg.maxOutput)
	m := extism.Manifest{
		Wasm:   []extism.Wasm{extism.WasmData{Data: wasm}},
		Config: cfg.config,
		// No AllowedHosts: the SDK's own http_request, which no import
		// reaches any more, refuses every host without them.
		Memory: &extism.ManifestMemory{MaxVarBytes: 1 << 20},
	}
	// No AllowedPaths: the SDK would mount them with wazero's own directory
	// mount, which does not keep the guest inside (see mount.go). The
	// granted directories come with the module configuration instead.
	cp, err := extism.NewCompiledPlugin(ctx, m, extism.PluginConfig{RuntimeConfig: rc, EnableWasi: wasi}, append(h.hostFunctions(), replyHostFunctions(cfg.maxOutput)...))
	if err != nil {
		return nil, err
	}
	return &extismDriver{cp: cp, cfg: cfg, limit: limit, modCfg: cfg.moduleConfig(), http: h}, nil
}

// close stops the calls in flight (see liveCalls), then closes every
// instance.
func (d *extismDriver) close(ctx context.Context) error {
	d.live.close()
	err := d.cp.Close(ctx)
	d.http.close()
	return err
}

func (d *extismDriver) newInstance(ctx context.Context) (instance, *Error) {
	in := &extismInstance{d: d, stderr: &capture{max: d.cfg.maxStderr}, mems: &memories{limit: d.limit}}
	in.wait = &waiter{}
	ctx, cancel := context.WithTimeoutCause(ctx, d.cfg.toolTO, errCallTimeout)
	defer cancel()
	in.wait.ctx = ctx
	if !d.live.begin(&in.slot, cancel) {
		return nil, errClosed()
	}
	p, err := d.cp.Instance(in.watch.withCloseWatch(in.mems.withAllocator(ctx)), extism.PluginInstanceConfig{
		// The common sandbox, granted directories included.
		ModuleConfig: instanceConfig(d.modCfg, in.stderr, in.wait),
	})
	if err == nil && ctx.Err() != nil {
		p.Close(ctx) // a start function that slept to the deadline
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
	in.p = p
	return in, nil
}

type extismInstance struct {
	d      *extismDriver
	p      *extism.Plugin
	stderr *capture
	mems   *memories
	wait   *waiter
	watch  closeWatch
	slot   callSlot
	dead   bool

	// What the host's HTTP functions (extismhttp.go) keep between calls
	// of the guest: the last response's status and headers, and the
	// refusal or failure that trapped the call, if one did.
	httpStatus  int
	httpHeaders map[string]string
	hostErr     error
}

// trap stops the guest's call with err, which the call reports as its
// *Error: a host function's panic becomes a trap, whose own message would
// be wazero's.
func (in *extismInstance) trap(err error) {
	in.hostErr = err
	panic(err)
}

func (in *extismInstance) broken() bool { return in.dead || in.watch.closed.Load() }

func (in *extismInstance) close(ctx context.Context) {
	if in.p != nil {
		in.d.live.remove(&in.slot)
		in.p.Close(ctx)
	}
}

func (in *extismInstance) call(ctx context.Context, fn string, input []byte, timeout time.Duration) ([]byte, *Error) {
	if !in.p.FunctionExists(fn) {
		return nil, &Error{Reason: ReasonMissingExport, Message: fmt.Sprintf("no export %q", fn)}
	}
	// The kernel must hold the whole input in its memory; the SDK would
	// otherwise hand the guest garbage without a word.
	if uint64(len(input)) > in.d.limit {
		return nil, &Error{Reason: ReasonInputTooLarge, Message: fmt.Sprintf("the input (%s) cannot fit in the plugin's %s memory limit (host.WithMaxMemory sets it)", FormatSize(int64(len(input))), FormatSize(int64(in.d.limit)))}
	}
	in.stderr.reset()
	in.mems.reset()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errCallTimeout)
	defer cancel()
	in.wait.ctx = ctx
	if !in.d.live.begin(&in.slot, cancel) {
		return nil, errClosed()
	}
	defer in.d.live.end(&in.slot)
	in.hostErr = nil
	rc, out, err := in.p.CallWithContext(context.WithValue(ctx, extismCallKey{}, in), fn, input)
	if ctx.Err() != nil {
		// Whatever the guest did after its context ended (a sleep cut
		// short lets it run on, even return), the call is over.
		in.dead = true
		if err == nil {
			err = ctx.Err()
		}
		return nil, in.failure(ctx, err, fn, timeout)
	}
	if in.hostErr != nil && err != nil {
		in.dead = true
		if e, ok := in.hostErr.(*Error); ok {
			// A reply the host refused (extismreply.go), with its reason.
			e.Stderr, e.Err = in.stderr.String(), err
			return nil, e
		}
		return nil, &Error{Reason: ReasonTrap, Message: in.hostErr.Error(), Err: in.hostErr, Stderr: in.stderr.String()}
	}
	if in.mems.hit() {
		in.dead = true
		return nil, failure(ctx, errors.New("memory grow refused"), true, in.stderr, in.d.limit, timeout)
	}
	if err != nil {
		if isRuntimeError(err) {
			in.dead = true
			return nil, in.failure(ctx, err, fn, timeout)
		}
		// The guest called error_set: a reported error, not a broken
		// instance.
		return nil, guestError([]byte(err.Error()), in.stderr)
	}
	if rc != 0 {
		return nil, &Error{Reason: ReasonGuestError, Message: fmt.Sprintf("the function returned status %d", rc), Stderr: in.stderr.String()}
	}
	if int64(len(out)) > in.d.cfg.maxOutput {
		return nil, &Error{Reason: ReasonOutputTooLarge, Message: fmt.Sprintf("the reply is %s, over the %s output cap (host.WithMaxOutput sets it)", FormatSize(int64(len(out))), FormatSize(in.d.cfg.maxOutput)), Stderr: in.stderr.String()}
	}
	return out, nil
}

// failure is the package's failure, naming the limit that stopped the call
// and telling a failed runtime start-up (a Go guest's _initialize, run by
// the SDK before the first call) from the call itself.
func (in *extismInstance) failure(ctx context.Context, err error, fn string, timeout time.Duration) *Error {
	e := failure(ctx, err, in.mems.hit(), in.stderr, in.d.limit, timeout)
	timeoutHint(e, fn)
	if strings.HasPrefix(err.Error(), "failed to initialize runtime") {
		e.Function = abi.ExportInitialize
		startupHint(e)
	}
	return closedDuring(&in.d.live, e)
}

// isRuntimeError tells wazero's errors (traps, exits, host-function panics,
// all carrying a wasm stack trace) from the message a guest set with
// error_set, which the SDK returns as a bare error.
func isRuntimeError(err error) bool {
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "wasm stack trace") || strings.Contains(msg, "module closed") ||
		strings.HasPrefix(msg, "failed to initialize runtime")
}
