package schema_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/abi/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compile(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	b, err := schema.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func validate(s *jsonschema.Schema, instance string) error {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(instance))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

func TestEverySchemaCompiles(t *testing.T) {
	names := schema.Names()
	if len(names) < 10 {
		t.Fatalf("only %d schema files: %v", len(names), names)
	}
	for _, n := range names {
		compile(t, n)
	}
}

func TestExamples(t *testing.T) {
	cases := []struct {
		schema  string
		valid   []string
		invalid []string
	}{
		{"describe.json",
			[]string{
				`{"abi":"llmhost/1","name":"calculator","version":"1.0.0","tools":[{"name":"add","description":"a+b","parameters":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}],"parsers":[],"retry":false}`,
				`{"abi":"llmhost/1","name":"json","parsers":[{"name":"json","description":"JSON in prose"}]}`,
				`{"abi":"llmhost/1","name":"backoff","retry":true}`,
				`{"tools":[{"name":"fetch","description":"MCP servlet","inputSchema":{"type":"object"}}]}`,
				`{"abi":"llmhost/1","name":"p","parsers":["json","yaml"]}`,
			},
			[]string{
				`{"abi":"llmhost/1"}`,
				`{"abi":"llmhost/1","name":"x","tools":[{"description":"no name"}]}`,
				`{"abi":"llmhost/1","name":"x","retry":"yes"}`,
				`{"abi":"llmhost/1","name":"x","tools":[{"name":"t","parameters":"not a schema"}]}`,
				`[]`,
			}},
		{"tool_call.json",
			[]string{`{"id":"call_1","name":"divide","arguments":{"a":1,"b":0}}`, `{"id":"","name":"now","arguments":{}}`},
			[]string{`{"id":"call_1","name":"divide"}`, `{"id":"c","name":"t","arguments":[1,2]}`, `{"name":"t","arguments":{}}`}},
		{"parse_request.json",
			[]string{`{"text":"Here: {\"a\":1}"}`, `{"text":"x","schema":{"type":"object"},"format":"json"}`, `{"text":"x","schema":true}`},
			[]string{`{}`, `{"text":1}`, `{"text":"x","schema":"object"}`}},
		{"parse_result.json",
			[]string{`{"value":{"a":1}}`, `{"value":null}`, `{"value":[1,2]}`},
			[]string{`{}`, `{"val":1}`}},
		{"decide_request.json",
			[]string{
				`{"attempt":1,"elapsed_ms":12,"model":"openai/gpt-4o-mini","fallbacks":["anthropic/claude-3-5-haiku-latest"],"error":{"kind":"rate_limit","status":429,"message":"slow down","retry_after_ms":2000,"provider":"openai"}}`,
				`{"attempt":3,"elapsed_ms":0,"model":"ollama/llama3.2","fallbacks":[],"error":{"kind":"connection","message":"refused"}}`,
			},
			[]string{
				`{"attempt":0,"elapsed_ms":0,"model":"m","fallbacks":[],"error":{"kind":"server","message":"x"}}`,
				`{"attempt":1,"elapsed_ms":0,"model":"m","error":{"kind":"server","message":"x"}}`,
				`{"attempt":1,"elapsed_ms":0,"model":"m","fallbacks":[],"error":{"message":"x"}}`,
			}},
		{"decision.json",
			[]string{`{"action":"retry","delay_ms":500}`, `{"action":"fallback","delay_ms":0,"model":"google/gemini-2.0-flash"}`, `{"action":"fail","delay_ms":0}`},
			[]string{`{"action":"later","delay_ms":1}`, `{"action":"fallback","delay_ms":0}`, `{"action":"retry","delay_ms":-1}`, `{"delay_ms":1}`}},
		{"error.json",
			[]string{`{"message":"division by zero"}`, `{"message":"no JSON found","retry_message":"Answer with a JSON object only."}`},
			[]string{`{}`, `{"message":3}`}},
		{"config.json",
			[]string{`{}`, `{"max_attempts":"3","greeting":"hi"}`},
			[]string{`{"max_attempts":3}`, `["a"]`}},
		{"mcp_call_request.json",
			[]string{`{"params":{"name":"fetch","arguments":{"url":"x"}}}`, `{"params":{"name":"now"}}`},
			[]string{`{"name":"fetch"}`, `{"params":{"arguments":{}}}`}},
		{"mcp_call_result.json",
			[]string{`{"content":[{"type":"text","text":"42"}],"isError":false}`, `{"content":[{"type":"text","text":"boom"}],"isError":true}`},
			[]string{`{"isError":true}`, `{"content":[{"text":"no type"}]}`}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.schema] = true
		s := compile(t, c.schema)
		for _, v := range c.valid {
			if err := validate(s, v); err != nil {
				t.Errorf("%s rejects valid %s: %v", c.schema, v, err)
			}
		}
		for _, v := range c.invalid {
			if err := validate(s, v); err == nil {
				t.Errorf("%s accepts invalid %s", c.schema, v)
			}
		}
	}
	for _, n := range schema.Names() {
		if !seen[n] {
			t.Errorf("schema %s has no examples", n)
		}
	}
}

// The Go types must produce what the schemas describe.
func TestGoTypesMatchSchemas(t *testing.T) {
	msgs := []struct {
		schema string
		v      any
	}{
		{"describe.json", abi.Describe{ABI: abi.Version, Name: "calc", Version: "1", Tools: []abi.Tool{{Name: "add", Parameters: json.RawMessage(`{"type":"object"}`)}}, Parsers: []abi.Parser{{Name: "json"}}, Retry: true}},
		{"describe.json", abi.Describe{ABI: abi.Version, Name: "empty"}},
		{"tool_call.json", abi.ToolCall{ID: "1", Name: "add", Arguments: json.RawMessage(`{"a":1}`)}},
		{"parse_request.json", abi.ParseRequest{Text: "x"}},
		{"parse_request.json", abi.ParseRequest{Text: "x", Schema: json.RawMessage(`{"type":"object"}`), Format: "json"}},
		{"parse_result.json", abi.ParseResult{Value: json.RawMessage(`{"a":1}`)}},
		{"decide_request.json", abi.DecideRequest{Attempt: 1, Model: "m", Fallbacks: []string{}, Error: abi.CallError{Kind: "server", Status: 500, Message: "x"}}},
		{"decision.json", abi.Decision{Action: abi.ActionRetry, DelayMS: 10}},
		{"decision.json", abi.Decision{Action: abi.ActionFallback, Model: "m2"}},
		{"error.json", abi.Error{Message: "boom", RetryMessage: "again"}},
		{"config.json", abi.Config{"k": "v"}},
		{"mcp_call_request.json", abi.MCPCallRequest{Params: abi.MCPCallParams{Name: "t", Arguments: json.RawMessage(`{}`)}}},
		{"mcp_call_result.json", abi.MCPCallResult{Content: []abi.MCPContent{{Type: "text", Text: "ok"}}}},
	}
	for _, m := range msgs {
		b, err := json.Marshal(m.v)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(compile(t, m.schema), string(b)); err != nil {
			t.Errorf("%T marshals to %s, which %s rejects: %v", m.v, b, m.schema, err)
		}
	}
}
