package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// strictSchema adapts a JSON Schema to OpenAI's strict mode, which refuses a
// schema unless every object says "additionalProperties": false and lists
// all its properties as required. Every object schema, wherever it sits
// (properties, items, $defs, anyOf, ...), gets:
//
//   - "additionalProperties": false, unless it says something itself: an
//     explicit true or a schema is left for OpenAI to refuse with a message
//     that names it, because quietly closing a map type would change what
//     the answer may hold;
//   - "required" listing every property, in the order of "properties".
//
// Requiring an optional property is the one change of meaning: the model
// must then always write it. Making it nullable instead, as OpenAI's guide
// suggests, would let the model answer null where the caller's schema
// (against which the engine validates the answer) allows no null.
//
// Key order is kept, which is why this works on an ordered document and not
// on a map: in strict mode the model writes its answer's keys in the order
// of the schema.
func strictSchema(schema []byte) ([]byte, error) {
	doc, err := decodeOrdered(schema)
	if err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON: %w", err)
	}
	return json.Marshal(strictify(doc))
}

// strictify adapts the schema v and every schema below it.
func strictify(v any) any {
	obj, ok := v.(object)
	if !ok {
		return v
	}
	for i, m := range obj {
		obj[i].val = strictifyKeyword(m.key, m.val)
	}
	if !obj.isObjectType() {
		return obj
	}
	if _, has := obj.get("additionalProperties"); !has {
		obj = append(obj, member{"additionalProperties", false})
	}
	if props, ok := obj.lookup("properties").(object); ok {
		names := make([]any, len(props))
		for i, p := range props {
			names[i] = p.key
		}
		obj = obj.set("required", names)
	}
	return obj
}

// strictifyKeyword adapts the subschemas held by one keyword of a schema.
// Only keywords whose values are schemas are entered: an "enum" or a
// "default" holding an object with a "type" key is data, not a schema.
func strictifyKeyword(key string, v any) any {
	switch key {
	case "items", "additionalProperties", "not", "if", "then", "else", "contains",
		"propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems":
		return strictify(v)
	case "anyOf", "oneOf", "allOf", "prefixItems":
		if arr, ok := v.([]any); ok {
			for i := range arr {
				arr[i] = strictify(arr[i])
			}
		}
		return v
	case "properties", "$defs", "definitions", "patternProperties", "dependentSchemas":
		if named, ok := v.(object); ok {
			for i := range named {
				named[i].val = strictify(named[i].val)
			}
		}
		return v
	}
	return v
}

// object is a JSON object that remembers the order of its keys.
type object []member

type member struct {
	key string
	val any
}

func (o object) get(key string) (any, bool) {
	for _, m := range o {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

func (o object) lookup(key string) any {
	v, _ := o.get(key)
	return v
}

// set replaces the value of key, or appends it.
func (o object) set(key string, v any) object {
	for i, m := range o {
		if m.key == key {
			o[i].val = v
			return o
		}
	}
	return append(o, member{key, v})
}

// isObjectType reports whether the schema describes objects: "type" is
// "object", or a list of types that holds it.
func (o object) isObjectType() bool {
	switch t := o.lookup("type").(type) {
	case string:
		return t == "object"
	case []any:
		return slices.Contains(t, any("object"))
	}
	return false
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// decodeOrdered decodes one JSON document, objects as object so that their
// key order survives, numbers as json.Number so that they survive exactly.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := object{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{k.(string), v})
		}
		_, err := dec.Token() // '}'
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ']'
		return arr, err
	}
	return tok, nil
}
