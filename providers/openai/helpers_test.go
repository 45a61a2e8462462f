package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	_ "github.com/llmhost/llmhost/providers/openai"
)

// covered lists every OpenAI-compatible recording and the test that replays
// it. serve refuses a recording that is not listed, and
// TestEveryCompatibleRecordingIsReplayed fails for a recording on disk that
// is not, so the list stays true both ways.
var covered = map[string]string{
	"test_authentication_error/openai_gpt_4o_completions/sync.json":                    "TestAuthenticationError",
	"test_call/openai_gpt_4o_completions/stream.json":                                  "TestCall",
	"test_call/openai_gpt_4o_completions/sync.json":                                    "TestCall",
	"test_call_with_params/openai_gpt_4o_completions/sync.json":                        "TestCallWithParams",
	"test_call_with_params/openai_gpt_5_completions/sync.json":                         "TestCallWithParams",
	"test_call_with_params/openai_gpt_5_mini_completions/sync.json":                    "TestCallWithParams",
	"test_call_with_parse_error/openai_gpt_4o_completions/sync.json":                   "TestCallWithParseError",
	"test_call_with_tool_error/openai_gpt_4o_completions/sync.json":                    "TestCallWithToolError",
	"test_call_with_tools/openai_gpt_4o_completions/stream.json":                       "TestCallWithTools",
	"test_call_with_tools/openai_gpt_4o_completions/sync.json":                         "TestCallWithTools",
	"test_max_tokens/openai_gpt_4o_completions/stream.json":                            "TestMaxTokens",
	"test_max_tokens/openai_gpt_4o_completions/sync.json":                              "TestMaxTokens",
	"test_max_tokens/openai_gpt_5_mini_completions/stream.json":                        "TestMaxTokens",
	"test_max_tokens/openai_gpt_5_mini_completions/sync.json":                          "TestMaxTokens",
	"test_model_not_found/openai_gpt_4o_completions/sync.json":                         "TestModelNotFound",
	"test_ollama_provider/ollama_gemma3_4b/sync.json":                                  "TestOllamaProvider",
	"test_openrouter_stream/openrouter_anthropic_claude_3_5_sonnet_20241022/sync.json": "TestOpenRouter",
	"test_openrouter_stream/openrouter_openai_gpt_4o/sync.json":                        "TestOpenRouter",
	"test_openrouter_sync/openrouter_anthropic_claude_3_5_sonnet_20241022/sync.json":   "TestOpenRouter",
	"test_openrouter_sync/openrouter_openai_gpt_4o/sync.json":                          "TestOpenRouter",
	"test_refusal/openai_gpt_4o_completions/stream.json":                               "TestRefusal",
	"test_refusal/openai_gpt_4o_completions/sync.json":                                 "TestRefusal",
	"test_resume_with_override/openai_gpt_4o_completions/sync.json":                    "TestResumeWithOverride",
	"test_structured_output/json/openai_gpt_4o_completions/stream.json":                "TestStructuredOutput",
	"test_structured_output/json/openai_gpt_4o_completions/sync.json":                  "TestStructuredOutput",
	"test_structured_output/openai_gpt_4o_completions/stream.json":                     "TestStructuredOutput",
	"test_structured_output/openai_gpt_4o_completions/sync.json":                       "TestStructuredOutput",
	"test_structured_output/strict/openai_gpt_4o_completions/stream.json":              "TestStructuredOutput",
	"test_structured_output/strict/openai_gpt_4o_completions/sync.json":                "TestStructuredOutput",
	"test_structured_output/tool/openai_gpt_4o_completions/stream.json":                "TestStructuredOutput",
	"test_structured_output/tool/openai_gpt_4o_completions/sync.json":                  "TestStructuredOutput",
	"test_validation_retry/openai_gpt_4o_completions/stream.json":                      "TestValidationRetry",
	"test_validation_retry/openai_gpt_4o_completions/sync.json":                        "TestValidationRetry",
}

