package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Tool schemas arrive through a plugin's describe, so the plugin controls
// them, and arguments come from a model. Each attack below must end in a
// clear error naming the limit, well within a generous bound, host alive.

const schemaBound = 30 * time.Second

// schemaBombModule is an llmhost/1 module whose describe declares one tool,
// "divide", with params as its parameters schema; "call" replies {"ok":true}.
func schemaBombModule(t *testing.T, params string) []byte {
	t.Helper()
	d, err := json.Marshal(abi.Describe{ABI: abi.Version, Name: "schemabomb", Version: "0",
		Tools: []abi.Tool{{Name: "divide", Description: "hostile schema", Parameters: json.RawMessage(params)}}})
	if err != nil {
		t.Fatal(err)
	}
	const at, replyAt = 4096, 1024
	reply := `{"ok":true}`
	pages := (at+len(d))/65536 + 2
	var esc strings.Builder
	for _, c := range d {
		fmt.Fprintf(&esc, "\\%02x", c)
	}
	return wasmtest.WAT(t, fmt.Sprintf(`(module
(memory (export "memory") %d)
(func (export "llmhost_abi_v1"))
(func (export "llmhost_alloc") (param i32) (result i32) (i32.const %d))
(func (export "describe") (param i32 i32) (result i64) (i64.const %d))
(func (export "call") (param i32 i32) (result i64) (i64.const %d))
(data (i32.const %d) %q)
(data (i32.const %d) "%s"))`, pages, at+len(d)+64, int64(abi.Pack(at, uint32(len(d)), false)),
		int64(abi.Pack(replyAt, uint32(len(reply)), false)), replyAt, reply, at, esc.String()))
}

func schemaDAG(n int) string {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{"a":{"$ref":"#/$defs/d0"}},"$defs":{`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `"d%d":{"anyOf":[{"allOf":[{"$ref":"#/$defs/d%d"}]},{"$ref":"#/$defs/d%d"}]},`, i, i+1, i+1)
	}
	fmt.Fprintf(&b, `"d%d":{"type":"string"}}}`, n)
	return b.String()
}

func schemaProps(n int) string {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"p%d":{"type":"string"}`, i)
	}
	return b.String() + "}}"
}

func TestSchemaBombsRefusedAtLoad(t *testing.T) {
	cases := []struct{ attempt, schema, want string }{
		{"a 2.8 KB schema of nested anyOf/allOf through $ref (2^40 expanded)", schemaDAG(40), "SchemaLimits.ExpandedSubschemas"},
		{"a schema nesting 2,000 levels", strings.Repeat(`{"items":`, 2000) + "{}" + strings.Repeat("}", 2000), "nests 2,001 levels deep, over the limit of 64"},
		{"a schema of 60,000 properties", schemaProps(60000), "SchemaLimits.SchemaBytes"},
		{"a schema of 3,000 properties", schemaProps(3000), "SchemaLimits.Subschemas"},
		{"a schema whose minimum is 1e999999999", `{"properties":{"n":{"minimum":1e999999999}}}`, "SchemaLimits.NumberExponent"},
		{"a schema $ref to file:///etc/passwd", `{"properties":{"n":{"$ref":"file:///etc/passwd"}}}`, "refers to file:///etc/passwd, outside itself"},
		{"a schema $ref to http://127.0.0.1:1/", `{"properties":{"n":{"$ref":"http://127.0.0.1:1/s.json"}}}`, "refers to http://127.0.0.1:1/s.json, outside itself"},
		{"a schema whose $ref loops without consuming the value", `{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}`, "refers back to itself"},
	}
	for _, c := range cases {
		t.Run(c.attempt, func(t *testing.T) {
			wasm := schemaBombModule(t, c.schema)
			start := time.Now()
			p, err := host.LoadBytes(context.Background(), wasm, host.WithCacheDir(cacheDir(t)))
			if took := time.Since(start); took > schemaBound {
				t.Fatalf("Load took %v, over %v", took, schemaBound)
			}
			if err == nil {
				p.Close(context.Background())
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), "tool divide: parameters schema") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load: %v\nwant it to name the tool and %q", err, c.want)
			}
			refused(t, "schemas", c.attempt, err)
		})
	}
	// The host is alive: a plugin with a sane schema loads and runs.
	p := loadBytes(t, schemaBombModule(t, `{"type":"object","properties":{"n":{"type":"number"}}}`))
	if out, err := tool(t, p, "divide", `{"n":2}`); err != nil || out != `{"ok":true}` {
		t.Fatalf("sane tool: %q, %v", out, err)
	}
}

func TestHostileArgumentsRefused(t *testing.T) {
	// Recursion through properties is legitimate, but applies the schema
	// twice per level: 2^depth steps for a deep enough argument.
	schema := `{"$defs":{"n":{"type":"object","anyOf":[{"properties":{"x":{"$ref":"#/$defs/n"}}},{"properties":{"x":{"$ref":"#/$defs/n"}},"required":["y"]}],"properties":{"m":{"type":"number","minimum":0,"multipleOf":0.5}}}},"$ref":"#/$defs/n"}`
	p := loadBytes(t, schemaBombModule(t, schema))
	cases := []struct{ attempt, args, want string }{
		{"arguments applying a recursive anyOf 2^60 times", strings.Repeat(`{"x":`, 60) + "{}" + strings.Repeat("}", 60), "SchemaLimits.Work"},
		{"an argument of 1e999999999 against minimum and multipleOf", `{"m":1e999999999}`, "SchemaLimits.NumberExponent"},
		{"an argument of 1e-999999999 against multipleOf", `{"m":1e-999999999}`, "SchemaLimits.NumberExponent"},
		{"an argument number of 5,000 digits", `{"m":` + strings.Repeat("9", 5000) + `}`, "SchemaLimits.NumberLength"},
		{"arguments nesting 5,000 levels", `{"y":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, "SchemaLimits.InstanceDepth"},
	}
	for _, c := range cases {
		t.Run(c.attempt, func(t *testing.T) {
			start := time.Now()
			_, err := tool(t, p, "divide", c.args)
			if took := time.Since(start); took > schemaBound {
				t.Fatalf("call took %v, over %v", took, schemaBound)
			}
			wantError(t, err, host.ReasonInvalidArguments, "invalid arguments for tool divide", c.want)
			refused(t, "schemas", c.attempt, err)
		})
	}
	// Still alive, and still validating.
	if out, err := tool(t, p, "divide", `{"x":{"x":{}},"m":1.5}`); err != nil || out != `{"ok":true}` {
		t.Fatalf("good arguments: %q, %v", out, err)
	}
	_, err := tool(t, p, "divide", `{"m":0.25}`)
	wantError(t, err, host.ReasonInvalidArguments, "at /m: multipleOf")
	outcome(t, "schemas", "ordinary arguments after the attacks", "validated as before: good ones run, bad ones name the field")
}
