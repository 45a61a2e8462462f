package host

import (
	"errors"
	"fmt"

	"github.com/llmhost/llmhost/host/internal/wasmbin"
)

// ModuleLimits bound what the structure of a module may cost the host
// before, and while, it runs: what wazero's decoder, validator and compiler
// spend on it at Load, and what each instance carries beside its linear
// memory. A module is a hostile input like any other, and its cost is not
// its size: a 29-byte function declaring 2^32 locals makes the decoder
// allocate 4 GiB; blocks nested 100,000 deep take the validator and
// compiler minutes (the cost is quadratic in the depth); each br_table
// target costs the compiler kilobytes; one table.grow of 2^28 elements
// takes 2 GiB that no memory limit counts.
//
// Load checks every limit on the module's bytes before wazero sees them,
// and refuses a module over one with a *ModuleLimitError. They are the
// memory budget of a Load, and the load timeout (WithLoadTimeout) its time
// budget. The compiler's working memory is bounded per function by
// FunctionSize, Locals, Nesting and BrTableTargets (measured at the
// defaults: a 1 MiB body of straight-line code about 85 MB, 20,000
// br_table targets 50 MB, blocks 5,000 deep 14 MB), times the functions
// compiled at once (2 to 4, with GOMAXPROCS); what outlives compilation
// is bounded by Size and the counts. A watch on the Go heap could not be
// the budget: the heap is the whole process's, and wazero stops compiling
// only between functions.
//
// The defaults follow the implementation limits of the WebAssembly JS API
// (those V8 and SpiderMonkey enforce) where those are tight enough for a
// host that compiles every function ahead of time, and are set lower where
// they are not: each default is many times what the largest measured real
// plugin (Go, Rust, C, Haskell guests built with the Extism PDKs and
// llmhost's own) uses, and is stated beside it. A zero field means the
// default.
type ModuleLimits struct {
	// Size is the largest module, in bytes: 64 MiB. Go guests are 2-15 MB.
	Size int64
	// Functions bounds the functions, imported and defined: 250,000
	// (V8: 1,000,000). The largest plugin measured has 4,573. Each costs
	// the compiler about 250 bytes even when empty.
	Functions int
	// FunctionSize bounds the bytes of one function body: 1 MiB (V8:
	// 7,654,321, but V8 compiles lazily). The largest measured is 80 KB.
	// wazero compiles a function whole, at some 100 bytes per instruction.
	FunctionSize int
	// Locals bounds the locals one function declares: 50,000 (as V8). The
	// largest measured is 2,452. A compressed declaration of 2^32 locals
	// takes 6 bytes of the file and 4 GiB of the decoder.
	Locals int
	// TotalLocals bounds the locals of all the functions: 1,000,000. The
	// largest measured total is 14,769. wazero keeps a byte per local for
	// the life of the module.
	TotalLocals int
	// Nesting bounds how deep one function nests blocks (block, loop, if,
	// try_table): 5,000. The deepest measured is 1,707 (Go guests: 550).
	// Validation and compilation take time quadratic in the depth: 10,000
	// levels take 0.4 s, 100,000 take 84 s.
	Nesting int
	// BrTableTargets bounds the br_table targets of one function, all its
	// br_tables together: 20,000 (V8 bounds one br_table at 65,520). The
	// most measured is 3,126. Each target costs the compiler some 2.6 KB.
	BrTableTargets int
	// Types, Imports and Exports bound those declarations: 100,000 each
	// (V8: 1,000,000 types, 100,000 imports and exports). The most
	// measured are 1,719 types, 30 imports and 13 exports.
	Types, Imports, Exports int
	// Globals bounds the globals a module defines: 10,000 (V8: 1,000,000).
	// The most measured is 11. A global costs some 140 bytes of heap, in
	// the module and again in every instance.
	Globals int
	// Tables bounds the tables a module defines: 8. Every plugin measured
	// has at most one.
	Tables int
	// TableElements bounds each table, its initial size at Load and any
	// table.grow at run time, which then fails (returns -1) as for a table
	// at its declared maximum: 100,000 elements, 800 KB per table and
	// instance. The largest measured is 7,420 (a Go guest's table holds
	// its functions); wazero would otherwise let one table.grow take
	// gigabytes, counted by no memory limit.
	TableElements int
	// DataSegments bounds the data segments: 250,000 (V8: 100,000, but Go
	// emits about 10,000 per MB: 58,607 in a 6 MB guest). A segment costs
	// some 80 bytes of heap, 24 of them in every instance.
	DataSegments int
	// ElementEntries bounds the entries of all element segments together:
	// 200,000 (V8: 10,000,000). The most measured is 3,895 (a Go guest has
	// one per function). An entry costs some 80 bytes of heap, 8 of them
	// in every instance for passive segments.
	ElementEntries int
	// NameSection bounds the "name" custom section, which wazero decodes
	// into maps of strings: 16 MiB. The largest measured is 119 KB. Other
	// custom sections (DWARF included) are not decoded, and count only
	// toward Size.
	NameSection int
}

