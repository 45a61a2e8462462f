// Command extism is a test guest of the Extism ABI, written without the
// Extism Go PDK (which llmhost does not depend on): the few host functions
// it needs are imported by hand in env_wasip1.go. It is an MCP-style servlet
// (describe, call) and exports raw functions for the host's tests and the
// echo benchmark.
package main

import (
	"encoding/json"
	"strconv"
	"strings"
)

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"inputSchema"`
}

type callRequest struct {
	Params struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"params"`
}

type content struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type callResult struct {
	Content []content `json:"content"`
	IsError bool      `json:"isError,omitempty"`
}

// servletDescribe is what an MCP servlet replies to describe.
func servletDescribe() []byte {
	b, _ := json.Marshal(map[string]any{"tools": []tool{
		{Name: "greet", Description: "Greets someone.", InputSchema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`)},
		{Name: "refuse", Description: "Always reports an error.", InputSchema: json.RawMessage(`{"type":"object"}`)},
	}})
	return b
}

func servletCall(in []byte) []byte {
	var req callRequest
	if err := json.Unmarshal(in, &req); err != nil {
		return result("bad request: "+err.Error(), true)
	}
	switch req.Params.Name {
	case "greet":
		var a struct{ Name string }
		json.Unmarshal(req.Params.Arguments, &a)
		return result("Hello, "+a.Name+"!", false)
	case "refuse":
		return result("I refuse.", true)
	}
	return result("unknown tool "+req.Params.Name, true)
}

func result(text string, isErr bool) []byte {
	b, _ := json.Marshal(callResult{Content: []content{{Type: "text", Text: text}}, IsError: isErr})
	return b
}

// repeat returns n bytes, n given as decimal input.
func repeat(in []byte) []byte {
	n, _ := strconv.Atoi(strings.TrimSpace(string(in)))
	return []byte(strings.Repeat("y", n))
}

func main() {}
