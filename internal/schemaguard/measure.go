package schemaguard

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// decode parses one JSON value as the validator wants it (numbers as
// json.Number) and measures it against the limits of its kind, so that
// nothing super-linear runs on a value that is too big.
func decode(doc []byte, schema bool, l *Limits) (any, error) {
	maxBytes, bytesField := l.InstanceBytes, "InstanceBytes"
	maxDepth, depthField := l.InstanceDepth, "InstanceDepth"
	if schema {
		maxBytes, bytesField = l.SchemaBytes, "SchemaBytes"
		maxDepth, depthField = l.SchemaDepth, "SchemaDepth"
	}
	if len(doc) > maxBytes {
		return nil, &LimitError{Field: bytesField, Got: int64(len(doc)), Max: int64(maxBytes)}
	}
	if d := nesting(doc); d > maxDepth {
		// Measured on the bytes, before decoding, so that a deep document
		// costs no allocation: Go's decoder recurses per level.
		return nil, &LimitError{Field: depthField, Got: int64(d), Max: int64(maxDepth)}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, &SyntaxError{Err: err}
	}
	m := measurer{l: l, in: "value"}
	if schema {
		m.in = "schema"
	}
	if err := m.walk(v, ""); err != nil {
		return nil, err
	}
	if schema && m.objects > l.Subschemas {
		return nil, &LimitError{Field: "Subschemas", Got: int64(m.objects), Max: int64(l.Subschemas)}
	}
	return v, nil
}

// nesting is the deepest nesting of objects and arrays in doc, skipping
// strings. It does not validate: invalid JSON is the decoder's to report.
func nesting(doc []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range doc {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

type measurer struct {
	l       *Limits
	in      string
	objects int
}

func (m *measurer) walk(v any, at string) error {
	switch v := v.(type) {
	case map[string]any:
		m.objects++
		for k, e := range v {
			if err := m.walk(e, at+"/"+escape(k)); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := m.walk(e, at+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case json.Number:
		return m.number(string(v), at)
	}
	return nil
}

// number bounds a literal so that the validator's big.Rat arithmetic on it
// (SetString, Cmp, Quo) stays small: the cost of 10^e grows with e.
func (m *measurer) number(s, at string) error {
	if at == "" {
		at = "/"
	}
	if len(s) > m.l.NumberLength {
		return &LimitError{Field: "NumberLength", Got: int64(len(s)), Max: int64(m.l.NumberLength), At: at, In: m.in}
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return nil
	}
	exp := strings.TrimLeft(s[i+1:], "+-")
	exp = strings.TrimLeft(exp, "0")
	e, err := strconv.ParseInt(exp, 10, 64)
	if exp == "" {
		e, err = 0, nil
	}
	if err != nil || e > int64(m.l.NumberExponent) {
		if err != nil {
			e = 1<<63 - 1
		}
		return &LimitError{Field: "NumberExponent", Got: e, Max: int64(m.l.NumberExponent), At: at, In: m.in}
	}
	return nil
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