// DefaultModuleLimits returns the limits of a Load without
// WithModuleLimits, the defaults of each field.
func DefaultModuleLimits() ModuleLimits { return defaultModuleLimits }

var defaultModuleLimits = ModuleLimits{
	Size:           64 << 20,
	Functions:      250_000,
	FunctionSize:   1 << 20,
	Locals:         50_000,
	TotalLocals:    1_000_000,
	Nesting:        5_000,
	BrTableTargets: 20_000,
	Types:          100_000,
	Imports:        100_000,
	Exports:        100_000,
	Globals:        10_000,
	Tables:         8,
	TableElements:  100_000,
	DataSegments:   250_000,
	ElementEntries: 200_000,
	NameSection:    16 << 20,
}

// WithModuleLimits sets the structural limits a module must keep to (see
// ModuleLimits); zero fields keep their defaults, so
//
//	host.WithModuleLimits(host.ModuleLimits{TableElements: 1 << 20})
//
// raises one limit only.
func WithModuleLimits(l ModuleLimits) Option {
	return func(c *config) { c.limits = l }
}

// withDefaults fills the zero fields of l from DefaultModuleLimits.
func (l ModuleLimits) withDefaults() ModuleLimits {
	d := defaultModuleLimits
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	if l.Size == 0 {
		l.Size = d.Size
	}
	set(&l.Functions, d.Functions)
	set(&l.FunctionSize, d.FunctionSize)
	set(&l.Locals, d.Locals)
	set(&l.TotalLocals, d.TotalLocals)
	set(&l.Nesting, d.Nesting)
	set(&l.BrTableTargets, d.BrTableTargets)
	set(&l.Types, d.Types)
	set(&l.Imports, d.Imports)
	set(&l.Exports, d.Exports)
	set(&l.Globals, d.Globals)
	set(&l.Tables, d.Tables)
	set(&l.TableElements, d.TableElements)
	set(&l.DataSegments, d.DataSegments)
	set(&l.ElementEntries, d.ElementEntries)
	set(&l.NameSection, d.NameSection)
	return l
}

func (l ModuleLimits) check() error {
	if l.Size < 0 || l.Functions < 0 || l.FunctionSize < 0 || l.Locals < 0 || l.TotalLocals < 0 ||
		l.Nesting < 0 || l.BrTableTargets < 0 || l.Types < 0 || l.Imports < 0 || l.Exports < 0 ||
		l.Globals < 0 || l.Tables < 0 || l.TableElements < 0 || l.DataSegments < 0 ||
		l.ElementEntries < 0 || l.NameSection < 0 {
		return errors.New("WithModuleLimits: limits must not be negative (zero means the default)")
	}
	if uint64(l.TableElements) > 1<<32-1 {
		return fmt.Errorf("WithModuleLimits: TableElements %d is over 2^32-1, the most a table can hold", l.TableElements)
	}
	return nil
}

// A ModuleLimitError is a module that Load refused because its structure
// exceeds one of its ModuleLimits. Use errors.As to get it.
type ModuleLimitError struct {
	// Limit is the ModuleLimits field exceeded, e.g. "Nesting".
	Limit string
	// What says what in the module exceeds it, e.g. "function 3 nests
	// blocks 100000 deep".
	What string
	// Value is the module's count, Max the limit.
	Value, Max uint64
}

func (e *ModuleLimitError) Error() string {
	return fmt.Sprintf("%s, over the limit of %d (ModuleLimits.%s; see WithModuleLimits)", e.What, e.Max, e.Limit)
}

