package schemaguard_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/schemaguard"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// bound is the generous bound every refusal must come within; it is the
// failure, not a measurement.
const bound = 30 * time.Second

// refDAG is a schema of n definitions, each using the next one twice: its
// expansion through $ref has 2^n nodes in n objects.
func refDAG(n int, kw string) string {
	var b strings.Builder
	b.WriteString(`{"$ref":"#/$defs/d0","$defs":{`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `"d%d":{"%s":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]},`, i, kw, i+1, i+1)
	}
	fmt.Fprintf(&b, `"d%d":{"type":"string"}}}`, n)
	return b.String()
}

func nested(n int) string { return strings.Repeat(`{"items":`, n) + "{}" + strings.Repeat("}", n) }

func properties(n int) string {
	var b strings.Builder
	b.WriteString(`{"properties":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"p%d":{"type":"string"}`, i)
	}
	b.WriteString("}}")
	return b.String()
}

func wantLimit(t *testing.T, err error, field string) {
	t.Helper()
	var le *schemaguard.LimitError
	if !errors.As(err, &le) || le.Field != field {
		t.Fatalf("err = %v, want a *LimitError on %s", err, field)
	}
	if !strings.Contains(err.Error(), "over the limit of") || !strings.Contains(err.Error(), field) {
		t.Fatalf("error %q does not name the limit and its field", err)
	}
}

// timed runs f, failing when it takes more than bound, and logs its time
// and allocation for the report.
func timed(t *testing.T, what string, f func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	t.Logf("%s: %v, %d MiB allocated", what, d.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
	if d > bound {
		t.Fatalf("%s took %v, over %v", what, d, bound)
	}
}

func TestDocumentLimits(t *testing.T) {
	cases := []struct {
		name, doc, field string
	}{
		{"2,000 levels", nested(2000), "SchemaDepth"},
		{"60,000 properties", properties(60000), "SchemaBytes"},
		{"3,000 properties", properties(3000), "Subschemas"},
		{"huge exponent", `{"minimum":1e999999999}`, "NumberExponent"},
		{"tiny exponent", `{"multipleOf":1e-999999999}`, "NumberExponent"},
		{"long literal", `{"const":` + strings.Repeat("9", 200) + `}`, "NumberLength"},
		{"bytes", `{"description":"` + strings.Repeat("x", 600<<10) + `"}`, "SchemaBytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			timed(t, c.name, func() { _, err = schemaguard.Compile([]byte(c.doc), schemaguard.Limits{}) })
			wantLimit(t, err, c.field)
		})
	}
}

func TestExpansionBomb(t *testing.T) {
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		doc := refDAG(40, kw)
		var err error
		timed(t, kw+" DAG of 40", func() { _, err = schemaguard.Compile([]byte(doc), schemaguard.Limits{}) })
		wantLimit(t, err, "ExpandedSubschemas")
	}
	// Under the static limit, the work bound holds: 2^13 applications per
	// string, times 100 strings.
	s, err := schemaguard.Compile([]byte(strings.Replace(refDAG(13, "anyOf"), `{"$ref":"#/$defs/d0",`, `{"items":{"$ref":"#/$defs/d0"},`, 1)), schemaguard.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	inst := "[" + strings.TrimSuffix(strings.Repeat("1,", 100), ",") + "]"
	timed(t, "validate 100 numbers against 2^13", func() { err = s.Validate([]byte(inst)) })
	wantLimit(t, err, "Work")
}

