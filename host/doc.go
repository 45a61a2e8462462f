// Package host runs llmhost's WebAssembly plugins: tools, output parsers and
// retry strategies, sandboxed so that a plugin that panics, traps, loops or
// eats memory fails its call and nothing else.
//
// # Loading
//
// Load (or LoadBytes) turns a .wasm file into a *Plugin:
//
//	p, err := host.Load(ctx, "build/plugins/calculator.wasm",
//		host.WithSHA256("9f2c..."),          // refuse any other module
//		host.WithToolTimeout(5*time.Second), // default 10 s
//		host.WithMaxMemory(32<<20),          // default 64 MiB
//	)
//	defer p.Close(ctx)
//
// Compilation to machine code is the expensive part of loading, so it is
// cached on disk (DefaultCacheDir, or WithCacheDir): a second process loads
// a plugin in tens of milliseconds. Plugins loaded in one process with the
// same cache directory also share their machine code in memory.
//
// # Two ABIs
//
// The host reads the module's imports and exports to pick how to drive it
// (see ABI and abi/README.md):
//
//   - llmhost/1 (ABINative), the fast path, runs on wazero directly: the
//     input is written into guest memory and the reply read out of it, one
//     copy each way, with no host function in between. The Go guest SDK,
//     package pdk, writes such plugins.
//   - Extism (ABIExtism) runs any Extism plugin, whatever language and PDK
//     built it, through extism/go-sdk, under the same sandbox. MCP-style
//     servlets among them work as tool plugins.
//
// # Calling
//
// The typed methods speak the messages of package abi: CallTool, Parse and
// Decide. Call runs any export on raw bytes. Every failure is an *Error, with
// a Reason that says which way the plugin failed (ReasonTrap, ReasonTimeout,
// ReasonMemoryLimit, ReasonGuestError, ...), the plugin and function, a
// message fit for a model to read, and what the guest wrote to stderr, where
// a Go guest's panic lands:
//
//	out, err := p.CallTool(ctx, abi.ToolCall{ID: id, Name: "divide", Arguments: args})
//	var perr *host.Error
//	if errors.As(err, &perr) {
//		// Give perr.Message to the model as the tool's error.
//	}
//
// # The sandbox
//
// A plugin gets, by default: 64 MiB of memory and 100,000 elements per
// table; 10 s per tool call and 1 s per parse or decide call, enforced by
// stopping the guest wherever it is, a loop or a sleep in a host call; 8 MiB
// of input and of output per call; no files, network or environment
// variables; configuration only through an explicit map. Before a module is
// compiled its structure is checked against ModuleLimits, and the whole Load
// runs under a deadline (WithLoadTimeout); a tool's parameter schema and the
// arguments checked against it are bounded by SchemaLimits, and the tools
// describe declares, with their schemas together, by DescribeLimits; an
// Extism guest's output and error message are held to the output cap like
// a native guest's reply. Each limit is an Option. An instance that
// trapped, timed out, exited or hit its memory limit is discarded and never
// runs again. Compiled code read back from the
// disk cache is authenticated first: an altered entry is recompiled, never
// run.
//
// # Concurrency
//
// A Plugin is safe for concurrent use. Each call takes an instance of its
// own from the plugin's pool, so concurrent calls never share any guest
// state; idle instances are kept warm for the next call (WithMaxIdle). At
// most DefaultMaxInstances instances are alive at once (WithMaxInstances):
// further calls wait for a free one, so that concurrency cannot multiply the
// memory limit without bound.
package host