// compatibleProviders are the recording directories this package speaks
// for: OpenAI's chat completions and the compatible servers.
var compatibleProviders = []string{"openai", "ollama", "openrouter"}

func TestEveryCompatibleRecordingIsReplayed(t *testing.T) {
	recs, err := replay.All()
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, r := range recs {
		if !slices.Contains(compatibleProviders, r.Provider) {
			continue
		}
		onDisk[r.Name] = true
		if covered[r.Name] == "" {
			t.Errorf("recording %s is not replayed by any test: replay it and list it in covered", r.Name)
		}
	}
	for name, test := range covered {
		if !onDisk[name] {
			t.Errorf("covered lists %s (for %s), which is not a recording on disk", name, test)
		}
	}
}

// replayed is a recording served for one test.
type replayed struct {
	t    *testing.T
	name string
	c    *replay.Cassette
	srv  *replay.Server
}

// serve loads a recording, lets mutate change it (to build a fault from it),
// and serves it for the length of the test.
func serve(t *testing.T, name string, mutate ...func(c *replay.Cassette)) *replayed {
	t.Helper()
	if covered[name] == "" {
		t.Fatalf("recording %s is not listed in covered", name)
	}
	c := replay.MustLoad(t, name)
	for _, m := range mutate {
		m(c)
	}
	return &replayed{t: t, name: name, c: c, srv: replay.Serve(t, c)}
}

// opts are the options of a call to the replay server for the provider of
// the recording: its endpoint and key, and a cooldown table of the test's
// own, so that no test's failures make another skip a model.
func (r *replayed) opts(provider string, extra ...llm.Option) []llm.Option {
	return append([]llm.Option{
		llm.WithEndpoint(provider, llm.Endpoint{BaseURL: r.srv.BaseURL(), APIKey: "test"}),
		llm.WithCooldowns(llm.NewCooldowns()),
	}, extra...)
}

// checkSent requires that the requests llmhost sent are exactly the
// recorded ones: every interaction served, in order, and each body equal to
// the recorded body but for sameRequest's allowances. extra adjusts the
// comparison where a test documents why.
func (r *replayed) checkSent(extra ...replay.DiffOption) {
	r.t.Helper()
	if err := r.srv.Verify(); err != nil {
		r.t.Errorf("%s: the requests differ from the recording:\n%v", r.name, err)
	}
	if d := r.srv.DiffSent(append(sameRequest(), extra...)...); d != "" {
		r.t.Errorf("%s: a request llmhost sent differs from the recorded one:\n%s", r.name, d)
	}
}

// sameRequest compares request bodies whole, allowing only what is the same
// request to the API written another way (a null member is absent already,
// see replay.DiffRequest):
//
//   - "stream": false and "strict": false are their defaults; go-openai
//     always writes the first and never the second, the Python SDK the
//     reverse.
//   - "annotations" of an assistant message is a response field that
//     Mirascope echoes back (always [] here) and the API ignores.
//
// replay.IgnoreEmpty would say more: it treats every false as absent, which
// would hide a missing "parallel_tool_calls": false or
// "additionalProperties": false.
func sameRequest() []replay.DiffOption {
	return []replay.DiffOption{
		replay.Ignore("messages.*.annotations"),
		replay.CmpOptions(cmp.Transformer("falseIsDefault", func(m map[string]any) map[string]any {
			out := make(map[string]any, len(m))
			for k, v := range m {
				if (k == "stream" || k == "strict") && v == false {
					continue
				}
				out[k] = v
			}
			return out
		})),
	}
}

// answer is what a recorded response says, read straight from the wire
// with no help from the provider under test: the oracle of the assertions.
type answer struct {
	Text      string // content, concatenated
	Refusal   string
	ToolCalls []llm.ToolCall
	Finish    string // finish_reason as sent
	Usage     llm.Usage
	Model     string
}

