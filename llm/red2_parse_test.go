package llm_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/llm"
)

// TestRetryMessageIsBounded: a model answers with JSON whose violations
// quote the answer: a 4 MiB property name where none is allowed, 50,000
// such names, a 4 MiB key nested where a number belongs. The retry message
// still names each field and rule, and stays a few KiB: before, the model
// was sent its 4 MiB key back (1.2 MiB for the 50,000 names) on every
// parse retry.
func TestRetryMessageIsBounded(t *testing.T) {
	f, err := llm.FormatFromSchema("person", []byte(`{"type":"object",
		"properties":{"name":{"type":"string"},"age":{"type":"integer"},"extra":{"type":"object","additionalProperties":{"type":"integer"}}},
		"required":["name","age"],"additionalProperties":false}`))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 4<<20)
	keys := map[string]int{"name": 0, "age": 1}
	for i := range 50000 {
		keys[fmt.Sprintf("key_%06d", i)] = i
	}
	many, _ := json.Marshal(keys)
	for name, c := range map[string]struct{ answer, field, rule string }{
		"huge key":  {`{"name":"a","age":1,"` + big + `":1}`, "(root)", "additionalProperties"},
		"many keys": {string(many), "(root)", "additionalProperties"},
		"deep key":  {`{"name":"a","age":1,"extra":{"` + big + `":"not a number"}}`, "/extra/xxxx", "type"},
	} {
		var pe *llm.ParseError
		if err := f.Validate(json.RawMessage(c.answer)); !errors.As(err, &pe) {
			t.Fatalf("%s: got %v, want a *ParseError", name, err)
		}
		m := pe.RetryMessage()
		if len(m) > 16<<10 || len(pe.Error()) > 16<<10 {
			t.Errorf("%s: retry message %d bytes, error %d bytes: the answer is echoed back", name, len(m), len(pe.Error()))
		}
		if !strings.Contains(m, c.field) || !strings.Contains(m, `rule "`+c.rule+`"`) {
			t.Errorf("%s: retry message %.300q does not name field %s and rule %s", name, m, c.field, c.rule)
		}
	}
}
