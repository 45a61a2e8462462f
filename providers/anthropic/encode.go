package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/param"

	"github.com/llmhost/llmhost/llm"
)

// structuredOutputsBeta is the beta that adds "output_format" to the
// Messages API; the strict mode sends it.
const structuredOutputsBeta = "structured-outputs-2025-11-13"

// ephemeral marks a block as the end of a cacheable prefix.
var ephemeral = anthropic.NewCacheControlEphemeralParam()

// encode turns an engine request into the SDK's parameters, plus the
// request options that the typed parameters cannot express (the beta
// structured output of the strict mode).
func (p *Provider) encode(req *llm.Request) (anthropic.MessageNewParams, []option.RequestOption, error) {
	params := anthropic.MessageNewParams{
		Model:     anthropic.Model(req.Model),
		MaxTokens: DefaultMaxTokens,
	}
	if n := req.Params.MaxTokens; n > 0 {
		params.MaxTokens = int64(n)
	}
	if t := req.Params.Temperature; t != nil {
		params.Temperature = anthropic.Float(*t)
	}
	if tp := req.Params.TopP; tp != nil {
		params.TopP = anthropic.Float(*tp)
	}
	if len(req.Params.Stop) > 0 {
		params.StopSequences = req.Params.Stop
	}
	// Params.Seed has no Anthropic counterpart; it is documented as applying
	// "where the provider supports it", so it is left out.

	if sys := llm.SystemText(req.Messages); sys != "" {
		params.System = []anthropic.TextBlockParam{{Text: sys, CacheControl: ephemeral}}
	}
	msgs, err := p.encodeMessages(req.Messages)
	if err != nil {
		return params, nil, err
	}
	params.Messages = msgs

	for _, def := range req.Tools {
		tool, err := p.encodeTool(def)
		if err != nil {
			return params, nil, err
		}
		params.Tools = append(params.Tools, anthropic.ToolUnionParam{OfTool: &tool})
	}
	if n := len(params.Tools); n > 0 {
		// Tools come before the messages in Anthropic's cache order, so the
		// last tool ends a prefix that every turn of the conversation shares.
		params.Tools[n-1].OfTool.CacheControl = ephemeral
	}
	params.ToolChoice = encodeToolChoice(req.ToolChoice, req.ParallelToolCalls)

	var opts []option.RequestOption
	if f := req.Format; f != nil && f.Mode == llm.FormatStrict {
		opts, err = p.strictOutput(f)
		if err != nil {
			return params, nil, err
		}
	}
	// FormatJSON needs nothing: Anthropic has no JSON mode, and the engine
	// has already put the schema in the system prompt.
	return params, opts, nil
}

// encodeMessages turns the conversation into Anthropic's alternating user
// and assistant turns. Tool outputs travel in user turns; consecutive turns
// of one role are merged, as the API would merge them anyway, so that tool
// results stay first in the turn that follows the calls.
func (p *Provider) encodeMessages(msgs []llm.Message) ([]anthropic.MessageParam, error) {
	var out []anthropic.MessageParam
	multiTurn := false
	for _, m := range msgs {
		var (
			role   anthropic.MessageParamRole
			blocks []anthropic.ContentBlockParamUnion
			err    error
		)
		switch m.Role {
		case llm.RoleSystem:
			continue
		case llm.RoleAssistant:
			role = anthropic.MessageParamRoleAssistant
			blocks, err = p.assistantBlocks(m)
			multiTurn = true
		default: // user and tool turns
			role = anthropic.MessageParamRoleUser
			blocks = userBlocks(m)
		}
		if err != nil {
			return nil, err
		}
		if len(blocks) == 0 {
			// Anthropic rejects empty turns, e.g. an assistant turn that only
			// held another provider's thoughts.
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
			continue
		}
		out = append(out, anthropic.MessageParam{Role: role, Content: blocks})
	}
	if multiTurn && len(out) > 0 {
		// A conversation that goes on is sent again and again: mark its end
		// so that the next request reads everything up to here from the
		// cache.
		markLastCacheable(out[len(out)-1].Content)
	}
	return out, nil
}

// userBlocks encodes a user or tool turn: text, and tool outputs as
// tool_result blocks.
func userBlocks(m llm.Message) []anthropic.ContentBlockParamUnion {
	var blocks []anthropic.ContentBlockParamUnion
	for _, part := range m.Content {
		switch part := part.(type) {
		case llm.Text:
			if part != "" {
				blocks = append(blocks, anthropic.ContentBlockParamUnion{OfText: &anthropic.TextBlockParam{Text: string(part)}})
			}
		case llm.ToolOutput:
			res := &anthropic.ToolResultBlockParam{
				ToolUseID: part.ID,
				Content: []anthropic.ToolResultBlockParamContentUnion{
					{OfText: &anthropic.TextBlockParam{Text: part.Content()}},
				},
			}
			if part.Error != nil {
				// The flag tells the model the call failed, beside the text
				// that says how.
				res.IsError = anthropic.Bool(true)
			}
			blocks = append(blocks, anthropic.ContentBlockParamUnion{OfToolResult: res})
		}
	}
	return blocks
}

