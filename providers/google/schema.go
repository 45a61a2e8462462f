package google

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genai"

	"github.com/llmhost/llmhost/providers/internal/orderedjson"
)

// Gemini takes schemas in two forms: its own dialect (genai.Schema: an
// OpenAPI subset with types in capitals, no $ref, no additionalProperties)
// and, in newer fields, JSON Schema as is. The dialect is what Gemini has
// supported longest and what Google's own SDKs send, so schemas are
// converted to it; one the dialect cannot hold goes as JSON Schema instead,
// rather than being sent with a meaning changed.

// errUnsupported says that a schema cannot be expressed in Gemini's
// dialect.
var errUnsupported = errors.New("not expressible in Gemini's schema dialect")

// responseSchema converts a structured-output schema. Property order is
// kept as propertyOrdering, which makes Gemini write the fields in the
// schema's order, as a reader of the JSON expects them.
func responseSchema(raw json.RawMessage) (*genai.Schema, any, error) {
	return convertSchema(raw, true)
}

// parametersSchema converts a tool's parameters.
func parametersSchema(raw json.RawMessage) (*genai.Schema, any, error) {
	return convertSchema(raw, false)
}

// convertSchema returns the schema in Gemini's dialect, or, when it cannot
// be, the JSON Schema to send instead. An error means raw is not a JSON
// object at all.
func convertSchema(raw json.RawMessage, ordering bool) (*genai.Schema, any, error) {
	v, err := orderedjson.Decode(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("the schema is not JSON: %w", err)
	}
	root, ok := v.(*orderedjson.Object)
	if !ok {
		return nil, nil, errors.New("the schema is not a JSON object")
	}
	c := &converter{root: root, ordering: ordering, inlining: map[string]bool{}}
	s, err := c.schema(root)
	if errors.Is(err, errUnsupported) {
		return nil, json.RawMessage(bytes.Clone(raw)), nil
	}
	if err != nil {
		return nil, nil, err
	}
	return s, nil, nil
}

// converter turns JSON Schema into Gemini's dialect, inlining $refs.
type converter struct {
	root     *orderedjson.Object
	ordering bool
	inlining map[string]bool // $refs being inlined, to stop at recursion
}

var geminiTypes = map[string]genai.Type{
	"string": genai.TypeString, "number": genai.TypeNumber, "integer": genai.TypeInteger,
	"boolean": genai.TypeBoolean, "array": genai.TypeArray, "object": genai.TypeObject, "null": genai.TypeNULL,
}

func (c *converter) schema(o *orderedjson.Object) (*genai.Schema, error) {
	if ref, ok := o.Vals["$ref"].(string); ok {
		return c.ref(o, ref)
	}
	s := &genai.Schema{}
	for _, k := range o.Keys {
		v := o.Vals[k]
		var err error
		switch k {
		case "type":
			err = c.setType(s, v)
		case "title":
			s.Title, _ = v.(string)
		case "description":
			s.Description, _ = v.(string)
		case "format":
			s.Format, _ = v.(string)
		case "pattern":
			s.Pattern, _ = v.(string)
		case "default":
			s.Default = plain(v)
		case "example":
			s.Example = plain(v)
		case "enum":
			err = c.setEnum(s, v)
		case "const":
			err = c.setEnum(s, []any{v})
		case "properties":
			err = c.setProperties(s, v)
		case "required":
			s.Required = stringList(v)
		case "items":
			item, ok := v.(*orderedjson.Object)
			if !ok {
				return nil, fmt.Errorf("tuple items: %w", errUnsupported)
			}
			s.Items, err = c.schema(item)
		case "prefixItems":
			return nil, fmt.Errorf("prefixItems: %w", errUnsupported)
		case "anyOf", "oneOf":
			err = c.setAnyOf(s, v)
		case "allOf":
			err = c.setAllOf(s, v)
		case "additionalProperties":
			// Objects in Gemini's dialect are closed, which false says too.
			// A map (a schema for any key, no fixed properties) has no
			// counterpart.
			if extra, ok := v.(*orderedjson.Object); ok && len(extra.Keys) > 0 && o.Vals["properties"] == nil {
				return nil, fmt.Errorf("additionalProperties: %w", errUnsupported)
			}
		case "minimum":
			s.Minimum = float(v)
		case "maximum":
			s.Maximum = float(v)
		case "minItems":
			s.MinItems = integer(v)
		case "maxItems":
			s.MaxItems = integer(v)
		case "minLength":
			s.MinLength = integer(v)
		case "maxLength":
			s.MaxLength = integer(v)
		case "minProperties":
			s.MinProperties = integer(v)
		case "maxProperties":
			s.MaxProperties = integer(v)
		}
		// Everything else ($defs, $schema, $id, $comment, examples,
		// exclusive bounds ...) has no place in the dialect; the engine
		// still validates answers against the whole schema.
		if err != nil {
			return nil, err
		}
	}
	if s.Type == "" {
		switch {
		case s.Properties != nil:
			s.Type = genai.TypeObject
		case s.Items != nil:
			s.Type = genai.TypeArray
		case len(s.Enum) > 0:
			s.Type = genai.TypeString
		}
	}
	return s, nil
}

// ref inlines a local reference ("#/$defs/Author"); the keys beside the
// $ref (a description, say) apply on top of the definition.
func (c *converter) ref(o *orderedjson.Object, ref string) (*genai.Schema, error) {
	if c.inlining[ref] {
		return nil, fmt.Errorf("recursive $ref %s: %w", ref, errUnsupported)
	}
	target, err := c.resolve(ref)
	if err != nil {
		return nil, err
	}
	merged := orderedjson.New()
	for _, k := range target.Keys {
		merged.Set(k, target.Vals[k])
	}
	for _, k := range o.Keys {
		if k != "$ref" {
			merged.Set(k, o.Vals[k])
		}
	}
	c.inlining[ref] = true
	defer delete(c.inlining, ref)
	return c.schema(merged)
}

