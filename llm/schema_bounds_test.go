package llm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const schemaBound = 30 * time.Second

// A model's structured answer is untrusted: against a legitimately
// recursive schema, a deep answer would make the validator apply it 2^depth
// times; a huge exponent would make big.Rat allocate gigabytes.
func TestHostileAnswerIsBounded(t *testing.T) {
	f, err := FormatFromSchema("tree", []byte(`{"$defs":{"n":{"type":"object","anyOf":[{"properties":{"x":{"$ref":"#/$defs/n"}}},{"properties":{"x":{"$ref":"#/$defs/n"}},"required":["y"]}],"properties":{"m":{"type":"number","multipleOf":0.5}}}},"$ref":"#/$defs/n"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ answer, want string }{
		{strings.Repeat(`{"x":`, 60) + "{}" + strings.Repeat("}", 60), "SchemaLimits.Work"},
		{`{"m":1e999999999}`, "SchemaLimits.NumberExponent"},
		{strings.Repeat("[", 3000) + strings.Repeat("]", 3000), "SchemaLimits.InstanceDepth"},
	} {
		start := time.Now()
		err := f.Validate([]byte(c.answer))
		if took := time.Since(start); took > schemaBound {
			t.Fatalf("Validate took %v", took)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Reason != ParseSchema || !strings.Contains(pe.Message, c.want) {
			t.Fatalf("Validate(%.40s): %v, want a ParseError naming %q", c.answer, err, c.want)
		}
	}
	if err := f.Validate([]byte(`{"x":{"x":{}},"m":1.5}`)); err != nil {
		t.Fatalf("a good answer: %v", err)
	}
}

func TestSchemaFileRefIsNotLoaded(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type":"string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"file://" + secret, secret, "https://example.com/s.json"} {
		_, err := FormatFromSchema("x", []byte(`{"properties":{"a":{"$ref":"`+ref+`"}}}`))
		if err == nil || !strings.Contains(err.Error(), "outside itself") {
			t.Fatalf("$ref %s: %v, want it refused", ref, err)
		}
	}
}

func TestSchemaBombRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"$ref":"#/$defs/d0","$defs":{`)
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]},`, i, i+1, i+1)
	}
	b.WriteString(`"d40":{}}}`)
	_, err := FormatFromSchema("bomb", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "SchemaLimits.ExpandedSubschemas") {
		t.Fatalf("%v, want the expansion refused", err)
	}
}

func TestCompiledCacheIsBounded(t *testing.T) {
	for i := 0; i < 3*maxCompiled; i++ {
		if _, err := validatorFor([]byte(fmt.Sprintf(`{"maxLength":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := compiled.len(); n > maxCompiled {
		t.Fatalf("%d compiled schemas cached, want at most %d", n, maxCompiled)
	}
}