func recordedAnswer(t *testing.T, it replay.Interaction) answer {
	t.Helper()
	var a answer
	if !it.Streamed() {
		var body wireCompletion
		if err := json.Unmarshal([]byte(it.Response.Body), &body); err != nil {
			t.Fatalf("recorded body does not decode: %v", err)
		}
		a.Model = body.Model
		a.Usage = body.Usage.llm()
		if len(body.Choices) > 0 {
			c := body.Choices[0]
			a.Text, a.Refusal, a.Finish = c.Message.Content, c.Message.Refusal, c.FinishReason
			for _, tc := range c.Message.ToolCalls {
				a.ToolCalls = append(a.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: json.RawMessage(tc.Function.Arguments)})
			}
		}
		return a
	}
	calls := map[int]*llm.ToolCall{}
	var order []int
	for _, ev := range it.Events() {
		data, ok := strings.CutPrefix(strings.TrimSpace(ev), "data:")
		data = strings.TrimSpace(data)
		if !ok || data == "[DONE]" {
			continue
		}
		var chunk wireChunk
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("recorded event does not decode: %v\n%s", err, data)
		}
		a.Model = chunk.Model
		if chunk.Usage != nil {
			a.Usage = chunk.Usage.llm()
		}
		for _, c := range chunk.Choices {
			a.Text += c.Delta.Content
			a.Refusal += c.Delta.Refusal
			if c.FinishReason != "" {
				a.Finish = c.FinishReason
			}
			for _, tc := range c.Delta.ToolCalls {
				call, ok := calls[tc.Index]
				if !ok {
					call = &llm.ToolCall{}
					calls[tc.Index] = call
					order = append(order, tc.Index)
				}
				if tc.ID != "" {
					call.ID = tc.ID
				}
				if tc.Function.Name != "" {
					call.Name = tc.Function.Name
				}
				call.Arguments = append(call.Arguments, tc.Function.Arguments...)
			}
		}
	}
	for _, i := range order {
		a.ToolCalls = append(a.ToolCalls, *calls[i])
	}
	return a
}

