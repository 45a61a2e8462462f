package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	extism "github.com/extism/go-sdk"
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
//   - an instance stays callable after a trap: the host discards it anyway.
type extismDriver struct {
	cp    *extism.CompiledPlugin
	cfg   *config
	limit uint64
}

func newExtismDriver(ctx context.Context, wasm []byte, cache wazero.CompilationCache, wasi bool, cfg *config, limit uint64) (*extismDriver, error) {
	// The common configuration, close-on-context-done included.
	rc := runtimeConfig(cache)
	m := extism.Manifest{
		Wasm:         []extism.Wasm{extism.WasmData{Data: wasm}},
		Config:       cfg.config,
		AllowedHosts: cfg.hosts,
		Memory: &extism.ManifestMemory{
			// Bound what an allowed HTTP request may pour into the guest.
			MaxHttpResponseBytes: cfg.maxOutput,
			MaxVarBytes:          1 << 20,
		},
	}
	// No AllowedPaths: the SDK would mount them with wazero's own directory
	// mount, which does not keep the guest inside (see mount.go). The
	// granted directories come with the module configuration instead.
	cp, err := extism.NewCompiledPlugin(ctx, m, extism.PluginConfig{RuntimeConfig: rc, EnableWasi: wasi}, nil)
	if err != nil {
		return nil, err
	}
	return &extismDriver{cp: cp, cfg: cfg, limit: limit}, nil
}

func (d *extismDriver) close(ctx context.Context) error { return d.cp.Close(ctx) }

func (d *extismDriver) newInstance(ctx context.Context) (instance, *Error) {
	in := &extismInstance{d: d, stderr: &capture{max: d.cfg.maxStderr}, mems: &memories{limit: d.limit}}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.toolTO)
	defer cancel()
	p, err := d.cp.Instance(in.mems.withAllocator(ctx), extism.PluginInstanceConfig{
		// The common sandbox, granted directories included.
		ModuleConfig: d.cfg.moduleConfig(in.stderr),
	})
	if err != nil {
		e := failure(ctx, err, in.mems.hit(), in.stderr, d.limit, d.cfg.toolTO)
		e.Function = "instantiate"
		return nil, e
	}
	in.p = p
	return in, nil
}

type extismInstance struct {
	d      *extismDriver
	p      *extism.Plugin
	stderr *capture
	mems   *memories
	dead   bool
}

func (in *extismInstance) broken() bool { return in.dead }

func (in *extismInstance) close(ctx context.Context) {
	if in.p != nil {
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
		return nil, &Error{Reason: ReasonInputTooLarge, Message: fmt.Sprintf("the input (%s) cannot fit in the plugin's %s memory limit", FormatSize(int64(len(input))), FormatSize(int64(in.d.limit)))}
	}
	in.stderr.reset()
	in.mems.reset()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rc, out, err := in.p.CallWithContext(ctx, fn, input)
	if in.mems.hit() && ctx.Err() == nil {
		in.dead = true
		return nil, failure(ctx, errors.New("memory grow refused"), true, in.stderr, in.d.limit, timeout)
	}
	if err != nil {
		if isRuntimeError(err) || ctx.Err() != nil {
			in.dead = true
			return nil, failure(ctx, err, in.mems.hit(), in.stderr, in.d.limit, timeout)
		}
		// The guest called error_set: a reported error, not a broken
		// instance.
		return nil, guestError([]byte(err.Error()), in.stderr)
	}
	if rc != 0 {
		return nil, &Error{Reason: ReasonGuestError, Message: fmt.Sprintf("the function returned status %d", rc), Stderr: in.stderr.String()}
	}
	if int64(len(out)) > in.d.cfg.maxOutput {
		return nil, &Error{Reason: ReasonOutputTooLarge, Message: fmt.Sprintf("the reply is %s, over the %s output cap", FormatSize(int64(len(out))), FormatSize(in.d.cfg.maxOutput)), Stderr: in.stderr.String()}
	}
	return out, nil
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
