package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host/internal/wasmbin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Load reads the WebAssembly module at path and makes it a Plugin:
//
//  1. checks it is a core WebAssembly module and, with WithSHA256, that it
//     is the one expected;
//  2. checks its structure against the ModuleLimits (see WithModuleLimits)
//     and bounds its tables, before wazero decodes it;
//  3. compiles it, or takes the machine code from the compilation cache;
//  4. detects its ABI from its imports and exports (see ABI);
//  5. creates a first instance and calls describe, so a broken plugin fails
//     here rather than at its first call.
//
// All of it runs under the load timeout (WithLoadTimeout).
//
// The returned Plugin is safe for concurrent use. Close it to free its
// instances.
func Load(ctx context.Context, path string, opts ...Option) (*Plugin, error) {
	cfg := newConfig(opts)
	wasm, err := readModule(path, cfg.limits.withDefaults().Size)
	if err != nil {
		return nil, fmt.Errorf("load plugin: %w", err)
	}
	return load(ctx, wasm, cfg, path)
}

// readModule reads the file at path, but not past limit bytes: a file
// over ModuleLimits.Size is refused before it is in memory.
func readModule(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := func(size int64) error {
		return fmt.Errorf("%s: %w", path, &ModuleLimitError{Limit: "Size", What: "the module is " + FormatSize(size), Value: uint64(size), Max: uint64(limit)})
	}
	// A regular file says its size; anything else (a pipe, a device) is
	// read no further than the limit.
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooLarge(st.Size())
	}
	wasm, err := io.ReadAll(io.LimitReader(f, max(limit, 0)+1))
	if err != nil {
		return nil, err
	}
	if int64(len(wasm)) > limit {
		return nil, tooLarge(int64(len(wasm)))
	}
	return wasm, nil
}

// LoadBytes is Load for a module already in memory.
func LoadBytes(ctx context.Context, wasm []byte, opts ...Option) (*Plugin, error) {
	return load(ctx, wasm, newConfig(opts), "")
}

var wasmMagic = []byte("\x00asm")

