package google

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genai"
)

func TestResponseSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   *genai.Schema
	}{
		{
			name:   "nullable by anyOf, described outside",
			schema: `{"type":"object","properties":{"nick":{"anyOf":[{"type":"string"},{"type":"null"}],"description":"optional"},"age":{"type":"integer","minimum":0,"maximum":150}}}`,
			want: &genai.Schema{Type: genai.TypeObject, PropertyOrdering: []string{"nick", "age"}, Properties: map[string]*genai.Schema{
				"nick": {Type: genai.TypeString, Nullable: genai.Ptr(true), Description: "optional"},
				"age":  {Type: genai.TypeInteger, Minimum: genai.Ptr(0.0), Maximum: genai.Ptr(150.0)},
			}},
		},
		{
			name:   "nullable by a list of types",
			schema: `{"type":["string","null"],"enum":["a","b"]}`,
			want:   &genai.Schema{Type: genai.TypeString, Nullable: genai.Ptr(true), Enum: []string{"a", "b"}},
		},
		{
			name:   "arrays, allOf around a $ref, a single property has no ordering",
			schema: `{"type":"object","properties":{"tags":{"type":"array","items":{"allOf":[{"$ref":"#/definitions/Tag"}]},"minItems":1}},"definitions":{"Tag":{"type":"string","format":"enum","enum":["x"]}}}`,
			want: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{
				"tags": {Type: genai.TypeArray, MinItems: genai.Ptr[int64](1), Items: &genai.Schema{Type: genai.TypeString, Format: "enum", Enum: []string{"x"}}},
			}},
		},
		{
			name:   "alternatives",
			schema: `{"anyOf":[{"type":"string"},{"type":"integer"}]}`,
			want:   &genai.Schema{AnyOf: []*genai.Schema{{Type: genai.TypeString}, {Type: genai.TypeInteger}}},
		},
	}
	for _, tt := range tests {
		got, js, err := responseSchema(json.RawMessage(tt.schema))
		if err != nil || js != nil {
			t.Errorf("%s: error %v, JSON Schema fallback %v", tt.name, err, js)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}

// TestSchemaFallback: what the dialect cannot say goes as JSON Schema,
// unchanged, rather than with its meaning changed.
func TestSchemaFallback(t *testing.T) {
	for name, schema := range map[string]string{
		"recursive $ref":   `{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}}}}`,
		"map":              `{"type":"object","additionalProperties":{"type":"integer"}}`,
		"tuple":            `{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}]}`,
		"numeric enum":     `{"type":"integer","enum":[1,2,3]}`,
		"two types":        `{"type":["string","integer"]}`,
		"remote $ref":      `{"$ref":"https://example.com/schema.json"}`,
		"allOf of several": `{"allOf":[{"type":"object"},{"required":["a"]}]}`,
	} {
		got, js, err := parametersSchema(json.RawMessage(schema))
		if err != nil || got != nil {
			t.Errorf("%s: schema %v, error %v; want the JSON Schema fallback", name, got, err)
			continue
		}
		if raw, ok := js.(json.RawMessage); !ok || string(raw) != schema {
			t.Errorf("%s: fallback %v, want the schema as written", name, js)
		}
	}
	if _, _, err := parametersSchema(json.RawMessage(`[1,2]`)); err == nil {
		t.Error("a schema that is not an object was accepted")
	}
}
