package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/internal/schemaguard"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// toolEntry is a tool with its parameter schema compiled once, at load, so
// that arguments are checked before any guest runs: a model that sends a
// string where a number belongs gets told which field, without a wasm call.
//
// Both the schema (from the plugin) and the arguments (from the model) are
// untrusted, so both go through schemaguard: the schema is measured before
// it is compiled and refused if it refers outside itself or expands past
// the limits, and the arguments are measured, and the validation work
// counted, before they are validated (schemaguard.Default* state the
// limits).
type toolEntry struct {
	decl   abi.Tool
	schema *schemaguard.Schema // nil: no schema, or one that did not compile
}

func newToolEntry(t abi.Tool, limits SchemaLimits) (*toolEntry, error) {
	e := &toolEntry{decl: t}
	if t.Parameters == nil {
		return e, nil
	}
	s, err := schemaguard.Compile(t.Parameters, limits)
	if err != nil {
		var le *schemaguard.LimitError
		var re *schemaguard.RefError
		if errors.As(err, &le) || errors.As(err, &re) {
			return e, fmt.Errorf("parameters %w", err) // "parameters schema nests ..."
		}
		var se *schemaguard.SyntaxError
		if errors.As(err, &se) {
			return e, fmt.Errorf("parameters: %w", err)
		}
		return e, fmt.Errorf("parameters are not a usable JSON Schema: %w", err)
	}
	e.schema = s
	return e, nil
}

// check validates args against the schema; its error lists each violation
// as "at /field: what is wrong", or names the limit the arguments exceed.
func (t *toolEntry) check(args json.RawMessage) error {
	if t.schema == nil {
		if !json.Valid(args) {
			return fmt.Errorf("arguments are not valid JSON")
		}
		return nil
	}
	err := t.schema.Validate(args)
	if err == nil {
		return nil
	}
	var se *schemaguard.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("arguments are not valid JSON: %v", se.Err)
	}
	var le *schemaguard.LimitError
	if errors.As(err, &le) {
		return fmt.Errorf("arguments: %w", err)
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	v := violations(ve, nil)
	if len(v) > maxViolations {
		v = append(v[:maxViolations], fmt.Sprintf("and %d more", len(v)-maxViolations))
	}
	return fmt.Errorf("%s", strings.Join(v, "; "))
}

// maxViolations bounds the violations listed in an error: the model needs
// the first few to correct its call, not the thousands a failing anyOf
// over a large array can produce.
const maxViolations = 20

// violations flattens a validation error tree into its leaves.
func violations(ve *jsonschema.ValidationError, out []string) []string {
	if len(ve.Causes) == 0 {
		loc := "/" + strings.Join(ve.InstanceLocation, "/")
		return append(out, fmt.Sprintf("at %s: %s", loc, ve.ErrorKind.LocalizedString(english)))
	}
	for _, c := range ve.Causes {
		out = violations(c, out)
	}
	return out
}

var english = message.NewPrinter(language.English)

func isAbsent(m json.RawMessage) bool {
	s := bytes.TrimSpace(m)
	return len(s) == 0 || bytes.Equal(s, []byte("null"))
}
