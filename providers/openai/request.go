package openai

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/llmhost/llmhost/llm"
)

// chatRequest turns an engine request into a chat-completions request.
func (p *Provider) chatRequest(req *llm.Request, stream bool) (goopenai.ChatCompletionRequest, error) {
	msgs, err := p.messages(req.Messages)
	if err != nil {
		return goopenai.ChatCompletionRequest{}, err
	}
	out := goopenai.ChatCompletionRequest{Model: req.Model, Messages: msgs}
	setParams(&out, req.Model, req.Params)

	for _, def := range req.Tools {
		tool, err := p.tool(def)
		if err != nil {
			return out, err
		}
		out.Tools = append(out.Tools, tool)
	}
	if len(req.Tools) > 0 {
		out.ToolChoice = toolChoice(req.ToolChoice)
		if req.ParallelToolCalls != nil {
			out.ParallelToolCalls = *req.ParallelToolCalls
		}
	}

	if f := req.Format; f != nil {
		switch f.Mode {
		case llm.FormatJSON:
			out.ResponseFormat = &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONObject}
		case llm.FormatStrict:
			schema, err := strictSchema(f.Schema)
			if err != nil {
				return out, p.badRequest("format %s: %v", f.Name, err)
			}
			out.ResponseFormat = &goopenai.ChatCompletionResponseFormat{
				Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
				JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{
					Name:        schemaName(f.Name),
					Description: f.Description,
					Schema:      json.RawMessage(schema),
					Strict:      true,
				},
			}
		}
	}

	if stream {
		// Without it, a streamed answer reports no usage at all.
		out.StreamOptions = &goopenai.StreamOptions{IncludeUsage: true}
	}
	return out, nil
}

// setParams copies the sampling settings.
func setParams(out *goopenai.ChatCompletionRequest, model string, ps llm.Params) {
	if ps.Temperature != nil {
		out.Temperature = wireFloat(*ps.Temperature)
	}
	if ps.TopP != nil {
		out.TopP = wireFloat(*ps.TopP)
	}
	if ps.MaxTokens > 0 {
		// Reasoning models refuse max_tokens: their budget also pays for
		// the hidden reasoning, and is called max_completion_tokens.
		if reasoningModel(model) {
			out.MaxCompletionTokens = ps.MaxTokens
		} else {
			out.MaxTokens = ps.MaxTokens
		}
	}
	if ps.Seed != nil {
		seed := *ps.Seed
		out.Seed = &seed
	}
	if len(ps.Stop) > 0 {
		out.Stop = append([]string(nil), ps.Stop...)
	}
}

// wireFloat converts a setting to go-openai's float32. go-openai leaves out
// a zero (its fields are omitempty), which would silently give the server's
// default (1) to a caller who asked for 0; the smallest positive float32,
// which the API reads as 0, is the workaround its maintainers recommend
// (sashabaranov/go-openai#9).
func wireFloat(v float64) float32 {
	if v == 0 {
		return math.SmallestNonzeroFloat32
	}
	return float32(v)
}

// reasoningModel reports whether model is one of OpenAI's reasoning models
// (o1, o3, o4-mini, gpt-5 and their variants). The prefixes are go-openai's
// own: it refuses max_tokens for exactly these before sending anything.
func reasoningModel(model string) bool {
	for _, prefix := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(model, prefix) {
			return true
		}
	}
	return false
}

