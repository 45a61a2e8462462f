// Package schema holds the JSON Schema (draft 2020-12) of every message of
// the llmhost/1 ABI, one file per message, named after the message:
//
//	describe.json        reply of describe
//	tool_call.json       input of call
//	parse_request.json   input of parse
//	parse_result.json    reply of parse
//	decide_request.json  input of decide
//	decision.json        reply of decide
//	error.json           any error reply
//	config.json          input of llmhost_configure
//	mcp_call_request.json, mcp_call_result.json  MCP-style servlets' call
//
// It is a package of its own so that guests, which import package abi, do
// not carry these files in their binaries.
package schema

import (
	"embed"
	"io/fs"
)

//go:embed *.json
var files embed.FS

// FS returns the schema files.
func FS() fs.FS { return files }

// Names lists the schema files, e.g. "describe.json".
func Names() []string {
	entries, _ := files.ReadDir(".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Get returns the schema file called name, e.g. "decision.json".
func Get(name string) ([]byte, error) { return files.ReadFile(name) }
