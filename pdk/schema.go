package pdk

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// SchemaOf returns the JSON Schema of T, as Tool reflects a tool's argument
// type:
//
//   - a struct is an object of its exported fields, named by their json
//     tags (fields tagged "-" are left out, embedded structs are flattened);
//     a field is required unless tagged omitempty; no other properties are
//     allowed;
//   - bool, integers, floats and strings map to boolean, integer, number and
//     string; slices and arrays to array; maps with string keys to object;
//     time.Time to a date-time string; interfaces and json.RawMessage to
//     any value;
//   - a field's `jsonschema` tag adds keywords, in invopop/jsonschema's
//     syntax: `jsonschema:"description=The dividend,minimum=0,enum=a,enum=b"`
//     (escape a comma in a description as \,), or a long description in a
//     separate `jsonschema_description:"..."` tag.
//
// The schema is inline (no $ref), which every provider accepts. This is a
// deliberately small generator: a reflection library would add megabytes to
// every plugin, and a plugin's size is what its cold start costs.
func SchemaOf[T any]() json.RawMessage {
	b, err := json.Marshal(schemaOf(reflect.TypeFor[T](), map[reflect.Type]bool{}))
	if err != nil {
		panic("pdk: schema: " + err.Error())
	}
	return b
}

// object is a JSON object that keeps its keys in insertion order, so that
// properties appear in field order.
type object []field

type field struct {
	key string
	val any
}

func (o object) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, f.key)
		b = append(b, ':')
		v, err := json.Marshal(f.val)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func schemaOf(t reflect.Type, visiting map[reflect.Type]bool) object {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return object{{"type", "string"}, {"format", "date-time"}}
	case t == rawType:
		return object{}
	}
	switch t.Kind() {
	case reflect.Bool:
		return object{{"type", "boolean"}}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return object{{"type", "integer"}}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return object{{"type", "integer"}, {"minimum", 0}}
	case reflect.Float32, reflect.Float64:
		return object{{"type", "number"}}
	case reflect.String:
		return object{{"type", "string"}}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return object{{"type", "string"}, {"contentEncoding", "base64"}}
		}
		return object{{"type", "array"}, {"items", schemaOf(t.Elem(), visiting)}}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return object{{"type", "object"}}
		}
		return object{{"type", "object"}, {"additionalProperties", schemaOf(t.Elem(), visiting)}}
	case reflect.Struct:
		if visiting[t] {
			return object{} // a recursive type: any value at the second level
		}
		visiting[t] = true
		defer delete(visiting, t)
		props, required := object{}, []string{}
		addFields(t, visiting, &props, &required)
		s := object{{"type", "object"}, {"properties", props}}
		if len(required) > 0 {
			s = append(s, field{"required", required})
		}
		return append(s, field{"additionalProperties", false})
	}
	return object{} // interfaces, funcs, channels: anything
}

func addFields(t reflect.Type, visiting map[reflect.Type]bool, props *object, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, visiting, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := schemaOf(f.Type, visiting)
		s = applyTags(s, f.Tag)
		*props = append(*props, field{name, s})
		if !strings.Contains(","+opts+",", ",omitempty,") && !strings.Contains(","+opts+",", ",omitzero,") {
			*required = append(*required, name)
		}
	}
}

// applyTags adds the keywords of a field's jsonschema tags.
func applyTags(s object, tag reflect.StructTag) object {
	var enum []any
	for _, kv := range splitUnescaped(tag.Get("jsonschema")) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "description", "title", "format", "pattern":
			s = append(s, field{k, v})
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems":
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				s = set(s, k, n)
			}
		case "enum":
			if isNumeric(s) {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					enum = append(enum, n)
					continue
				}
			}
			enum = append(enum, v)
		}
	}
	if d := tag.Get("jsonschema_description"); d != "" {
		s = set(s, "description", d)
	}
	if enum != nil {
		s = append(s, field{"enum", enum})
	}
	return s
}

func set(s object, key string, v any) object {
	for i := range s {
		if s[i].key == key {
			s[i].val = v
			return s
		}
	}
	return append(s, field{key, v})
}

func isNumeric(s object) bool {
	for _, f := range s {
		if f.key == "type" {
			return f.val == "integer" || f.val == "number"
		}
	}
	return false
}

// splitUnescaped splits a tag value on commas, honouring \, as a comma.
func splitUnescaped(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ',':
			cur.WriteByte(',')
			i++
		case s[i] == ',':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}