// messages converts the conversation. Thoughts are dropped: chat
// completions has no way to send reasoning back, whoever wrote it.
func (p *Provider) messages(in []llm.Message) ([]goopenai.ChatCompletionMessage, error) {
	var out []goopenai.ChatCompletionMessage
	for i, m := range in {
		switch m.Role {
		case llm.RoleSystem, llm.RoleUser:
			var texts []string
			for _, part := range m.Content {
				switch part := part.(type) {
				case llm.Text:
					texts = append(texts, string(part))
				case llm.Thought:
				default:
					return nil, p.badRequest("message %d (%s) holds a %T, which only assistant or tool messages can carry", i, m.Role, part)
				}
			}
			out = append(out, textMessage(string(m.Role), texts))
		case llm.RoleAssistant:
			msg := goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleAssistant}
			var text strings.Builder
			for _, part := range m.Content {
				switch part := part.(type) {
				case llm.Text:
					text.WriteString(string(part))
				case llm.ToolCall:
					msg.ToolCalls = append(msg.ToolCalls, goopenai.ToolCall{
						ID:       part.ID,
						Type:     goopenai.ToolTypeFunction,
						Function: goopenai.FunctionCall{Name: part.Name, Arguments: arguments(part.Arguments)},
					})
				case llm.Thought:
				default:
					return nil, p.badRequest("message %d (assistant) holds a %T", i, part)
				}
			}
			msg.Content = text.String()
			out = append(out, msg)
		case llm.RoleTool:
			// One tool message per output, each naming the call it answers.
			// go-openai cannot send an empty content (the field is
			// omitempty), so an output of "" arrives without one, which
			// OpenAI refuses as a bad request.
			for _, part := range m.Content {
				o, ok := part.(llm.ToolOutput)
				if !ok {
					return nil, p.badRequest("message %d (tool) holds a %T; tool messages carry tool outputs only", i, part)
				}
				out = append(out, goopenai.ChatCompletionMessage{
					Role:       goopenai.ChatMessageRoleTool,
					ToolCallID: o.ID,
					Content:    o.Content(),
				})
			}
		default:
			return nil, p.badRequest("message %d has the unknown role %q", i, m.Role)
		}
	}
	return out, nil
}

// textMessage sends one text as a plain string, the form every compatible
// server accepts, and several as content parts, so their boundaries stay.
func textMessage(role string, texts []string) goopenai.ChatCompletionMessage {
	if len(texts) <= 1 {
		return goopenai.ChatCompletionMessage{Role: role, Content: strings.Join(texts, "")}
	}
	parts := make([]goopenai.ChatMessagePart, len(texts))
	for i, t := range texts {
		parts[i] = goopenai.ChatMessagePart{Type: goopenai.ChatMessagePartTypeText, Text: t}
	}
	return goopenai.ChatCompletionMessage{Role: role, MultiContent: parts}
}

// arguments sends a tool call's arguments as the model wrote them, byte for
// byte; an empty call is the empty object, which the API requires.
func arguments(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "{}"
	}
	return string(raw)
}

// tool converts a tool definition. A strict tool gets its schema adapted as
// strict mode requires (see strictSchema).
func (p *Provider) tool(def llm.ToolDefinition) (goopenai.Tool, error) {
	params := []byte(def.Parameters)
	if len(bytes.TrimSpace(params)) == 0 {
		params = []byte(`{"type":"object","properties":{}}`)
	}
	if def.Strict {
		var err error
		if params, err = strictSchema(params); err != nil {
			return goopenai.Tool{}, p.badRequest("tool %s: %v", def.Name, err)
		}
	} else if !json.Valid(params) {
		return goopenai.Tool{}, p.badRequest("tool %s: the parameters are not valid JSON", def.Name)
	}
	return goopenai.Tool{
		Type: goopenai.ToolTypeFunction,
		Function: &goopenai.FunctionDefinition{
			Name:        def.Name,
			Description: def.Description,
			Strict:      def.Strict,
			Parameters:  json.RawMessage(params),
		},
	}, nil
}

// toolChoice converts the engine's choice: a mode, or the name of the one
// tool the model must call.
func toolChoice(choice string) any {
	switch choice {
	case "":
		return nil
	case "auto", "none", "required":
		return choice
	}
	return goopenai.ToolChoice{Type: goopenai.ToolTypeFunction, Function: goopenai.ToolFunction{Name: choice}}
}

// schemaName makes a format name acceptable as json_schema.name, which
// OpenAI limits to 64 letters, digits, '_' and '-'.
func schemaName(name string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, name)
	if clean == "" {
		clean = "Output"
	}
	if len(clean) > 64 {
		clean = clean[:64]
	}
	return clean
}
