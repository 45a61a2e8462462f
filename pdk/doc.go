// Package pdk is the Go guest SDK of llmhost: it turns a Go package into a
// native (llmhost/1) WebAssembly plugin offering tools, output parsers and a
// retry strategy.
//
// A plugin is a main package that registers what it offers in init and is
// built with the standard Go toolchain as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o calc.wasm ./calc
//
// For example:
//
//	package main
//
//	import "github.com/llmhost/llmhost/pdk"
//
//	type Operands struct {
//		A float64 `json:"a" jsonschema:"description=the dividend"`
//		B float64 `json:"b" jsonschema:"description=the divisor"`
//	}
//
//	func init() {
//		pdk.Info("calc", "1.0.0")
//		pdk.Tool("divide", "Divides a by b.", func(o Operands) (float64, error) {
//			if o.B == 0 {
//				panic("division by zero") // reported to the model as the tool's error
//			}
//			return o.A / o.B, nil
//		})
//	}
//
//	func main() {} // required by the toolchain, never called in a reactor
//
// Registration must happen in init (or package-level variable
// initialisation): a c-shared module runs its init functions when the host
// calls _initialize, but never runs main.
//
// The package implements the ABI described in abi/README.md: it exports
// memory, llmhost_abi_v1, llmhost_alloc, llmhost_configure, describe, call,
// parse and decide, and generates the describe reply from what was
// registered, with each tool's parameter schema reflected from its argument
// type. A panic in a tool, parser or retry strategy is recovered and
// reported as that call's error, with the panic value as its message; the
// stack trace goes to stderr, which the host attaches to the error.
//
// Outside wasip1 the package compiles too, without exports, so a plugin's
// logic can be unit-tested natively through Invoke.
package pdk
