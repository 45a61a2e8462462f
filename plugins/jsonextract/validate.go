package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// compiled caches schemas by their text: a structured-output loop sends the
// same schema with every answer, and compiling costs more than validating.
// The cache lives as long as the instance; it is bounded so that a caller
// sending ever-new schemas cannot grow it without end.
var compiled = map[string]*jsonschema.Schema{}

const maxCompiled = 64

var english = message.NewPrinter(language.English)

func schemaFor(text []byte) (*jsonschema.Schema, error) {
	if s, ok := compiled[string(text)]; ok {
		return s, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource("mem://schema.json", doc); err != nil {
		return nil, err
	}
	s, err := c.Compile("mem://schema.json")
	if err != nil {
		return nil, err
	}
	if len(compiled) >= maxCompiled {
		clear(compiled)
	}
	compiled[string(text)] = s
	return s, nil
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: external references are not loaded", url)
}

// validate checks v against schema. On failure the retry message lists each
// violation by field, e.g. "`age`: got string, want integer".
func validate(schema []byte, v []byte) *abi.Error {
	s, err := schemaFor(schema)
	if err != nil {
		// The request's fault, not the model's: no retry message.
		return &abi.Error{Message: "the request's schema is invalid: " + err.Error()}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(v))
	if err != nil {
		return &abi.Error{Message: err.Error()}
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return &abi.Error{Message: err.Error()}
	}
	lines := violations(ve, nil)
	sort.Strings(lines)
	return &abi.Error{
		Message: "the answer does not match the schema: " + strings.Join(lines, "; "),
		RetryMessage: "Your JSON did not match the required schema:\n- " + strings.Join(lines, "\n- ") +
			"\nPlease answer again with corrected JSON only.",
	}
}

func violations(ve *jsonschema.ValidationError, out []string) []string {
	if len(ve.Causes) == 0 {
		field := "(the top-level value)"
		if len(ve.InstanceLocation) > 0 {
			field = "`" + strings.Join(ve.InstanceLocation, ".") + "`"
		}
		return append(out, field+": "+ve.ErrorKind.LocalizedString(english))
	}
	for _, c := range ve.Causes {
		out = violations(c, out)
	}
	return out
}
