package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Load reads the WebAssembly module at path and makes it a Plugin:
//
//  1. checks it is a core WebAssembly module and, with WithSHA256, that it
//     is the one expected;
//  2. compiles it, or takes the machine code from the compilation cache;
//  3. detects its ABI from its imports and exports (see ABI);
//  4. creates a first instance and calls describe, so a broken plugin fails
//     here rather than at its first call.
//
// The returned Plugin is safe for concurrent use. Close it to free its
// instances.
func Load(ctx context.Context, path string, opts ...Option) (*Plugin, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load plugin: %w", err)
	}
	return load(ctx, wasm, newConfig(opts), path)
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

	cache, ownCache, err := cfg.compilationCache()
	if err != nil {
		return nil, fmt.Errorf("load plugin: %w", err)
	}
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
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("load plugin: %s is not a valid module: %w", what, err)
	}
	s := inspectModule(compiled)
	p.info = Info{ABI: s.abi, SHA256: digest, Size: len(wasm), Exports: s.exports, Imports: s.imports,
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
		d, err := newExtismDriver(ctx, wasm, cache, s.importsWASI, cfg, limit)
		rt.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("load plugin: %s: %w", what, err)
		}
		p.drv, p.pool = d, newPool(cfg.maxIdle, cfg.maxLive, d.newInstance)
	}

	if err := p.describe(ctx); err != nil {
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
	return nil
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
