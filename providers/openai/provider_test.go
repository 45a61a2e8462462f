package openai_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	"github.com/llmhost/llmhost/providers/openai"
)

// capture is a chat-completions endpoint that records each request body and
// answers with a canned response.
type capture struct {
	mu     sync.Mutex
	bodies []map[string]any
	status int
	header http.Header
	body   string
}

func newCapture(t *testing.T, status int, body string, header ...string) (*capture, *openai.Provider) {
	t.Helper()
	c := &capture{status: status, body: body, header: http.Header{}}
	for i := 0; i+1 < len(header); i += 2 {
		c.header.Set(header[i], header[i+1])
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	p, err := openai.New(llm.Config{Provider: "openai", BaseURL: srv.URL + "/v1", APIKey: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	json.Unmarshal(raw, &body)
	c.mu.Lock()
	c.bodies = append(c.bodies, body)
	c.mu.Unlock()
	for k, v := range c.header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(c.status)
	io.WriteString(w, c.body)
}

func (c *capture) requests() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.bodies...)
}

// completionBody is a minimal chat completion answering with message and
// finish reason.
func completionBody(message, finish string) string {
	return fmt.Sprintf(`{"id":"x","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":%s,"finish_reason":%q}],
		"usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}`, message, finish)
}

var helloBody = completionBody(`{"role":"assistant","content":"Hello!"}`, "stop")

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

// TestRequestShape sends one request that exercises every conversion and
// compares the body with the one OpenAI documents.
func TestRequestShape(t *testing.T) {
	c, p := newCapture(t, 200, helloBody)
	no, temp0, topP, seed := false, 0.0, 0.5, 7
	_, err := p.Complete(t.Context(), &llm.Request{
		Model: "gpt-4o",
		Messages: []llm.Message{
			llm.System("Be brief."),
			{Role: llm.RoleUser, Content: []llm.Part{llm.Text("first"), llm.Text("second")}},
			{Role: llm.RoleAssistant, Model: "anthropic/claude-sonnet-4-0", Content: []llm.Part{
				llm.Thought{Text: "Let me add.", Signature: "c2lnbmF0dXJl"}, // another provider's: dropped
				llm.Text("Adding."),
				llm.ToolCall{ID: "toolu_1", Name: "add", Arguments: json.RawMessage(`{"a": 1, "b": 2}`)},
				llm.ToolCall{ID: "toolu_2", Name: "now"},
			}},
			{Role: llm.RoleTool, Content: []llm.Part{
				llm.ToolOutput{ID: "toolu_1", Name: "add", Result: "3"},
				llm.ToolOutput{ID: "toolu_2", Name: "now", Error: &llm.Error{Kind: llm.KindToolExecution, Message: "no clock"}},
			}},
		},
		Params: llm.Params{Temperature: &temp0, TopP: &topP, MaxTokens: 100, Seed: &seed, Stop: []string{"END"}},
		Tools: []llm.ToolDefinition{
			{Name: "add", Description: "Add two numbers.", Strict: true,
				Parameters: json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a"]}`)},
			{Name: "now", Description: "The time."},
		},
		ToolChoice:        "add",
		ParallelToolCalls: &no,
		Format: &llm.ResponseFormat{Mode: llm.FormatStrict, Name: "Sum result", Description: "The sum.",
			Schema: json.RawMessage(`{"type":"object","properties":{"sum":{"type":"integer"}}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := decode(t, `{
		"model": "gpt-4o",
		"stream": false,
		"messages": [
			{"role": "system", "content": "Be brief."},
			{"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]},
			{"role": "assistant", "content": "Adding.", "tool_calls": [
				{"id": "toolu_1", "type": "function", "function": {"name": "add", "arguments": "{\"a\": 1, \"b\": 2}"}},
				{"id": "toolu_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
			{"role": "tool", "tool_call_id": "toolu_1", "content": "3"},
			{"role": "tool", "tool_call_id": "toolu_2", "content": "no clock"}
		],
		"temperature": 1e-45,
		"top_p": 0.5,
		"max_tokens": 100,
		"seed": 7,
		"stop": ["END"],
		"tools": [
			{"type": "function", "function": {"name": "add", "description": "Add two numbers.", "strict": true,
				"parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
					"required": ["a", "b"], "additionalProperties": false}}},
			{"type": "function", "function": {"name": "now", "description": "The time.",
				"parameters": {"type": "object", "properties": {}}}}
		],
		"tool_choice": {"type": "function", "function": {"name": "add"}},
		"parallel_tool_calls": false,
		"response_format": {"type": "json_schema", "json_schema": {"name": "Sum_result", "description": "The sum.", "strict": true,
			"schema": {"type": "object", "properties": {"sum": {"type": "integer"}}, "additionalProperties": false, "required": ["sum"]}}}
	}`)
	if d := cmp.Diff(want, any(c.requests()[0])); d != "" {
		t.Errorf("request body (-want +got):\n%s", d)
	}
}

func TestModesAndChoices(t *testing.T) {
	tools := []llm.ToolDefinition{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}
	cases := []struct {
		name string
		req  llm.Request
		key  string
		want any // nil: the key must be absent
	}{
		{"json mode", llm.Request{Format: &llm.ResponseFormat{Mode: llm.FormatJSON, Schema: json.RawMessage(`{}`)}},
			"response_format", map[string]any{"type": "json_object"}},
		{"tool mode needs no response format", llm.Request{Format: &llm.ResponseFormat{Mode: llm.FormatTool}}, "response_format", nil},
		{"default tool choice", llm.Request{Tools: tools}, "tool_choice", nil},
		{"auto", llm.Request{Tools: tools, ToolChoice: "auto"}, "tool_choice", "auto"},
		{"none", llm.Request{Tools: tools, ToolChoice: "none"}, "tool_choice", "none"},
		{"required", llm.Request{Tools: tools, ToolChoice: "required"}, "tool_choice", "required"},
		{"parallel calls allowed", llm.Request{Tools: tools, ParallelToolCalls: ptr(true)}, "parallel_tool_calls", true},
		{"no tools, no parallel_tool_calls", llm.Request{ParallelToolCalls: ptr(false)}, "parallel_tool_calls", nil},
		{"max_tokens", llm.Request{Model: "gpt-4.1", Params: llm.Params{MaxTokens: 9}}, "max_tokens", 9.0},
		{"o1 budget", llm.Request{Model: "o1", Params: llm.Params{MaxTokens: 9}}, "max_completion_tokens", 9.0},
		{"o3-mini budget", llm.Request{Model: "o3-mini", Params: llm.Params{MaxTokens: 9}}, "max_completion_tokens", 9.0},
		{"o4-mini budget", llm.Request{Model: "o4-mini", Params: llm.Params{MaxTokens: 9}}, "max_completion_tokens", 9.0},
		{"gpt-5-nano budget", llm.Request{Model: "gpt-5-nano", Params: llm.Params{MaxTokens: 9}}, "max_completion_tokens", 9.0},
		{"o1 has no max_tokens", llm.Request{Model: "o1", Params: llm.Params{MaxTokens: 9}}, "max_tokens", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, p := newCapture(t, 200, helloBody)
			req := tc.req
			req.Model = or(req.Model, "gpt-4o")
			req.Messages = []llm.Message{llm.User("Hi")}
			if _, err := p.Complete(t.Context(), &req); err != nil {
				t.Fatal(err)
			}
			got, present := c.requests()[0][tc.key]
			if tc.want == nil {
				if present {
					t.Errorf("%s = %v, want it absent", tc.key, got)
				}
				return
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.key, d)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// TestRefusedBeforeSending: go-openai refuses a temperature for reasoning
// models before sending anything. That is a bad request, and nothing
// reaches the server.
func TestRefusedBeforeSending(t *testing.T) {
	c, p := newCapture(t, 200, helloBody)
	temp := 0.5
	for _, stream := range []bool{false, true} {
		req := &llm.Request{Model: "gpt-5", Messages: []llm.Message{llm.User("Hi")}, Params: llm.Params{Temperature: &temp}}
		var err error
		if stream {
			_, err = p.Stream(t.Context(), req)
		} else {
			_, err = p.Complete(t.Context(), req)
		}
		wantError(t, err, llm.KindBadRequest, 0, "")
	}
	if n := len(c.requests()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestBadRequestsFoundBeforeSending(t *testing.T) {
	_, p := newCapture(t, 200, helloBody)
	cases := map[string]llm.Request{
		"strict tool with broken schema": {Tools: []llm.ToolDefinition{{Name: "f", Strict: true, Parameters: json.RawMessage(`{"type":`)}}},
		"tool with broken schema":        {Tools: []llm.ToolDefinition{{Name: "f", Parameters: json.RawMessage(`{"type":`)}}},
		"strict format, broken schema":   {Format: &llm.ResponseFormat{Mode: llm.FormatStrict, Schema: json.RawMessage(`[1,`)}},
		"tool call in a user message":    {Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{llm.ToolCall{ID: "1"}}}}},
		"text in a tool message":         {Messages: []llm.Message{{Role: llm.RoleTool, Content: []llm.Part{llm.Text("x")}}}},
		"unknown role":                   {Messages: []llm.Message{{Role: "narrator", Content: []llm.Part{llm.Text("x")}}}},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			req.Model = "gpt-4o"
			if req.Messages == nil {
				req.Messages = []llm.Message{llm.User("Hi")}
			}
			_, err := p.Complete(t.Context(), &req)
			e := wantError(t, err, llm.KindBadRequest, 0, "")
			if e.Provider != "openai" {
				t.Errorf("provider %q, want openai", e.Provider)
			}
		})
	}
}

func TestCompletionConversion(t *testing.T) {
	cases := []struct {
		name       string
		message    string
		finish     string
		wantParts  []llm.Part
		wantFinish llm.FinishReason
	}{
		{"text", `{"role":"assistant","content":"Hi."}`, "stop", []llm.Part{llm.Text("Hi.")}, ""},
		{"length", `{"role":"assistant","content":"Alabama, Alaska"}`, "length", []llm.Part{llm.Text("Alabama, Alaska")}, llm.FinishMaxTokens},
		{"content filter", `{"role":"assistant","content":""}`, "content_filter", nil, llm.FinishRefusal},
		{"refusal", `{"role":"assistant","content":null,"refusal":"I can't help with that."}`, "stop",
			[]llm.Part{llm.Text("I can't help with that.")}, llm.FinishRefusal},
		{"tool calls", `{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":""}}]}`,
			"tool_calls", []llm.Part{llm.ToolCall{ID: "c1", Name: "f", Arguments: json.RawMessage("{}")}}, ""},
		{"reasoning", `{"role":"assistant","content":"42","reasoning_content":"Six times seven."}`, "stop",
			[]llm.Part{llm.Thought{Text: "Six times seven."}, llm.Text("42")}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, p := newCapture(t, 200, completionBody(tc.message, tc.finish))
			got, err := p.Complete(t.Context(), &llm.Request{Model: "gpt-4o", Messages: []llm.Message{llm.User("Hi")}})
			if err != nil {
				t.Fatal(err)
			}
			want := &llm.Completion{
				Message:       llm.Message{Role: llm.RoleAssistant, Content: tc.wantParts},
				Usage:         llm.Usage{InputTokens: 10, OutputTokens: 5, CacheReadTokens: 3, ReasoningTokens: 2},
				FinishReason:  tc.wantFinish,
				ProviderModel: "gpt-4o-2024-08-06",
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("completion (-want +got):\n%s", d)
			}
		})
	}

	t.Run("no choices", func(t *testing.T) {
		_, p := newCapture(t, 200, `{"id":"x","object":"chat.completion","choices":[]}`)
		_, err := p.Complete(t.Context(), &llm.Request{Model: "gpt-4o", Messages: []llm.Message{llm.User("Hi")}})
		wantError(t, err, llm.KindResponseValidation, 200, "the response holds no choices")
	})
}

// TestStatusKinds serves each error status in OpenAI's shape to calls and
// streams of the provider itself: the kind, the status, OpenAI's message,
// and Retry-After come back from Complete and from Stream alike.
func TestStatusKinds(t *testing.T) {
	cases := []struct {
		status int
		kind   llm.Kind
	}{
		{400, llm.KindBadRequest}, {401, llm.KindAuthentication}, {403, llm.KindPermission},
		{404, llm.KindNotFound}, {408, llm.KindTimeout}, {409, llm.KindBadRequest}, {413, llm.KindBadRequest},
		{422, llm.KindBadRequest}, {429, llm.KindRateLimit}, {500, llm.KindServer}, {502, llm.KindServer},
		{503, llm.KindServer}, {504, llm.KindServer}, {529, llm.KindServer},
	}
	for _, tc := range cases {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/stream=%v", tc.status, stream), func(t *testing.T) {
				er := replay.ErrorResponse(replay.OpenAI, tc.status, "", "Retry-After", "3")
				_, p := newCapture(t, er.Status, er.Body, "Content-Type", er.Headers["content-type"], "Retry-After", "3")
				req := &llm.Request{Model: "gpt-4o", Messages: []llm.Message{llm.User("Hi")}}
				var err error
				if stream {
					_, err = p.Stream(t.Context(), req)
				} else {
					_, err = p.Complete(t.Context(), req)
				}
				var body struct{ Error struct{ Message string } }
				json.Unmarshal([]byte(er.Body), &body)
				e := wantError(t, err, tc.kind, tc.status, body.Error.Message)
				if e.RetryAfter != 3*time.Second || e.Provider != "openai" {
					t.Errorf("RetryAfter %v, provider %q; want 3s, openai", e.RetryAfter, e.Provider)
				}
				var apiErr *goopenai.APIError
				if !errors.As(err, &apiErr) {
					t.Errorf("the error does not carry go-openai's *APIError as its cause")
				}
			})
		}
	}

	t.Run("a proxy's page", func(t *testing.T) {
		page := "<html><body><h1>502 Bad Gateway</h1></body></html>\n"
		_, p := newCapture(t, 502, page, "Content-Type", "text/html")
		_, err := p.Complete(t.Context(), &llm.Request{Model: "gpt-4o", Messages: []llm.Message{llm.User("Hi")}})
		wantError(t, err, llm.KindServer, 502, strings.TrimSpace(page))
	})

	t.Run("an error without a body", func(t *testing.T) {
		_, p := newCapture(t, 503, "")
		_, err := p.Complete(t.Context(), &llm.Request{Model: "gpt-4o", Messages: []llm.Message{llm.User("Hi")}})
		wantError(t, err, llm.KindServer, 503, "Service Unavailable")
	})
}

// TestStreamChunks reads the recorded parallel tool calls through the
// provider's own Stream: deltas by index, each naming its call (see
// chunkReader), then the finish and the usage.
func TestStreamChunks(t *testing.T) {
	r := serve(t, "test_call_with_tools/openai_gpt_4o_completions/stream.json", func(c *replay.Cassette) {
		c.Interactions = c.Interactions[:1]
	})
	p, err := openai.New(llm.Config{BaseURL: r.srv.BaseURL(), APIKey: "test"})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := p.Stream(t.Context(), &llm.Request{Model: "gpt-4o", Messages: []llm.Message{llm.User("Hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	args := map[int]string{}
	var finish []llm.FinishReason
	var usage llm.Usage
	for {
		c, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.ProviderModel != "gpt-4o-2024-08-06" {
			t.Errorf("chunk %+v does not name the provider's model", c)
		}
		switch c.Kind {
		case llm.ChunkToolCall:
			if c.ToolCall.Name != "secret_retrieval_tool" {
				t.Errorf("tool-call delta %+v does not name its call", c.ToolCall)
			}
			args[c.ToolCall.Index] += c.ToolCall.Arguments
		case llm.ChunkFinish:
			finish = append(finish, c.FinishReason)
		case llm.ChunkUsage:
			usage = c.Usage
		}
	}
	want := map[int]string{0: `{"password": "mellon"}`, 1: `{"password": "radiance"}`}
	if d := cmp.Diff(want, args); d != "" {
		t.Errorf("arguments by index (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]llm.FinishReason{""}, finish); d != "" {
		t.Errorf("finish chunks (-want +got):\n%s", d)
	}
	if usage != (llm.Usage{InputTokens: 75, OutputTokens: 53}) {
		t.Errorf("usage %+v", usage)
	}
	if err := rd.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestConcurrentExchangesStayApart: many calls and streams share one
// Provider, each rate-limited with its own Retry-After. Each error carries
// its own response's header, never a neighbour's.
func TestConcurrentExchangesStayApart(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Model string }
		json.NewDecoder(r.Body).Decode(&body)
		er := replay.ErrorResponse(replay.OpenAI, 429, "")
		w.Header().Set("Content-Type", er.Headers["content-type"])
		w.Header().Set("Retry-After", strings.TrimPrefix(body.Model, "m"))
		w.WriteHeader(429)
		io.WriteString(w, er.Body)
	}))
	t.Cleanup(srv.Close)
	p, err := openai.New(llm.Config{BaseURL: srv.URL + "/v1", APIKey: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 1; i <= 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &llm.Request{Model: fmt.Sprintf("m%d", i), Messages: []llm.Message{llm.User("Hi")}}
			var err error
			if i%2 == 0 {
				_, err = p.Stream(t.Context(), req)
			} else {
				_, err = p.Complete(t.Context(), req)
			}
			var e *llm.Error
			if !errors.As(err, &e) || e.RetryAfter != time.Duration(i)*time.Second {
				t.Errorf("request %d: got %v, want a rate limit with Retry-After %ds", i, err, i)
			}
		}()
	}
	wg.Wait()
}
