package google

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/genai"

	"github.com/llmhost/llmhost/llm"
)

// encode turns an engine request into the SDK's contents and config.
func (p *Provider) encode(req *llm.Request) ([]*genai.Content, *genai.GenerateContentConfig, error) {
	config := &genai.GenerateContentConfig{
		// The SDK would otherwise send follow-up requests on its own when an
		// answer carries a continuation token, and reconnect a stream that
		// had one: one attempt per call, the engine decides the rest.
		AutomaticContinuation: genai.Ptr(false),
	}
	if t := req.Params.Temperature; t != nil {
		config.Temperature = genai.Ptr(float32(*t))
	}
	if tp := req.Params.TopP; tp != nil {
		config.TopP = genai.Ptr(float32(*tp))
	}
	if n := req.Params.MaxTokens; n > 0 {
		config.MaxOutputTokens = int32(n)
	}
	if s := req.Params.Seed; s != nil {
		config.Seed = genai.Ptr(int32(*s))
	}
	if len(req.Params.Stop) > 0 {
		config.StopSequences = req.Params.Stop
	}
	if sys := llm.SystemText(req.Messages); sys != "" {
		config.SystemInstruction = &genai.Content{Role: genai.RoleUser, Parts: []*genai.Part{{Text: sys}}}
	}

	if len(req.Tools) > 0 {
		tool := &genai.Tool{}
		for _, def := range req.Tools {
			fd, err := p.functionDeclaration(def)
			if err != nil {
				return nil, nil, err
			}
			tool.FunctionDeclarations = append(tool.FunctionDeclarations, fd)
		}
		config.Tools = []*genai.Tool{tool}
	}
	config.ToolConfig = toolConfig(req.ToolChoice)
	// Gemini has no switch for parallel calls: ParallelToolCalls is left
	// out. A forced call (the tool mode) names one function anyway.

	if f := req.Format; f != nil {
		config.ResponseMIMEType = "application/json"
		if f.Mode == llm.FormatStrict {
			schema, js, err := responseSchema(f.Schema)
			if err != nil {
				return nil, nil, &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
					Message: fmt.Sprintf("format %s: %v", f.Name, err), Err: err}
			}
			config.ResponseSchema, config.ResponseJsonSchema = schema, js
		}
	}

	contents, err := p.encodeContents(req.Messages)
	if err != nil {
		return nil, nil, err
	}
	return contents, config, nil
}

// encodeContents turns the conversation into Gemini contents: the user's
// turns and tool outputs as role "user", the assistant's as "model".
// Consecutive turns of one role are merged into one content.
func (p *Provider) encodeContents(msgs []llm.Message) ([]*genai.Content, error) {
	// Outputs carry the call's id; Gemini wants the function's name, which
	// the call has even when the output lacks it.
	names := map[string]string{}
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			names[c.ID] = c.Name
		}
	}
	var out []*genai.Content
	for _, m := range msgs {
		var (
			role  string
			parts []*genai.Part
			err   error
		)
		switch m.Role {
		case llm.RoleSystem:
			continue
		case llm.RoleAssistant:
			role = genai.RoleModel
			parts, err = p.modelParts(m)
		default: // user and tool turns
			role = genai.RoleUser
			parts = userParts(m, names)
		}
		if err != nil {
			return nil, err
		}
		if len(parts) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Parts = append(out[n-1].Parts, parts...)
			continue
		}
		out = append(out, &genai.Content{Role: role, Parts: parts})
	}
	return out, nil
}

// userParts encodes a user or tool turn: text, and tool outputs as
// functionResponse parts in the shape Gemini documents,
// {"name": ..., "response": {"output": ...}}.
func userParts(m llm.Message, names map[string]string) []*genai.Part {
	var parts []*genai.Part
	for _, part := range m.Content {
		switch part := part.(type) {
		case llm.Text:
			if part != "" {
				parts = append(parts, &genai.Part{Text: string(part)})
			}
		case llm.ToolOutput:
			name := part.Name
			if name == "" {
				name = names[part.ID]
			}
			parts = append(parts, &genai.Part{FunctionResponse: &genai.FunctionResponse{
				ID:       wireID(part.ID),
				Name:     name,
				Response: map[string]any{"output": part.Content()},
			}})
		}
	}
	return parts
}

// modelParts encodes an assistant turn. Thoughts and signatures go back
// only to Google: they are Gemini's, and meaningless elsewhere (and a
// thought written by another provider means nothing to Gemini).
func (p *Provider) modelParts(m llm.Message) ([]*genai.Part, error) {
	own := m.Model == "" || strings.HasPrefix(m.Model, p.name+"/")
	var parts []*genai.Part
	for _, part := range m.Content {
		switch part := part.(type) {
		case llm.Text:
			if part != "" {
				parts = append(parts, &genai.Part{Text: string(part)})
			}
		case llm.ToolCall:
			args, err := callArguments(part.Arguments)
			if err != nil {
				return nil, &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
					Message: fmt.Sprintf("tool call %s (%s): %v", part.ID, part.Name, err), Err: err}
			}
			parts = append(parts, &genai.Part{FunctionCall: &genai.FunctionCall{ID: wireID(part.ID), Name: part.Name, Args: args}})
		case llm.Thought:
			if !own {
				continue
			}
			sig, err := base64.StdEncoding.DecodeString(part.Signature)
			if err != nil {
				sig = nil // not one of Gemini's signatures: nothing to send back
			}
			if part.Text == "" {
				// A signature of the part before it (see the package doc).
				if n := len(parts); n > 0 && parts[n-1].ThoughtSignature == nil && sig != nil {
					parts[n-1].ThoughtSignature = sig
				}
				continue
			}
			parts = append(parts, &genai.Part{Text: part.Text, Thought: true, ThoughtSignature: sig})
		}
	}
	return parts, nil
}

// callArguments decodes a call's arguments for the SDK, which wants a map.
// Numbers stay as written (json.Number), so large integers survive.
func callArguments(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var args map[string]any
	if err := dec.Decode(&args); err != nil {
		return nil, fmt.Errorf("the arguments are not a JSON object: %w", err)
	}
	if args == nil {
		args = map[string]any{}
	}
	return args, nil
}

// toolConfig maps the engine's tool choice to Gemini's function calling
// modes: "required" is ANY, a tool's name is ANY restricted to it.
func toolConfig(choice string) *genai.ToolConfig {
	var fc *genai.FunctionCallingConfig
	switch choice {
	case "":
		return nil
	case "auto":
		fc = &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAuto}
	case "none":
		fc = &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeNone}
	case "required":
		fc = &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny}
	default:
		fc = &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny, AllowedFunctionNames: []string{choice}}
	}
	return &genai.ToolConfig{FunctionCallingConfig: fc}
}

// functionDeclaration describes a tool to Gemini, with its parameters in
// Gemini's schema dialect, or as JSON Schema when the dialect cannot hold
// them.
func (p *Provider) functionDeclaration(def llm.ToolDefinition) (*genai.FunctionDeclaration, error) {
	fd := &genai.FunctionDeclaration{Name: def.Name, Description: def.Description}
	if len(bytes.TrimSpace(def.Parameters)) == 0 {
		return fd, nil
	}
	schema, js, err := parametersSchema(def.Parameters)
	if err != nil {
		return nil, &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
			Message: fmt.Sprintf("the parameters of tool %s: %v", def.Name, err), Err: err}
	}
	fd.Parameters, fd.ParametersJsonSchema = schema, js
	return fd, nil
}