// TestRecursionPerLevel: a recursive schema whose every level applies itself
// twice (2^depth applications) passes the static check, as recursion
// consumes the value; the work bound refuses the deep instance.
func TestRecursionPerLevel(t *testing.T) {
	doc := `{"$defs":{"n":{"anyOf":[{"properties":{"x":{"$ref":"#/$defs/n"}}},{"properties":{"x":{"$ref":"#/$defs/n"}},"required":["y"]}]}},"$ref":"#/$defs/n"}`
	s, err := schemaguard.Compile([]byte(doc), schemaguard.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	small := strings.Repeat(`{"x":`, 5) + "1" + strings.Repeat("}", 5)
	if err := s.Validate([]byte(small)); err != nil {
		t.Fatalf("small instance: %v", err)
	}
	deep := strings.Repeat(`{"x":`, 60) + "1" + strings.Repeat("}", 60)
	timed(t, "validate 2^60", func() { err = s.Validate([]byte(deep)) })
	wantLimit(t, err, "Work")
}

func TestInstanceLimits(t *testing.T) {
	s, err := schemaguard.Compile([]byte(`{"type":"object","properties":{"n":{"minimum":0,"multipleOf":0.5}},"additionalProperties":{"type":"array"}}`), schemaguard.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, inst, field string }{
		{"exponent", `{"n":1e999999999}`, "NumberExponent"},
		{"negative exponent", `{"n":1e-999999999}`, "NumberExponent"},
		{"literal", `{"n":` + strings.Repeat("7", 1000) + `}`, "NumberLength"},
		{"depth", `{"a":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, "InstanceDepth"},
		{"bytes", `{"a":["` + strings.Repeat("x", 9<<20) + `"]}`, "InstanceBytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			timed(t, c.name, func() { err = s.Validate([]byte(c.inst)) })
			wantLimit(t, err, c.field)
		})
	}
	if err := s.Validate([]byte(`{"n":2.5,"a":[1]}`)); err != nil {
		t.Fatalf("a good instance: %v", err)
	}
	var ve *jsonschema.ValidationError
	if err := s.Validate([]byte(`{"n":2.25}`)); !errors.As(err, &ve) {
		t.Fatalf("a bad instance: %v, want a *ValidationError", err)
	}
	var se *schemaguard.SyntaxError
	if err := s.Validate([]byte(`{"n":`)); !errors.As(err, &se) {
		t.Fatalf("broken JSON: %v, want a *SyntaxError", err)
	}
}

func TestReferencesStayInside(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type":"string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"file://" + secret, secret, "http://127.0.0.1:1/s.json", "https://example.com/s.json", "other.json", "urn:x:y"} {
		_, err := schemaguard.Compile([]byte(`{"properties":{"a":{"$ref":"`+ref+`"}}}`), schemaguard.Limits{})
		var re *schemaguard.RefError
		if !errors.As(err, &re) || re.Cycle || !strings.Contains(err.Error(), "outside itself") {
			t.Fatalf("$ref %s: err = %v, want a *RefError", ref, err)
		}
		t.Logf("$ref %s: %v", ref, err)
	}
	// Inside the document, and an embedded resource, resolve.
	if _, err := schemaguard.Compile([]byte(`{"$defs":{"a":{"$id":"http://x/a.json","type":"string"}},"properties":{"a":{"$ref":"#/$defs/a"},"b":{"$ref":"http://x/a.json"}}}`), schemaguard.Limits{}); err != nil {
		t.Fatal(err)
	}
}

func TestLocalCycleRefused(t *testing.T) {
	_, err := schemaguard.Compile([]byte(`{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/b"}]},"b":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}`), schemaguard.Limits{})
	var re *schemaguard.RefError
	if !errors.As(err, &re) || !re.Cycle {
		t.Fatalf("err = %v, want a cycle *RefError", err)
	}
	// Recursion through properties is legitimate.
	s, err := schemaguard.Compile([]byte(`{"$defs":{"t":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/t"}}}}},"$ref":"#/$defs/t"}`), schemaguard.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]byte(`{"kids":[{"kids":[]},{"kids":[{}]}]}`)); err != nil {
		t.Fatal(err)
	}
}

// TestAtTheLimits measures the worst accepted inputs, for the report.
func TestAtTheLimits(t *testing.T) {
	var s *schemaguard.Schema
	var err error
	timed(t, "compile 2,000 properties", func() { s, err = schemaguard.Compile([]byte(properties(2000)), schemaguard.Limits{}) })
	if err != nil {
		t.Fatal(err)
	}
	timed(t, "compile 60 levels", func() { _, err = schemaguard.Compile([]byte(nested(30)), schemaguard.Limits{}) })
	if err != nil {
		t.Fatal(err)
	}
	// A wide anyOf of failing branches over many items, just under Work.
	any := `{"items":{"anyOf":[` + strings.TrimSuffix(strings.Repeat(`{"type":"string","minLength":3},`, 30), ",") + `]}}`
	s, err = schemaguard.Compile([]byte(any), schemaguard.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	inst := "[" + strings.TrimSuffix(strings.Repeat("1,", 8000), ",") + "]"
	w, err := s.Work([]byte(inst))
	t.Logf("work of 8,000 items x 31 subschemas: %d (%v)", w, err)
	timed(t, "validate near the work limit", func() { err = s.Validate([]byte(inst)) })
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want violations", err)
	}
}