// The wire shapes the oracle reads, as OpenAI documents them.
type (
	wireCompletion struct {
		Model   string `json:"model"`
		Choices []struct {
			Message struct {
				Content   string         `json:"content"`
				Refusal   string         `json:"refusal"`
				ToolCalls []wireToolCall `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage wireUsage `json:"usage"`
	}
	wireChunk struct {
		Model   string `json:"model"`
		Choices []struct {
			Delta struct {
				Content   string         `json:"content"`
				Refusal   string         `json:"refusal"`
				ToolCalls []wireToolCall `json:"tool_calls"`
			} `json:"delta"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage *wireUsage `json:"usage"`
	}
	wireToolCall struct {
		Index    int    `json:"index"`
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	wireUsage struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		PromptTokensDetails struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
		CompletionTokensDetails struct {
			ReasoningTokens int `json:"reasoning_tokens"`
		} `json:"completion_tokens_details"`
	}
)

func (u wireUsage) llm() llm.Usage {
	return llm.Usage{
		InputTokens:     u.PromptTokens,
		OutputTokens:    u.CompletionTokens,
		CacheReadTokens: u.PromptTokensDetails.CachedTokens,
		ReasoningTokens: u.CompletionTokensDetails.ReasoningTokens,
	}
}

// checkAnswer compares a response with the recorded answer: text (a
// refusal's words being the text), tool calls with their ids, names and
// arguments, usage, the provider's model name, and the finish reason the
// test expects.
func checkAnswer(t *testing.T, resp *llm.Response, want answer, finish llm.FinishReason) {
	t.Helper()
	if resp == nil {
		t.Fatal("no response")
	}
	got := struct {
		Text          string
		ToolCalls     []llm.ToolCall
		Usage         llm.Usage
		ProviderModel string
		FinishReason  llm.FinishReason
	}{resp.Text(), resp.ToolCalls(), resp.Usage, resp.ProviderModel, resp.FinishReason}
	exp := got
	exp.Text = want.Text + want.Refusal
	exp.ToolCalls = want.ToolCalls
	exp.Usage = want.Usage
	exp.ProviderModel = want.Model
	exp.FinishReason = finish
	if d := cmp.Diff(exp, got); d != "" {
		t.Errorf("the response differs from the recorded answer (-recorded +got):\n%s", d)
	}
}

// complete makes a call, plain or streamed. A streamed call is read chunk
// by chunk, and the text it streamed must be the text of its response.
func complete(t *testing.T, ctx context.Context, streamed bool, model string, msgs []llm.Message, opts ...llm.Option) (*llm.Response, error) {
	t.Helper()
	if !streamed {
		return llm.Call(ctx, model, msgs, opts...)
	}
	sr, err := llm.Stream(ctx, model, msgs, opts...)
	if err != nil {
		return nil, err
	}
	return drain(t, sr)
}

// drain reads a stream to its end and returns its Response.
func drain(t *testing.T, sr *llm.StreamResponse) (*llm.Response, error) {
	t.Helper()
	var streamed strings.Builder
	for c, err := range sr.Chunks() {
		if err != nil {
			break
		}
		if c.Kind == llm.ChunkText {
			streamed.WriteString(c.Text)
		}
	}
	resp, err := sr.Response()
	if resp != nil && streamed.String() != resp.Text() {
		t.Errorf("the stream's text deltas make %q, but its response's text is %q", streamed.String(), resp.Text())
	}
	return resp, err
}

// wantError requires err to be an *llm.Error of kind, with status and
// message when they are given (0, "" to skip).
func wantError(t *testing.T, err error, kind llm.Kind, status int, message string) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want an *llm.Error of kind %s", err, err, kind)
	}
	got := fmt.Sprintf("kind=%s status=%d", e.Kind, e.Status)
	want := fmt.Sprintf("kind=%s status=%d", kind, status)
	if status == 0 {
		got = fmt.Sprintf("kind=%s", e.Kind)
		want = fmt.Sprintf("kind=%s", kind)
	}
	if got != want {
		t.Errorf("got error %s (%v), want %s", got, e, want)
	}
	if message != "" && e.Message != message {
		t.Errorf("got error message %q, want the provider's own %q", e.Message, message)
	}
	return e
}

// recordedError reads the message of a recorded OpenAI error body.
func recordedError(t *testing.T, it replay.Interaction) string {
	t.Helper()
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(it.Response.Body), &body); err != nil || body.Error.Message == "" {
		t.Fatalf("recorded body is not an OpenAI error: %v\n%s", err, it.Response.Body)
	}
	return body.Error.Message
}

// recordedSchema extracts the JSON Schema that a json-mode recording put in
// its system prompt, byte for byte, so that formats are built from exactly
// what Mirascope sent.
func recordedSchema(t *testing.T, name string) []byte {
	t.Helper()
	c := replay.MustLoad(t, name)
	msgs, _ := c.Interactions[0].Request.Body["messages"].([]any)
	for _, m := range msgs {
		m, _ := m.(map[string]any)
		content, _ := m["content"].(string)
		if schema, ok := strings.CutPrefix(content, jsonInstruction); ok && m["role"] == "system" {
			return []byte(schema)
		}
	}
	t.Fatalf("%s: no system message holds a schema", name)
	return nil
}

// jsonInstruction is how Mirascope (and llmhost) introduce the schema of
// the json mode.
const jsonInstruction = "Respond only with valid JSON that matches this exact schema:\n"

func usageSum(us ...llm.Usage) llm.Usage {
	var sum llm.Usage
	for _, u := range us {
		sum.InputTokens += u.InputTokens
		sum.OutputTokens += u.OutputTokens
		sum.CacheReadTokens += u.CacheReadTokens
		sum.ReasoningTokens += u.ReasoningTokens
	}
	return sum
}