// resolve follows a JSON pointer within the schema document.
func (c *converter) resolve(ref string) (*orderedjson.Object, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("$ref %s is not local: %w", ref, errUnsupported)
	}
	var cur any = c.root
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		o, ok := cur.(*orderedjson.Object)
		if !ok {
			return nil, fmt.Errorf("$ref %s does not resolve: %w", ref, errUnsupported)
		}
		cur = o.Vals[tok]
	}
	o, ok := cur.(*orderedjson.Object)
	if !ok {
		return nil, fmt.Errorf("$ref %s does not resolve to a schema: %w", ref, errUnsupported)
	}
	return o, nil
}

// setType takes "type" as a name or a list of names; "null" among them
// makes the schema nullable.
func (c *converter) setType(s *genai.Schema, v any) error {
	var names []string
	switch v := v.(type) {
	case string:
		names = []string{v}
	case []any:
		names = stringList(v)
	}
	for _, n := range names {
		t, ok := geminiTypes[n]
		switch {
		case !ok:
			return fmt.Errorf("type %q: %w", n, errUnsupported)
		case t == genai.TypeNULL && len(names) > 1:
			s.Nullable = genai.Ptr(true)
		case s.Type != "":
			return fmt.Errorf("several types %v: %w", names, errUnsupported)
		default:
			s.Type = t
		}
	}
	return nil
}

// setEnum takes string enumerations, the only kind the dialect has.
func (c *converter) setEnum(s *genai.Schema, v any) error {
	vals, _ := v.([]any)
	for _, e := range vals {
		str, ok := e.(string)
		if !ok {
			return fmt.Errorf("enum value %v: %w", e, errUnsupported)
		}
		s.Enum = append(s.Enum, str)
	}
	return nil
}

func (c *converter) setProperties(s *genai.Schema, v any) error {
	props, ok := v.(*orderedjson.Object)
	if !ok {
		return nil
	}
	s.Properties = make(map[string]*genai.Schema, len(props.Keys))
	for _, name := range props.Keys {
		p, ok := props.Vals[name].(*orderedjson.Object)
		if !ok {
			return fmt.Errorf("property %s: %w", name, errUnsupported)
		}
		ps, err := c.schema(p)
		if err != nil {
			return err
		}
		s.Properties[name] = ps
	}
	if c.ordering && len(props.Keys) > 1 {
		s.PropertyOrdering = append([]string(nil), props.Keys...)
	}
	return nil
}

// setAnyOf handles the common "X or null" as a nullable X, and keeps other
// alternatives as anyOf.
func (c *converter) setAnyOf(s *genai.Schema, v any) error {
	alts, _ := v.([]any)
	var kept []*orderedjson.Object
	nullable := false
	for _, a := range alts {
		o, ok := a.(*orderedjson.Object)
		if !ok {
			return fmt.Errorf("anyOf: %w", errUnsupported)
		}
		if t, _ := o.Vals["type"].(string); t == "null" && len(o.Keys) == 1 {
			nullable = true
			continue
		}
		kept = append(kept, o)
	}
	if nullable {
		s.Nullable = genai.Ptr(true)
	}
	if len(kept) == 1 {
		inner, err := c.schema(kept[0])
		if err != nil {
			return err
		}
		mergeInto(s, inner)
		return nil
	}
	for _, o := range kept {
		alt, err := c.schema(o)
		if err != nil {
			return err
		}
		s.AnyOf = append(s.AnyOf, alt)
	}
	return nil
}

// setAllOf handles a single-element allOf (how generators attach a
// description to a $ref); a real intersection has no counterpart.
func (c *converter) setAllOf(s *genai.Schema, v any) error {
	alts, _ := v.([]any)
	if len(alts) != 1 {
		return fmt.Errorf("allOf of %d schemas: %w", len(alts), errUnsupported)
	}
	o, ok := alts[0].(*orderedjson.Object)
	if !ok {
		return fmt.Errorf("allOf: %w", errUnsupported)
	}
	inner, err := c.schema(o)
	if err != nil {
		return err
	}
	mergeInto(s, inner)
	return nil
}

// mergeInto copies into s what inner says and s does not, so the outer
// schema's own title or description win.
func mergeInto(s, inner *genai.Schema) {
	nullable := s.Nullable
	title, desc := s.Title, s.Description
	*s = *inner
	if title != "" {
		s.Title = title
	}
	if desc != "" {
		s.Description = desc
	}
	if nullable != nil {
		s.Nullable = nullable
	}
}

// plain turns a decoded value back into ordinary Go values for the SDK.
func plain(v any) any {
	switch v := v.(type) {
	case *orderedjson.Object:
		m := make(map[string]any, len(v.Keys))
		for _, k := range v.Keys {
			m[k] = plain(v.Vals[k])
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// stringList returns the strings of a JSON array.
func stringList(v any) []string {
	var out []string
	if vals, ok := v.([]any); ok {
		for _, e := range vals {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// float returns a JSON number, or nil for anything else.
func float(v any) *float64 {
	n, ok := v.(json.Number)
	if !ok {
		return nil
	}
	f, err := n.Float64()
	if err != nil {
		return nil
	}
	return &f
}

// integer returns a JSON number as a count, or nil for anything else.
func integer(v any) *int64 {
	f := float(v)
	if f == nil {
		return nil
	}
	n := int64(*f)
	return &n
}
