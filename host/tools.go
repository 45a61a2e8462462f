package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// toolEntry is a tool with its parameter schema compiled once, at load, so
// that arguments are checked before any guest runs: a model that sends a
// string where a number belongs gets told which field, without a wasm call.
type toolEntry struct {
	decl   abi.Tool
	schema *jsonschema.Schema // nil: no schema, or one that did not compile
}

func newToolEntry(t abi.Tool) (*toolEntry, error) {
	e := &toolEntry{decl: t}
	if t.Parameters == nil {
		return e, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(t.Parameters))
	if err != nil {
		return e, fmt.Errorf("parameters: %w", err)
	}
	c := jsonschema.NewCompiler()
	// Resolve nothing from outside: a schema's $ref to a URL must not make
	// the host fetch it.
	c.UseLoader(noLoader{})
	const url = "mem://tool/parameters.json"
	if err := c.AddResource(url, doc); err != nil {
		return e, fmt.Errorf("parameters: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return e, fmt.Errorf("parameters are not a usable JSON Schema: %w", err)
	}
	e.schema = s
	return e, nil
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s: references outside the tool's schema are not loaded", url)
}

// check validates args against the schema; its error lists each violation
// as "at /field: what is wrong".
func (t *toolEntry) check(args json.RawMessage) error {
	if t.schema == nil {
		if !json.Valid(args) {
			return fmt.Errorf("arguments are not valid JSON")
		}
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return fmt.Errorf("arguments are not valid JSON: %v", err)
	}
	err = t.schema.Validate(v)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	return fmt.Errorf("%s", strings.Join(violations(ve, nil), "; "))
}

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
