package abi

import "encoding/json"

// The messages of MCP-style Extism servlets (as served by mcp.run). Their
// describe replies {"tools":[{"name","description","inputSchema"}]}, which
// decodes into Describe; their call takes and returns the types below. The
// host translates a ToolCall into an MCPCallRequest and an MCPCallResult
// back into a result or an error, so that servlets work as tools unchanged.

// MCPCallRequest is the input of a servlet's call export.
type MCPCallRequest struct {
	Params MCPCallParams `json:"params"`
}

// MCPCallParams names the tool and carries its arguments.
type MCPCallParams struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
}

// MCPCallResult is the reply of a servlet's call export.
type MCPCallResult struct {
	Content []MCPContent `json:"content"`
	IsError bool         `json:"isError,omitempty"`
}

// MCPContent is one item of an MCPCallResult. Text is set for Type "text";
// other types (image, resource) keep their extra fields in the raw reply.
type MCPContent struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
}
