package scenario

import (
	"context"

	"github.com/llmhost/llmhost/llm"
)

// Operands are the arguments of the calculator's tools.
type Operands struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// GoCalculator is the calculator as Go tools, for when the calculator
// plugin is not built. Like the documentation's example tool, divide
// panics on a zero divisor.
func GoCalculator() []llm.Tool {
	op := func(name, desc string, f func(a, b float64) float64) llm.Tool {
		return llm.NewTool(name, desc, func(_ context.Context, x Operands) (float64, error) { return f(x.A, x.B), nil })
	}
	return []llm.Tool{
		op("add", "Add a and b.", func(a, b float64) float64 { return a + b }),
		op("subtract", "Subtract b from a.", func(a, b float64) float64 { return a - b }),
		op("multiply", "Multiply a by b.", func(a, b float64) float64 { return a * b }),
		op("divide", "Divide a by b.", func(a, b float64) float64 {
			if b == 0 {
				panic("division by zero")
			}
			return a / b
		}),
	}
}
