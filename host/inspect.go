package host

import (
	"sort"

	"github.com/llmhost/llmhost/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ABI names the calling convention a plugin is driven through.
type ABI string

const (
	// ABINative is llmhost/1: the module exports llmhost_abi_v1. It runs on
	// wazero directly, the fast path.
	ABINative ABI = abi.Version
	// ABIExtism: the module imports extism:host/env. It runs through the
	// Extism SDK, whatever language and PDK it was written with.
	ABIExtism ABI = "extism"
	// ABIPlain: neither. If it exports llmhost_alloc and memory it is called
	// with the llmhost/1 convention (describe optional); otherwise its
	// exports are called the Extism way, through the SDK.
	ABIPlain ABI = "plain"
)

const (
	wasiModule   = "wasi_snapshot_preview1"
	extismModule = "extism:host/env"
)

// Info is what Inspect reports about a loaded plugin. It marshals to the
// JSON that `llmhost plugin inspect` prints.
type Info struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	ABI     ABI    `json:"abi"`
	SHA256  string `json:"sha256"`
	Size    int    `json:"size"`
	// Kinds lists what the plugin offers: "tool", "parser", "retry".
	Kinds   []string     `json:"kinds"`
	Tools   []abi.Tool   `json:"tools"`
	Parsers []abi.Parser `json:"parsers"`
	Retry   bool         `json:"retry"`
	// MCP is set when the tools follow the MCP servlet convention.
	MCP     bool       `json:"mcp,omitempty"`
	Exports []Function `json:"exports"`
	Imports []Function `json:"imports"`
	Memory  MemoryInfo `json:"memory"`
	// DescribeError says why describe failed, for plugins (Extism, plain)
	// where describe is optional and its failure does not stop Load.
	DescribeError string `json:"describe_error,omitempty"`
}

// Function is an export or import of the module.
type Function struct {
	Module  string   `json:"module,omitempty"` // imports only
	Name    string   `json:"name"`
	Kind    string   `json:"kind"` // "function" or "memory"
	Params  []string `json:"params,omitempty"`
	Results []string `json:"results,omitempty"`
}

// MemoryInfo describes the module's memory and the limit it runs under.
type MemoryInfo struct {
	MinBytes   uint64 `json:"min_bytes"`
	LimitBytes uint64 `json:"limit_bytes"`
}

// shape is what the host learns from a compiled module's imports and
// exports, before running anything.
type shape struct {
	abi            ABI
	imports        []Function
	exports        []Function
	importsWASI    bool
	foreignImports []Function // imports no host module provides
	funcs          map[string]api.FunctionDefinition
	hasMemory      bool
	minMemory      uint64
	nativeCallable bool // native driver applies
}

func inspectModule(m wazero.CompiledModule) *shape {
	s := &shape{funcs: m.ExportedFunctions()}
	importsExtism := false
	for _, f := range m.ImportedFunctions() {
		mod, name, _ := f.Import()
		fn := Function{Module: mod, Name: name, Kind: "function", Params: typeNames(f.ParamTypes()), Results: typeNames(f.ResultTypes())}
		s.imports = append(s.imports, fn)
		switch mod {
		case wasiModule:
			s.importsWASI = true
		case extismModule:
			importsExtism = true
		default:
			s.foreignImports = append(s.foreignImports, fn)
		}
	}
	for _, mem := range m.ImportedMemories() {
		mod, name, _ := mem.Import()
		s.imports = append(s.imports, Function{Module: mod, Name: name, Kind: "memory"})
		s.minMemory = max(s.minMemory, uint64(mem.Min())<<16)
	}
	for name, f := range s.funcs {
		s.exports = append(s.exports, Function{Name: name, Kind: "function", Params: typeNames(f.ParamTypes()), Results: typeNames(f.ResultTypes())})
	}
	for name, mem := range m.ExportedMemories() {
		s.exports = append(s.exports, Function{Name: name, Kind: "memory"})
		s.minMemory = max(s.minMemory, uint64(mem.Min())<<16)
		if name == abi.ExportMemory {
			s.hasMemory = true
		}
	}
	sort.Slice(s.exports, func(i, j int) bool { return s.exports[i].Name < s.exports[j].Name })

	_, marker := s.funcs[abi.ExportMarker]
	_, alloc := s.funcs[abi.ExportAlloc]
	switch {
	case importsExtism:
		s.abi = ABIExtism
	case marker:
		s.abi = ABINative
		s.nativeCallable = true
	default:
		s.abi = ABIPlain
		s.nativeCallable = alloc && s.hasMemory
	}
	return s
}

func typeNames(ts []api.ValueType) []string {
	if len(ts) == 0 {
		return nil
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = api.ValueTypeName(t)
	}
	return names
}
