// Package parsework is the "realistic parse" workload of the plugin-call
// benchmarks: find the JSON in a model's answer (prose around a ``` fence)
// and validate it against a schema. The native guest, the Extism guest and
// the in-process baseline all run this very code, so the three paths differ
// only in how the answer reaches it and the result leaves it.
//
// It is plain Go with no dependency on wasm or on the host, and builds for
// GOOS=wasip1 as well as natively.
package parsework

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is what every answer must satisfy: a forecast with a list of
// daily entries, each with typed, bounded fields, the kind of structured
// output an application asks a model for.
const Schema = `{
  "type": "object",
  "properties": {
    "city":    {"type": "string", "minLength": 1},
    "country": {"type": "string", "minLength": 2, "maxLength": 2},
    "days": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "properties": {
          "date":      {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
          "summary":   {"type": "string"},
          "high_c":    {"type": "number", "minimum": -90, "maximum": 60},
          "low_c":     {"type": "number", "minimum": -90, "maximum": 60},
          "rain_mm":   {"type": "number", "minimum": 0},
          "wind":      {"enum": ["calm", "breeze", "gale", "storm"]},
          "confident": {"type": "boolean"}
        },
        "required": ["date", "summary", "high_c", "low_c", "wind"],
        "additionalProperties": false
      }
    }
  },
  "required": ["city", "country", "days"]
}`

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// compiled returns the schema, compiled once: a parser sees the same schema
// with every answer, and compiling costs more than validating.
func compiled() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(Schema))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err = c.AddResource("mem://forecast.json", doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile("mem://forecast.json")
	})
	return schema, schemaErr
}

// Parse extracts the JSON of answer and validates it against Schema. It
// returns the JSON value as it appears in the answer (a sub-slice of it:
// the caller's copy, if it needs one, is the only one).
func Parse(answer []byte) ([]byte, error) {
	raw, err := Extract(answer)
	if err != nil {
		return nil, err
	}
	s, err := compiled()
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if err := s.Validate(inst); err != nil {
		return nil, fmt.Errorf("the answer does not match the schema: %w", err)
	}
	return raw, nil
}

var errNoJSON = errors.New("no JSON found in the answer")

// Extract finds the JSON value in answer the way llm.ExtractJSON does: the
// whole answer, else the first ``` fence that holds valid JSON, else the
// first balanced {...} in the prose that is valid.
func Extract(answer []byte) ([]byte, error) {
	t := bytes.TrimSpace(answer)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return t, nil
	}
	rest := t
	for {
		i := bytes.Index(rest, fence)
		if i < 0 {
			break
		}
		rest = rest[i+len(fence):]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			break
		}
		body := rest[nl+1:]
		end := bytes.Index(body, fence)
		if end < 0 {
			end = len(body)
		}
		if block := bytes.TrimSpace(body[:end]); json.Valid(block) {
			return block, nil
		}
		if end == len(body) {
			break
		}
		rest = body[end+len(fence):]
	}
	for i, c := range t {
		if c != '{' {
			continue
		}
		if end := balancedEnd(t, i); end > 0 && json.Valid(t[i:end+1]) {
			return t[i : end+1], nil
		}
	}
	return nil, errNoJSON
}

var fence = []byte("```")

// balancedEnd returns the index of the brace closing the one at start,
// skipping strings, or -1.
func balancedEnd(s []byte, start int) int {
	depth, inString, escaped := 0, false, false
	for i := start; i < len(s); i++ {
		c := s[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// Answer returns a model's answer of about size bytes (never less than
// the smallest answer, about 400 bytes): a sentence of prose, a ```json
// fence holding a forecast that satisfies Schema with as many days as fit,
// and a closing sentence. The same size always gives the same bytes.
func Answer(size int) []byte {
	const (
		head = "Sure! Here is the forecast you asked for, as JSON matching your schema.\n\n```json\n"
		tail = "\n```\n\nLet me know if you would like the same for another city, or in Fahrenheit.\n"
	)
	winds := []string{"calm", "breeze", "gale", "storm"}
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString(`{"city": "Lyon", "country": "FR", "days": [`)
	for day := 0; ; day++ {
		if day > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  {\"date\": \"%04d-%02d-%02d\", \"summary\": \"Cloudy spells with a %d%% chance of showers in the afternoon\", "+
			"\"high_c\": %d.%d, \"low_c\": %d.%d, \"rain_mm\": %d.%d, \"wind\": %q, \"confident\": %t}",
			2025+day/336, 1+day/28%12, 1+day%28, 10+day%80, 12+day%15, day%10, 3+day%8, (day*7)%10, day%12, (day*3)%10,
			winds[day%len(winds)], day%3 != 0)
		// Stop when one more day would overshoot.
		if b.Len()+len(tail)+3+b.Len()/(day+1) > size {
			break
		}
	}
	b.WriteString("\n]}")
	b.WriteString(tail)
	return b.Bytes()
}
