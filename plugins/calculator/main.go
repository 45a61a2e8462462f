// Command calculator is the bundled example tool plugin: four arithmetic
// tools over two numbers. divide panics when b is 0, on purpose: it shows a
// Go panic in a tool reaching the model as that tool's error
// ("panic: division by zero") without hurting the host.
package main

import "github.com/llmhost/llmhost/pdk"

// Operands are the arguments of every tool.
type Operands struct {
	A float64 `json:"a" jsonschema:"description=The first operand."`
	B float64 `json:"b" jsonschema:"description=The second operand."`
}

func init() {
	pdk.Info("calculator", "1.0.0")
	pdk.Tool("add", "Adds a and b.", func(o Operands) (float64, error) { return o.A + o.B, nil })
	pdk.Tool("subtract", "Subtracts b from a.", func(o Operands) (float64, error) { return o.A - o.B, nil })
	pdk.Tool("multiply", "Multiplies a by b.", func(o Operands) (float64, error) { return o.A * o.B, nil })
	pdk.Tool("divide", "Divides a by b.", divide)
}

func divide(o Operands) (float64, error) {
	if o.B == 0 {
		panic("division by zero")
	}
	return o.A / o.B, nil
}

func main() {}
