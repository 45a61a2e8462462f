package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/pdk"
)

const personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}},"required":["name","age"]}`

func parseReq(t *testing.T, text, schema string) ([]byte, error) {
	t.Helper()
	req := abi.ParseRequest{Text: text}
	if schema != "" {
		req.Schema = json.RawMessage(schema)
	}
	b, _ := json.Marshal(req)
	out, err := pdk.Invoke("parse", b)
	if err != nil {
		return nil, err
	}
	var r abi.ParseResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("reply %s: %v", out, err)
	}
	return r.Value, nil
}

func TestExtractsJSON(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"bare", `{"name":"Ada","age":36}`, `{"name":"Ada","age":36}`},
		{"prose", `Sure! Here it is: {"name":"Ada","age":36} Hope that helps.`, `{"name":"Ada","age":36}`},
		{"fence", "Here you go:\n```json\n{\"name\": \"Ada\", \"age\": 36}\n```\nAnything else?", `{"name":"Ada","age":36}`},
		{"untagged fence", "```\n[1, 2, 3]\n```", `[1,2,3]`},
		{"brace in prose first", `I used {braces} once. {"name":"Ada","age":36}`, `{"name":"Ada","age":36}`},
		{"big numbers keep precision", `{"name":"x","age":12345678901234567890}`, `{"name":"x","age":12345678901234567890}`},
		{"scalar", `42`, `42`},
	}
	for _, c := range cases {
		got, err := parseReq(t, c.text, "")
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.name, got, err, c.want)
		}
	}
}

func TestRetryMessages(t *testing.T) {
	cases := []struct {
		name, text, schema string
		retryHas           []string
	}{
		{"no JSON", "I don't know.", "", []string{"contained no JSON"}},
		{"malformed", `{"name": "Ada", "age": 36,}`, "", []string{"could not be parsed"}},
		{"wrong type", `{"name":"Ada","age":"thirty-six"}`, personSchema, []string{"`age`: got string, want integer", "answer again"}},
		{"missing field", `Result: {"age": 3}`, personSchema, []string{"missing property 'name'"}},
		{"rule", `{"name":"Ada","age":-1}`, personSchema, []string{"`age`", "minimum"}},
	}
	for _, c := range cases {
		_, err := parseReq(t, c.text, c.schema)
		var e *abi.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v, want an *abi.Error", c.name, err)
			continue
		}
		for _, want := range c.retryHas {
			if !strings.Contains(e.RetryMessage, want) {
				t.Errorf("%s: retry message %q lacks %q", c.name, e.RetryMessage, want)
			}
		}
	}
}

func TestValidAgainstSchema(t *testing.T) {
	got, err := parseReq(t, "```json\n{\"name\":\"Ada\",\"age\":36}\n```", personSchema)
	if err != nil || string(got) != `{"name":"Ada","age":36}` {
		t.Errorf("got %s, %v", got, err)
	}
	if _, err := parseReq(t, `{"a":1}`, `{"type":"nonsense"}`); err == nil || !strings.Contains(err.Error(), "schema is invalid") {
		t.Errorf("invalid schema: %v", err)
	}
}