// assistantBlocks encodes an assistant turn. Thoughts go back only to the
// provider that wrote them, and only in a form Anthropic verifies: signed
// thinking, or redacted thinking.
func (p *Provider) assistantBlocks(m llm.Message) ([]anthropic.ContentBlockParamUnion, error) {
	own := m.Model == "" || strings.HasPrefix(m.Model, p.name+"/")
	var blocks []anthropic.ContentBlockParamUnion
	for _, part := range m.Content {
		switch part := part.(type) {
		case llm.Text:
			if part != "" {
				blocks = append(blocks, anthropic.ContentBlockParamUnion{OfText: &anthropic.TextBlockParam{Text: string(part)}})
			}
		case llm.Thought:
			switch {
			case !own:
			case part.Redacted != "":
				blocks = append(blocks, anthropic.ContentBlockParamUnion{OfRedactedThinking: &anthropic.RedactedThinkingBlockParam{Data: part.Redacted}})
			case part.Signature != "":
				blocks = append(blocks, anthropic.ContentBlockParamUnion{OfThinking: &anthropic.ThinkingBlockParam{Thinking: part.Text, Signature: part.Signature}})
			}
		case llm.ToolCall:
			args := bytes.TrimSpace(part.Arguments)
			if len(args) == 0 {
				args = []byte("{}")
			}
			if !json.Valid(args) {
				return nil, &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
					Message: fmt.Sprintf("tool call %s (%s) has arguments that are not JSON: %.100s", part.ID, part.Name, args)}
			}
			blocks = append(blocks, anthropic.ContentBlockParamUnion{OfToolUse: &anthropic.ToolUseBlockParam{
				ID: part.ID, Name: part.Name, Input: json.RawMessage(args),
			}})
		}
	}
	return blocks, nil
}

// markLastCacheable sets cache_control on the last block that may carry
// it; thinking blocks may not.
func markLastCacheable(blocks []anthropic.ContentBlockParamUnion) {
	for i := len(blocks) - 1; i >= 0; i-- {
		b := blocks[i]
		switch {
		case b.OfText != nil:
			b.OfText.CacheControl = ephemeral
		case b.OfToolResult != nil:
			b.OfToolResult.CacheControl = ephemeral
		case b.OfToolUse != nil:
			b.OfToolUse.CacheControl = ephemeral
		default:
			continue
		}
		return
	}
}

// encodeTool turns a tool definition into Anthropic's form. The schema's
// "properties" and "required" have typed fields; everything else it says
// ($defs, additionalProperties, descriptions ...) goes through as is.
func (p *Provider) encodeTool(def llm.ToolDefinition) (anthropic.ToolParam, error) {
	// def.Strict is not sent: Anthropic holds tool calls to their schema
	// only under its structured-outputs beta, which not every model has,
	// and a forced call of the format tool (which the engine marks strict)
	// must work on every model. The engine validates the arguments anyway.
	tool := anthropic.ToolParam{Name: def.Name}
	if def.Description != "" {
		tool.Description = anthropic.String(def.Description)
	}
	schema := map[string]any{}
	if raw := bytes.TrimSpace(def.Parameters); len(raw) > 0 {
		if err := decodeJSON(raw, &schema); err != nil {
			return tool, &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
				Message: fmt.Sprintf("the parameters of tool %s are not a JSON Schema object: %v", def.Name, err), Err: err}
		}
	}
	in := anthropic.ToolInputSchemaParam{Properties: schema["properties"]}
	if req, ok := schema["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				in.Required = append(in.Required, s)
			}
		}
	}
	delete(schema, "properties")
	delete(schema, "required")
	delete(schema, "type") // always "object", which the SDK writes itself
	if len(schema) > 0 {
		in.ExtraFields = schema
	}
	tool.InputSchema = in
	return tool, nil
}

// encodeToolChoice maps the engine's choice: "required" is Anthropic's
// "any", a tool's name forces that tool. Forbidding parallel calls is a
// flag of the choice itself, so it needs a choice even when the engine
// left the choice to the provider.
func encodeToolChoice(choice string, parallel *bool) anthropic.ToolChoiceUnionParam {
	var noParallel param.Opt[bool]
	if parallel != nil && !*parallel {
		noParallel = anthropic.Bool(true)
	}
	switch choice {
	case "none":
		return anthropic.ToolChoiceUnionParam{OfNone: &anthropic.ToolChoiceNoneParam{}}
	case "required":
		return anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{DisableParallelToolUse: noParallel}}
	case "", "auto":
		if choice == "" && !noParallel.Valid() {
			return anthropic.ToolChoiceUnionParam{}
		}
		return anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{DisableParallelToolUse: noParallel}}
	default:
		return anthropic.ToolChoiceUnionParam{OfTool: &anthropic.ToolChoiceToolParam{Name: choice, DisableParallelToolUse: noParallel}}
	}
}

// strictOutput returns the request options of Anthropic's structured
// outputs beta: the "output_format" body field, the beta header, and the
// ?beta=true of the SDK's beta endpoints. The schema goes through the SDK's
// own transform, which makes every object closed (additionalProperties:
// false, as the beta requires) and moves keywords it does not support into
// descriptions instead of failing the request.
func (p *Provider) strictOutput(f *llm.ResponseFormat) ([]option.RequestOption, error) {
	var schema map[string]any
	if err := decodeJSON(f.Schema, &schema); err != nil {
		return nil, &llm.Error{Kind: llm.KindBadRequest, Provider: p.name,
			Message: fmt.Sprintf("format %s: the schema is not a JSON object: %v", f.Name, err), Err: err}
	}
	format := anthropic.BetaJSONSchemaOutputFormat(schema)
	if format.Schema == nil {
		// The transform gave up (a schema its model of JSON Schema cannot
		// hold, e.g. a list of types): send it as written and let the API
		// say what it lacks.
		format.Schema = schema
	}
	return []option.RequestOption{
		option.WithJSONSet("output_format", format),
		option.WithHeaderAdd("anthropic-beta", structuredOutputsBeta),
		option.WithQuery("beta", "true"),
	}, nil
}

// decodeJSON decodes keeping numbers as written, so a schema's bounds or a
// tool's arguments go back byte for byte.
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
