package openai

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/llmhost/llmhost/providers/internal/orderedjson"
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
	doc, err := orderedjson.Decode(schema)
	if err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON: %w", err)
	}
	return json.Marshal(strictify(doc))
}

// strictify adapts the schema v and every schema below it.
func strictify(v any) any {
	obj, ok := v.(*orderedjson.Object)
	if !ok {
		return v
	}
	for _, k := range obj.Keys {
		obj.Vals[k] = strictifyKeyword(k, obj.Vals[k])
	}
	if !isObjectType(obj) {
		return obj
	}
	if _, has := obj.Get("additionalProperties"); !has {
		obj.Set("additionalProperties", false)
	}
	if props, ok := obj.Vals["properties"].(*orderedjson.Object); ok {
		names := make([]any, len(props.Keys))
		for i, k := range props.Keys {
			names[i] = k
		}
		obj.Set("required", names)
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
		if named, ok := v.(*orderedjson.Object); ok {
			for _, k := range named.Keys {
				named.Vals[k] = strictify(named.Vals[k])
			}
		}
		return v
	}
	return v
}

// isObjectType reports whether the schema describes objects: "type" is
// "object", or a list of types that holds it.
func isObjectType(o *orderedjson.Object) bool {
	switch t := o.Vals["type"].(type) {
	case string:
		return t == "object"
	case []any:
		return slices.Contains(t, any("object"))
	}
	return false
}
