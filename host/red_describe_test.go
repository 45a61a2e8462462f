package host_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// describeWAT is a native guest whose describe replies with desc.
func describeWAT(t *testing.T, desc string) []byte {
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(desc)
	return wasmtest.WAT(t, fmt.Sprintf(`(module
  (memory (export "memory") %d)
  (data (i32.const 65536) "%s")
  (func (export "llmhost_abi_v1"))
  (func (export "llmhost_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "describe") (param i32 i32) (result i64) (i64.const %d)))`,
		(65536+len(desc))/65536+1, esc, uint64(len(desc))<<32|65536))
}

// manyTools is a describe reply declaring n tools, each with params.
func manyTools(n int, params string) string {
	var b strings.Builder
	b.WriteString(`{"abi":"llmhost/1","name":"many","tools":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"t%d","parameters":%s}`, i, params)
	}
	b.WriteString(`]}`)
	return b.String()
}

// A describe reply within the output cap can still declare enough tools
// to cost the host without bound: 70,000 small tools in 7.6 MB took 5 s,
// 2 GB of allocation and 520 MB of heap kept for the plugin's life. Load
// refuses it before compiling a schema, naming the limit and its Option,
// within a small heap budget; raised limits admit it.
func TestRedDescribeFloodRefusedAtLoad(t *testing.T) {
	small := `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}`
	var props []string
	for i := range 40 {
		props = append(props, fmt.Sprintf(`"p%d":{"type":"string"}`, i))
	}
	wide := `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
	for _, c := range []struct {
		name, desc, limit string
	}{
		{"70,000 tools in 7.6 MB", manyTools(70000, small), "Tools"},
		{"1,000 tools of 42 schema objects each", manyTools(1000, wide), "Subschemas"},
	} {
		t.Run(c.limit, func(t *testing.T) {
			wasm := describeWAT(t, c.desc)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := host.LoadBytes(context.Background(), wasm, host.WithoutCache())
			runtime.ReadMemStats(&after)
			var le *host.DescribeLimitError
			if !errors.As(err, &le) || le.Limit != c.limit {
				t.Fatalf("Load: %v, want a DescribeLimitError on %s", err, c.limit)
			}
			if !strings.Contains(err.Error(), "WithDescribeLimits") {
				t.Errorf("error %q does not name the Option", err)
			}
			// The module's memory and the reply's copies are some tens
			// of MB; compiling the schemas would be hundreds.
			if got := after.TotalAlloc - before.TotalAlloc; got > 150<<20 {
				t.Errorf("the refused Load allocated %d MB", got>>20)
			}
			refused(t, "loading", "describe declaring "+c.name, err)
		})
	}
	// The limits are the host's to raise.
	p := loadBytes(t, describeWAT(t, manyTools(1001, `{"type":"object"}`)), host.WithoutCache(),
		host.WithDescribeLimits(host.DescribeLimits{Tools: 2000}))
	if n := len(p.Info().Tools); n != 1001 {
		t.Errorf("raised limit: %d tools", n)
	}
}