func load(ctx context.Context, wasm []byte, cfg *config, source string) (_ *Plugin, err error) {
	what := "module"
	if source != "" {
		what = source
	}
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], wasmMagic) {
		head := wasm[:min(len(wasm), 8)]
		return nil, fmt.Errorf("load plugin: %s is not a WebAssembly module: it starts with %q, not \"\\x00asm\"", what, head)
	}
	if !bytes.Equal(wasm[4:8], []byte{1, 0, 0, 0}) {
		return nil, fmt.Errorf("load plugin: %s is a WebAssembly component or of an unknown binary version (% x); only core modules (version 1) are supported", what, wasm[4:8])
	}
	sum := sha256.Sum256(wasm)
	digest := hex.EncodeToString(sum[:])
	if cfg.sha256 != "" {
		want := strings.ToLower(strings.TrimPrefix(cfg.sha256, "sha256:"))
		if _, err := hex.DecodeString(want); err != nil || len(want) != 64 {
			return nil, fmt.Errorf("load plugin: invalid sha256 pin %q: want 64 hex digits", cfg.sha256)
		}
		if want != digest {
			return nil, fmt.Errorf("load plugin: sha256 mismatch for %s: it hashes to %s, the pin says %s", what, digest, want)
		}
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("load plugin: %w", err)
	}
	limit := uint64(cfg.memory) &^ 0xffff
	// Before anything decodes the module: what its structure may cost
	// (see ModuleLimits). The bytes compiled are the bounded ones.
	size := len(wasm)
	wasm, err = boundModule(wasm, cfg.limits.withDefaults())
	if malformed := (*wasmbin.Error)(nil); errors.As(err, &malformed) {
		return nil, fmt.Errorf("load plugin: %s is not a valid module: %w", what, err)
	} else if err != nil {
		return nil, fmt.Errorf("load plugin: %s: %w", what, err)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.loadTO)
	defer cancel()
	// Said once for every step that ran out of time.
	timedOut := func(err error) error {
		if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("load plugin: %s: loading took longer than the %v load timeout (see WithLoadTimeout): %w", what, cfg.loadTO, context.DeadlineExceeded)
		}
		return err
	}
	// Two workers or more: only then does wazero's compiler look at the
	// context, between functions, and stop at the deadline.
	compileCtx := experimental.WithCompilationWorkers(ctx, max(2, min(runtime.GOMAXPROCS(0), 4)))

	cache, ownCache, err := cfg.compilationCache()
	if err != nil {
		return nil, fmt.Errorf("load plugin: %w", err)
	}
	// Whatever wazero wrote into the cache during this Load is
	// authenticated when it ends, failed Loads included (see cacheauth.go).
	defer cfg.sealCache()
	p := &Plugin{cfg: cfg, name: cfg.name, cache: cache, ownCache: ownCache}
	if p.name == "" && source != "" {
		p.name = strings.TrimSuffix(filepath.Base(source), ".wasm")
	}
	defer func() {
		if err != nil {
			p.Close(context.WithoutCancel(ctx))
		}
	}()
	if err := cfg.openGrants(); err != nil {
		return nil, fmt.Errorf("load plugin: allowed path: %w", err)
	}

	rt := wazero.NewRuntimeWithConfig(ctx, runtimeConfig(cache))
	compiled, err := rt.CompileModule(compileCtx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, timedOut(fmt.Errorf("load plugin: %s is not a valid module: %w", what, err))
	}
	s := inspectModule(compiled)
	if v := otherABIVersion(s); v != "" {
		rt.Close(ctx)
		return nil, fmt.Errorf("load plugin: %s exports %s: it was built for another version of the llmhost ABI; this host speaks llmhost/1 (%s)", what, v, abi.ExportMarker)
	}
	p.info = Info{ABI: s.abi, SHA256: digest, Size: size, Exports: s.exports, Imports: s.imports,
		Memory: MemoryInfo{MinBytes: s.minMemory, LimitBytes: limit}}
	p.funcs = s.funcs
	if s.minMemory > limit {
		rt.Close(ctx)
		return nil, fmt.Errorf("load plugin: %s starts with %s of memory, over its %s limit (see WithMaxMemory)", what, FormatSize(int64(s.minMemory)), FormatSize(int64(limit)))
	}

	if s.nativeCallable {
		if err := s.checkNative(); err != nil {
			rt.Close(ctx)
			return nil, fmt.Errorf("load plugin: %s: %w", what, err)
		}
		if s.importsWASI {
			if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
				rt.Close(ctx)
				return nil, fmt.Errorf("load plugin: %w", err)
			}
		}
		d := newNativeDriver(rt, compiled, cfg, limit)
		p.drv, p.pool = d, newPool(cfg.maxIdle, cfg.maxLive, d.newInstance)
	} else {
		if len(s.foreignImports) > 0 {
			rt.Close(ctx)
			f := s.foreignImports[0]
			return nil, fmt.Errorf("load plugin: %s imports %s.%s, which llmhost does not provide (it offers %s and %s)", what, f.Module, f.Name, wasiModule, extismModule)
		}
		if limit < extismKernelMemory {
			rt.Close(ctx)
			return nil, fmt.Errorf("load plugin: %s: an Extism plugin needs a memory limit of at least %s (the Extism kernel's own memory)", what, FormatSize(extismKernelMemory))
		}
		// Compile for the SDK while the probe runtime still holds the
		// module, so that the shared engine hands it over instead of
		// compiling it twice; only then drop the probe.
		d, err := newExtismDriver(compileCtx, wasm, cache, s.importsWASI, cfg, limit)
		rt.Close(ctx)
		if err != nil {
			return nil, timedOut(fmt.Errorf("load plugin: %s: %w", what, err))
		}
		p.drv, p.pool = d, newPool(cfg.maxIdle, cfg.maxLive, d.newInstance)
	}

	if err := p.describe(ctx); err != nil {
		return nil, timedOut(err)
	}
	if err := timedOut(nil); err != nil {
		// An Extism plugin's failed describe does not fail Load, but one
		// that ran out of the load's time does.
		return nil, err
	}
	return p, nil
}

// runtimeConfig is the wazero configuration of every plugin runtime.
func runtimeConfig(cache wazero.CompilationCache) wazero.RuntimeConfig {
	return wazero.NewRuntimeConfig().
		// Always: this is what makes timeouts stop a guest stuck in a loop.
		WithCloseOnContextDone(true).
		WithCompilationCache(cache).
		// DWARF costs decoding time on every load, cached or not; traps
		// still name the functions on the stack.
		WithDebugInfoEnabled(false)
}

