package schema_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/abi"
)

// A hostile guest's reply is judged by the Go types (the host decodes it
// with them), and guest authors judge theirs by the schemas: the two must
// give the same verdict. They did not: delay_ms 1e300 or 2^63 passed the
// schema and failed the decoder, 2000.0 was refused by the decoder though
// it is an integer, a retry with "model": "" failed the schema only, and
// tool parameters of 3 or [] passed Validate.

// goDecision is the host's verdict on a decide reply.
func goDecision(b []byte) bool {
	var d abi.Decision
	return json.Unmarshal(b, &d) == nil && d.Validate() == nil
}

// goDescribe is the host's verdict on a native guest's describe reply.
func goDescribe(b []byte) bool {
	var d abi.Describe
	return json.Unmarshal(b, &d) == nil && d.Validate() == nil
}

func TestRedDecisionAgreesWithSchema(t *testing.T) {
	s := compile(t, "decision.json")
	for _, in := range []string{
		`{"action":"retry","delay_ms":1e300}`, `{"action":"retry","delay_ms":1.0}`, `{"action":"retry","delay_ms":1.5}`,
		`{"action":"retry","delay_ms":9223372036854775807}`, `{"action":"retry","delay_ms":9223372036854775808}`,
		`{"action":"retry","delay_ms":-9223372036854775809}`, `{"action":"retry","delay_ms":null}`,
		`{"action":"retry","model":""}`, `{"action":"retry","model":null}`, `{"action":"retry","delay_ms":-0}`,
		`{"action":"retry","delay_ms":"NaN"}`, `{"action":"retry","delay_ms":"5"}`, `{"action":"retry","delay_ms":-1}`,
		`{"action":"fallback","model":""}`, `{"action":"fallback","model":null}`, `{"action":"fallback","model":"m"}`,
		`{"action":"retry"}`, `{"action":null}`, `{"action":"retry","delay_ms":2e3}`, `{"action":"retry","delay_ms":-1e-400}`,
		`{"action":"retry","delay_ms":1e-400}`, `{"action":"retry","delay_ms":0e5}`, `{"action":"retry","delay_ms":1E2}`,
		`{"action":"retry","delay_ms":true}`, `{"action":"retry","delay_ms":[1]}`, `{"action":"fail","extra":{"x":1}}`,
		`{"action":"RETRY"}`, `[]`, `null`,
	} {
		if g, sv := goDecision([]byte(in)), validate(s, in) == nil; g != sv {
			t.Errorf("decision %s: the host says %v, decision.json says %v", in, g, sv)
		}
	}
	// What the host reads is what the guest meant.
	var d abi.Decision
	if err := json.Unmarshal([]byte(`{"action":"retry","delay_ms":2e3}`), &d); err != nil || d.DelayMS != 2000 {
		t.Errorf("2e3 = %d, %v", d.DelayMS, err)
	}
	err := json.Unmarshal([]byte(`{"action":"retry","delay_ms":1e300}`), &d)
	if err == nil || !strings.Contains(err.Error(), "delay_ms") || !strings.Contains(err.Error(), "range") {
		t.Errorf("1e300: %v, want an error naming delay_ms and its range", err)
	}
}

func TestRedDescribeAgreesWithSchema(t *testing.T) {
	s := compile(t, "describe.json")
	for _, in := range []string{
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","parameters":null}]}`,
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","parameters":[]}]}`,
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","parameters":3}]}`,
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","parameters":"{}"}]}`,
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","parameters":true}]}`,
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","inputSchema":3}]}`,
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","parameters":{},"inputSchema":3}]}`,
		`{"abi":"llmhost/1","name":"x","tools":null,"parsers":null,"retry":null,"version":null}`,
		`{"abi":"llmhost/1","name":"x","parsers":[null]}`, `{"abi":"llmhost/1","name":"x","tools":[null]}`,
		`{"abi":"llmhost/1","name":null}`, `{"abi":"llmhost/1","name":""}`, `{"abi":"llmhost/1","name":"x","version":3}`,
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a","description":3}]}`,
		`{"abi":"llmhost/1","name":"x","parsers":[{"name":"a","description":null}]}`,
		`{"abi":"llmhost/1","name":"x","parsers":[""]}`, `{"abi":"llmhost/1","name":"x","retry":"yes"}`,
	} {
		if g, sv := goDescribe([]byte(in)), validate(s, in) == nil; g != sv {
			t.Errorf("describe %s: the host says %v, describe.json says %v", in, g, sv)
		}
	}
	// Unique names are beyond JSON Schema: the schema says so in words,
	// and the host refuses duplicates.
	for _, in := range []string{
		`{"abi":"llmhost/1","name":"x","tools":[{"name":"a"},{"name":"a"}]}`,
		`{"abi":"llmhost/1","name":"x","parsers":["a",{"name":"a"}]}`,
	} {
		if goDescribe([]byte(in)) {
			t.Errorf("the host accepts duplicate names: %s", in)
		}
	}
}

// FuzzDecisionAgreesWithSchema: for any JSON object as a decide reply, the
// host and decision.json agree.
func FuzzDecisionAgreesWithSchema(f *testing.F) {
	for _, seed := range []string{`{"action":"retry","delay_ms":1e300}`, `{"action":"fallback","model":"m","delay_ms":0.5e1}`,
		`{"action":"fail","delay_ms":-0.0}`, `{"action":"retry","delay_ms":123456789012345678901234567890e-20}`} {
		f.Add([]byte(seed))
	}
	s := compile(f, "decision.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) || len(b) > 4096 || bytes.Contains(b, []byte(`\u`)) {
			return
		}
		if g, sv := goDecision(b), validate(s, string(b)) == nil; g != sv {
			t.Errorf("decision %s: the host says %v, decision.json says %v", b, g, sv)
		}
	})
}
