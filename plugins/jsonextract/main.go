// Command jsonextract is the bundled output parser. Models wrap JSON in
// prose and code fences; this parser finds the JSON, checks it against the
// schema the request carries, and, when the answer falls short, writes a
// retry_message that tells the model which field broke which rule, so the
// next answer can be right.
package main

import (
	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/pdk"
)

func init() {
	pdk.Info("jsonextract", "1.0.0")
	pdk.Parser("json", "Extracts JSON from prose or a ``` fence and validates it against the schema.", parse)
}

func parse(req abi.ParseRequest) (any, error) {
	v, err := extract(req.Text)
	if err != nil {
		return nil, err
	}
	if len(req.Schema) > 0 {
		if err := validate(req.Schema, v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func main() {}
