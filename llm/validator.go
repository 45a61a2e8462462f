package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// validator is a compiled JSON Schema.
type validator struct{ schema *jsonschema.Schema }

var printer = message.NewPrinter(language.English)

// compiled caches validators by schema text: a Format is plain data that
// users build and copy freely, so the compiled form cannot live in it, and
// compiling once per schema keeps validation off the hot path.
var compiled sync.Map // string -> *validator

func validatorFor(schema []byte) (*validator, error) {
	if v, ok := compiled.Load(string(schema)); ok {
		return v.(*validator), nil
	}
	v, err := compileSchema(schema)
	if err != nil {
		return nil, err
	}
	compiled.Store(string(schema), v)
	return v, nil
}

func compileSchema(schema []byte) (*validator, error) {
	if len(bytes.TrimSpace(schema)) == 0 {
		return nil, errors.New("the schema is empty")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("llmhost:schema.json", doc); err != nil {
		return nil, err
	}
	s, err := c.Compile("llmhost:schema.json")
	if err != nil {
		return nil, fmt.Errorf("the schema does not compile: %w", err)
	}
	return &validator{schema: s}, nil
}

// validate checks raw, turning the validator's error tree into a flat list
// of violations, one per failing rule, each at the value it concerns.
func (v *validator) validate(raw json.RawMessage) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ParseError{Reason: ParseSyntax, Text: string(raw), Message: "the JSON does not parse: " + err.Error(), Err: err}
	}
	err = v.schema.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &ParseError{Reason: ParseSchema, Text: string(raw), Message: err.Error(), Err: err}
	}
	var out []Violation
	collect(ve, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return &ParseError{Reason: ParseSchema, Text: string(raw), Violations: out, Message: "the answer does not match the schema", Err: err}
}

func collect(e *jsonschema.ValidationError, out *[]Violation) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	path := ""
	for _, p := range e.InstanceLocation {
		path += "/" + strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	kw := e.ErrorKind.KeywordPath()
	rule := ""
	if len(kw) > 0 {
		rule = kw[0]
	}
	*out = append(*out, Violation{Path: path, Rule: rule, Message: e.ErrorKind.LocalizedString(printer)})
}