// boundModule checks the module's structure against the limits and returns
// the module to compile: the same bytes, but with every table it defines
// given a maximum of at most l.TableElements, so that wazero refuses a
// table.grow past it.
func boundModule(wasm []byte, l ModuleLimits) ([]byte, error) {
	over := func(limit string, value uint64, max int, what string, args ...any) error {
		if value <= uint64(max) {
			return nil
		}
		return &ModuleLimitError{Limit: limit, What: fmt.Sprintf(what, args...), Value: value, Max: uint64(max)}
	}
	if int64(len(wasm)) > l.Size {
		return nil, &ModuleLimitError{Limit: "Size", What: "the module is " + FormatSize(int64(len(wasm))), Value: uint64(len(wasm)), Max: uint64(l.Size)}
	}
	m, err := wasmbin.Parse(wasm)
	if err != nil {
		return nil, err
	}
	importedFuncs := 0
	for _, im := range m.Imports {
		switch im.Kind {
		case wasmbin.KindFunc:
			importedFuncs++
		case wasmbin.KindTable:
			// No host module of llmhost exports a table; say so rather
			// than let instantiation fail obscurely.
			return nil, fmt.Errorf("imports the table %s.%s; llmhost provides no tables (a module must define its own)", im.Module, im.Name)
		}
	}
	counts := []struct {
		limit   string
		section byte
		max     int
		what    string
	}{
		{"Types", wasmbin.SectionType, l.Types, "types"},
		{"Imports", wasmbin.SectionImport, l.Imports, "imports"},
		{"Exports", wasmbin.SectionExport, l.Exports, "exports"},
		{"Globals", wasmbin.SectionGlobal, l.Globals, "globals"},
		{"DataSegments", wasmbin.SectionData, l.DataSegments, "data segments"},
		{"Tables", wasmbin.SectionTable, l.Tables, "tables"},
	}
	for _, c := range counts {
		n := m.Count(wasm, c.section)
		if err := over(c.limit, n, c.max, "the module declares %d %s", n, c.what); err != nil {
			return nil, err
		}
	}
	nf := uint64(importedFuncs) + max(m.FuncDecls, uint64(len(m.Funcs)))
	if err := over("Functions", nf, l.Functions, "the module declares %d functions", nf); err != nil {
		return nil, err
	}
	entries, err := m.ElementEntries(wasm)
	if err != nil {
		return nil, err
	}
	if err := over("ElementEntries", entries, l.ElementEntries, "the element segments hold %d entries", entries); err != nil {
		return nil, err
	}
	for _, s := range m.Sections {
		if s.ID == wasmbin.SectionCustom && s.Name == "name" {
			if err := over("NameSection", uint64(s.End-s.Start), l.NameSection, "the name section is %s", FormatSize(int64(s.End-s.Start))); err != nil {
				return nil, err
			}
		}
	}
	var totalLocals uint64
	for i, f := range m.Funcs {
		idx := importedFuncs + i
		if err := over("FunctionSize", uint64(f.End-f.Start), l.FunctionSize, "function %d is %s", idx, FormatSize(int64(f.End-f.Start))); err != nil {
			return nil, err
		}
		if err := over("Locals", f.Locals, l.Locals, "function %d declares %d locals", idx, f.Locals); err != nil {
			return nil, err
		}
		totalLocals += f.Locals // cannot overflow: each is at most l.Locals
		code, err := wasmbin.ScanCode(wasm[f.CodeStart:f.End])
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", idx, err)
		}
		if err := over("Nesting", uint64(code.MaxDepth), l.Nesting, "function %d nests blocks %d deep", idx, code.MaxDepth); err != nil {
			return nil, err
		}
		if err := over("BrTableTargets", code.BrTableTargets, l.BrTableTargets, "function %d has %d br_table targets", idx, code.BrTableTargets); err != nil {
			return nil, err
		}
	}
	if err := over("TotalLocals", totalLocals, l.TotalLocals, "the functions declare %d locals in all", totalLocals); err != nil {
		return nil, err
	}
	bounded, err := wasmbin.SetTableMax(wasm, uint32(l.TableElements))
	if te := (*wasmbin.TableError)(nil); errors.As(err, &te) {
		return nil, &ModuleLimitError{Limit: "TableElements", Value: te.Min, Max: uint64(l.TableElements),
			What: fmt.Sprintf("table %d starts with %d elements (%s)", te.Index, te.Min, FormatSize(int64(min(te.Min, 1<<50))*8))}
	}
	return bounded, err
}
