package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// calculatorWasm builds the bundled calculator plugin, as `make plugins`
// does into build/plugins/calculator.wasm.
func calculatorWasm() string {
	path, err := wasmtest.Build("plugins/calculator")
	if err != nil {
		log.Fatal(err)
	}
	return path
}

// Load a tool plugin, list its tools, and call two of them. The second
// panics inside the guest; the panic comes back as the call's error, ready
// to be shown to the model, and the host carries on.
func Example() {
	ctx := context.Background()
	p, err := host.Load(ctx, calculatorWasm(), host.WithToolTimeout(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)

	var names []string
	for _, t := range p.Describe().Tools {
		names = append(names, t.Name)
	}
	fmt.Println("tools:", strings.Join(names, ", "))

	out, err := p.CallTool(ctx, abi.ToolCall{ID: "call_1", Name: "add", Arguments: json.RawMessage(`{"a":2,"b":3}`)})
	fmt.Println("add:", string(out), err)

	_, err = p.CallTool(ctx, abi.ToolCall{ID: "call_2", Name: "divide", Arguments: json.RawMessage(`{"a":1,"b":0}`)})
	var perr *host.Error
	if errors.As(err, &perr) {
		fmt.Println("divide:", perr.Reason, perr.Message)
	}
	// Output:
	// tools: add, subtract, multiply, divide
	// add: 5 <nil>
	// divide: guest_error panic: division by zero
}

func ExampleParseSize() {
	n, err := host.ParseSize("64MiB")
	fmt.Println(n, err, host.FormatSize(n))
	// Output: 67108864 <nil> 64MiB
}
