package google

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/genai"

	"github.com/llmhost/llmhost/llm"
)

// generatedIDPrefix starts the ids the provider gives Gemini's function
// calls, which usually come without one.
const generatedIDPrefix = "gemini-call:"

// callID returns the id of the n-th function call (from 0) of the answer
// responseID: Gemini's own when it sent one, else one made from the answer
// and the position, which is the same however often the answer is decoded
// and differs between the answers of a conversation.
func callID(fc *genai.FunctionCall, responseID string, n int) string {
	if fc.ID != "" {
		return fc.ID
	}
	return fmt.Sprintf("%s%s:%d", generatedIDPrefix, responseID, n)
}

// wireID is the id to send back with a call or its output: none for the
// ids the provider made up, which Gemini never saw.
func wireID(id string) string {
	if strings.HasPrefix(id, generatedIDPrefix) {
		return ""
	}
	return id
}

// decodeResponse turns a generateContent answer into a Completion.
func decodeResponse(resp *genai.GenerateContentResponse) *llm.Completion {
	c := &llm.Completion{
		Message:       llm.Message{Role: llm.RoleAssistant},
		Usage:         usageOf(resp.UsageMetadata),
		FinishReason:  finishOf(resp),
		ProviderModel: resp.ModelVersion,
	}
	if cand := firstCandidate(resp); cand != nil && cand.Content != nil {
		var d partDecoder
		for _, part := range cand.Content.Parts {
			c.Message.Content = append(c.Message.Content, d.parts(part, resp.ResponseID)...)
		}
	}
	return c
}

// partDecoder turns Gemini parts into llm parts, numbering function calls
// across the parts of one answer (or the chunks of one stream).
type partDecoder struct{ calls int }

// parts returns the llm parts of one Gemini part: the thought, text or call
// it holds, then, when the part is signed and is not a thought, an
// llm.Thought holding only the signature (see the package doc).
func (d *partDecoder) parts(part *genai.Part, responseID string) []llm.Part {
	if part == nil {
		return nil
	}
	sig := ""
	if len(part.ThoughtSignature) > 0 {
		sig = base64.StdEncoding.EncodeToString(part.ThoughtSignature)
	}
	var out []llm.Part
	switch {
	case part.Thought:
		return []llm.Part{llm.Thought{Text: part.Text, Signature: sig}}
	case part.FunctionCall != nil:
		fc := part.FunctionCall
		out = append(out, llm.ToolCall{ID: callID(fc, responseID, d.calls), Name: fc.Name, Arguments: argumentsJSON(fc.Args)})
		d.calls++
	case part.Text != "":
		out = append(out, llm.Text(part.Text))
	}
	if sig != "" {
		out = append(out, llm.Thought{Signature: sig})
	}
	return out
}

// argumentsJSON encodes a call's arguments as the JSON object the engine
// wants. The SDK decoded them into a map, so their key order is the
// encoder's, not the model's.
func argumentsJSON(args map[string]any) json.RawMessage {
	if args == nil {
		return json.RawMessage("{}")
	}
	b, err := json.Marshal(args)
	if err != nil {
		// A map decoded from JSON always encodes again.
		return json.RawMessage("{}")
	}
	return b
}

func firstCandidate(resp *genai.GenerateContentResponse) *genai.Candidate {
	if resp == nil || len(resp.Candidates) == 0 {
		return nil
	}
	return resp.Candidates[0]
}

// usageOf maps Gemini's token counts. Output counts the thinking tokens too,
// which Google bills as output, as OpenAI's completion tokens include
// reasoning; ReasoningTokens says how many of them were thinking. Input is
// promptTokenCount, which includes the tokens read from a cache.
func usageOf(u *genai.GenerateContentResponseUsageMetadata) llm.Usage {
	if u == nil {
		return llm.Usage{}
	}
	return llm.Usage{
		InputTokens:     int(u.PromptTokenCount),
		OutputTokens:    int(u.CandidatesTokenCount + u.ThoughtsTokenCount),
		CacheReadTokens: int(u.CachedContentTokenCount),
		ReasoningTokens: int(u.ThoughtsTokenCount),
	}
}

// finishOf maps the finish reason of the answer. A prompt blocked before
// any candidate was made is a refusal too.
func finishOf(resp *genai.GenerateContentResponse) llm.FinishReason {
	if cand := firstCandidate(resp); cand != nil {
		return finishReason(cand.FinishReason)
	}
	if resp != nil && resp.PromptFeedback != nil && resp.PromptFeedback.BlockReason != "" {
		return llm.FinishRefusal
	}
	return ""
}

// finishReason maps Gemini's finish reasons: MAX_TOKENS is max_tokens,
// and every reason that means "stopped by a safety or policy filter" is a
// refusal. STOP and the rest are normal ends.
func finishReason(r genai.FinishReason) llm.FinishReason {
	switch r {
	case genai.FinishReasonMaxTokens:
		return llm.FinishMaxTokens
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII,
		genai.FinishReasonImageSafety, genai.FinishReasonImageProhibitedContent, genai.FinishReasonImageRecitation:
		return llm.FinishRefusal
	}
	return ""
}