func (c *config) check() error {
	switch {
	case c.memory < 1<<16:
		return fmt.Errorf("memory limit %d bytes is under one 64 KiB page", c.memory)
	case c.toolTO <= 0 || c.parserTO <= 0 || c.retryTO <= 0:
		return errors.New("timeouts must be positive: a plugin call cannot run unbounded")
	case c.maxInput < 0 || c.maxOutput < 0 || c.maxStderr < 0:
		return errors.New("size caps must not be negative")
	case c.maxLive <= 0:
		return fmt.Errorf("WithMaxInstances(%d): the bound on live instances must be positive", c.maxLive)
	case c.loadTO <= 0:
		return fmt.Errorf("WithLoadTimeout(%v): the load timeout must be positive: a Load cannot run unbounded", c.loadTO)
	}
	if err := c.limits.check(); err != nil {
		return err
	}
	if err := c.describeLimits.check(); err != nil {
		return err
	}
	if err := checkHostPatterns(c.hosts); err != nil {
		return err
	}
	for _, m := range c.paths {
		st, err := os.Stat(m.HostPath)
		if err != nil {
			return fmt.Errorf("allowed path: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("allowed path %s is not a directory", m.HostPath)
		}
		if !strings.HasPrefix(m.GuestPath, "/") {
			return fmt.Errorf("allowed path %s: guest path %q must be absolute", m.HostPath, m.GuestPath)
		}
	}
	return c.checkOverlap()
}

// checkNative verifies the exports the llmhost/1 calling convention needs.
func (s *shape) checkNative() error {
	if !s.hasMemory {
		return fmt.Errorf("exports %s but no %q memory", abi.ExportMarker, abi.ExportMemory)
	}
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	alloc, ok := s.funcs[abi.ExportAlloc]
	if !ok {
		return fmt.Errorf("exports %s but no %s", abi.ExportMarker, abi.ExportAlloc)
	}
	if !hasSignature(alloc, []api.ValueType{i32}, []api.ValueType{i32}) {
		return fmt.Errorf("%s has the signature %s, want (i32) -> i32", abi.ExportAlloc, signature(alloc))
	}
	for _, name := range []string{abi.ExportDescribe, abi.ExportCall, abi.ExportParse, abi.ExportDecide, abi.ExportConfigure} {
		if f, ok := s.funcs[name]; ok && !hasSignature(f, []api.ValueType{i32, i32}, []api.ValueType{i64}) {
			return fmt.Errorf("%s has the signature %s, want (i32, i32) -> i64", name, signature(f))
		}
	}
	if _, ok := s.funcs[abi.ExportDescribe]; !ok && s.abi == ABINative {
		return fmt.Errorf("exports %s but no %s", abi.ExportMarker, abi.ExportDescribe)
	}
	if len(s.foreignImports) > 0 {
		f := s.foreignImports[0]
		return fmt.Errorf("imports %s.%s; an llmhost/1 guest may import only %s", f.Module, f.Name, wasiModule)
	}
	return nil
}

func signature(f api.FunctionDefinition) string {
	return "(" + strings.Join(typeNames(f.ParamTypes()), ", ") + ") -> (" + strings.Join(typeNames(f.ResultTypes()), ", ") + ")"
}

// Inspect loads the plugin at path, returns its Info and closes it: what
// `llmhost plugin inspect` prints.
func Inspect(ctx context.Context, path string, opts ...Option) (Info, error) {
	p, err := Load(ctx, path, opts...)
	if err != nil {
		return Info{}, err
	}
	defer p.Close(ctx)
	return p.Info(), nil
}

// otherABIVersion returns the marker export of an llmhost ABI other than
// llmhost/1 that a module without llmhost/1's marker declares, or "": such a
// module must be refused by name, not run as a plain module.
func otherABIVersion(s *shape) string {
	if _, ok := s.funcs[abi.ExportMarker]; ok {
		return ""
	}
	prefix := strings.TrimSuffix(abi.ExportMarker, "1")
	for name := range s.funcs {
		if strings.HasPrefix(name, prefix) {
			return name
		}
	}
	return ""
}
