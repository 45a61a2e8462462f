package pdk

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type base struct {
	ID string `json:"id"`
}

type node struct {
	Name     string  `json:"name"`
	Children []*node `json:"children,omitempty"`
}

type kitchen struct {
	base
	Count   int             `json:"count" jsonschema:"description=How many\\, at least one,minimum=1"`
	Ratio   float32         `json:"ratio,omitempty"`
	Size    uint8           `json:"size"`
	Mode    string          `json:"mode" jsonschema:"enum=fast,enum=slow"`
	Level   int             `json:"level" jsonschema:"enum=1,enum=2"`
	Tags    []string        `json:"tags"`
	Labels  map[string]int  `json:"labels,omitempty"`
	When    time.Time       `json:"when"`
	Raw     json.RawMessage `json:"raw"`
	Any     any             `json:"any"`
	Blob    []byte          `json:"blob"`
	Ptr     *bool           `json:"ptr,omitempty"`
	Tree    node            `json:"tree"`
	Skipped string          `json:"-"`
	hidden  int             //nolint:unused // unexported fields are not arguments
	NoTag   bool
	Long    string          `json:"long" jsonschema_description:"A description, with commas, that is long."`
	Nested  struct{ X int } `json:"nested"`
	Matrix  [][]float64     `json:"matrix"`
	Weird   map[int]string  `json:"weird"`
	Dash    string          `json:"-,"`
}

func TestSchemaOf(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(SchemaOf[kitchen](), &got); err != nil {
		t.Fatal(err)
	}
	obj := func(props map[string]any, required ...any) map[string]any {
		m := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			m["required"] = required
		}
		return m
	}
	str := map[string]any{"type": "string"}
	want := obj(map[string]any{
		"id":     str,
		"count":  map[string]any{"type": "integer", "description": "How many, at least one", "minimum": 1.0},
		"ratio":  map[string]any{"type": "number"},
		"size":   map[string]any{"type": "integer", "minimum": 0.0},
		"mode":   map[string]any{"type": "string", "enum": []any{"fast", "slow"}},
		"level":  map[string]any{"type": "integer", "enum": []any{1.0, 2.0}},
		"tags":   map[string]any{"type": "array", "items": str},
		"labels": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer"}},
		"when":   map[string]any{"type": "string", "format": "date-time"},
		"raw":    map[string]any{},
		"any":    map[string]any{},
		"blob":   map[string]any{"type": "string", "contentEncoding": "base64"},
		"ptr":    map[string]any{"type": "boolean"},
		"tree": obj(map[string]any{
			"name":     str,
			"children": map[string]any{"type": "array", "items": map[string]any{}},
		}, "name"),
		"NoTag":  map[string]any{"type": "boolean"},
		"long":   map[string]any{"type": "string", "description": "A description, with commas, that is long."},
		"nested": obj(map[string]any{"X": map[string]any{"type": "integer"}}, "X"),
		"matrix": map[string]any{"type": "array", "items": map[string]any{"type": "array", "items": map[string]any{"type": "number"}}},
		"weird":  map[string]any{"type": "object"},
		"-":      str,
	}, "id", "count", "size", "mode", "level", "tags", "when", "raw", "any", "blob", "tree", "NoTag", "long", "nested", "matrix", "weird", "-")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}
}

func TestSchemaKeepsFieldOrder(t *testing.T) {
	type args struct {
		Zeta  int `json:"zeta"`
		Alpha int `json:"alpha"`
	}
	want := `{"type":"object","properties":{"zeta":{"type":"integer"},"alpha":{"type":"integer"}},"required":["zeta","alpha"],"additionalProperties":false}`
	if got := string(SchemaOf[args]()); got != want {
		t.Errorf("SchemaOf = %s\nwant       %s", got, want)
	}
}
