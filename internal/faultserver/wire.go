package faultserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// This file holds OpenAI's chat-completions wire shapes, copied field for
// field (and in OpenAI's key order) from recorded traffic, and the plumbing
// that writes them.

const fingerprint = "fp_faultserver"

type completion struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"`
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	Choices           []choice `json:"choices"`
	Usage             usage    `json:"usage"`
	ServiceTier       string   `json:"service_tier"`
	SystemFingerprint string   `json:"system_fingerprint"`
}

type choice struct {
	Index        int     `json:"index"`
	Message      message `json:"message"`
	Logprobs     any     `json:"logprobs"`
	FinishReason string  `json:"finish_reason"`
}

type message struct {
	Role        string         `json:"role"`
	Content     *string        `json:"content"`
	ToolCalls   []wireToolCall `json:"tool_calls,omitempty"`
	Refusal     *string        `json:"refusal"`
	Annotations []any          `json:"annotations"`
}

type wireToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type usage struct {
	PromptTokens            int               `json:"prompt_tokens"`
	CompletionTokens        int               `json:"completion_tokens"`
	TotalTokens             int               `json:"total_tokens"`
	PromptTokensDetails     promptDetails     `json:"prompt_tokens_details"`
	CompletionTokensDetails completionDetails `json:"completion_tokens_details"`
}

type promptDetails struct {
	CachedTokens int `json:"cached_tokens"`
	AudioTokens  int `json:"audio_tokens"`
}

type completionDetails struct {
	ReasoningTokens          int `json:"reasoning_tokens"`
	AudioTokens              int `json:"audio_tokens"`
	AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
	RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
}

func newUsage(prompt, completion int) usage {
	return usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}

type chunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	ServiceTier       string        `json:"service_tier"`
	SystemFingerprint string        `json:"system_fingerprint"`
	Choices           []chunkChoice `json:"choices"`
	// Usage is absent unless the request set stream_options.include_usage;
	// then it is null on every chunk but the last.
	Usage json.RawMessage `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int     `json:"index"`
	Delta        delta   `json:"delta"`
	Logprobs     any     `json:"logprobs"`
	FinishReason *string `json:"finish_reason"`
}

// delta uses raw JSON for content and refusal because OpenAI distinguishes
// absent, null and "" in them (the role chunk carries "content":"" for text
// and "content":null for tool calls).
type delta struct {
	Role      string          `json:"role,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
	Refusal   json.RawMessage `json:"refusal,omitempty"`
	ToolCalls []toolCallDelta `json:"tool_calls,omitempty"`
}

type toolCallDelta struct {
	Index    int           `json:"index"`
	ID       string        `json:"id,omitempty"`
	Type     string        `json:"type,omitempty"`
	Function functionDelta `json:"function"`
}

type functionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// APIError is the body of an OpenAI error: {"error":{"message","type","param","code"}}.
// Empty Param and Code are sent as null, as OpenAI does.
type APIError struct {
	Message string
	Type    string
	Param   string
	Code    string
}

// MarshalJSON writes e in OpenAI's envelope and key order.
func (e APIError) MarshalJSON() ([]byte, error) {
	type detail struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	return json.Marshal(struct {
		Error detail `json:"error"`
	}{detail{e.Message, e.Type, nullable(e.Param), nullable(e.Code)}})
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

var jsonNull = json.RawMessage("null")

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("faultserver: %v", err))
	}
	return b
}

// An exchange is one request being answered.
type exchange struct {
	w   http.ResponseWriter
	r   *http.Request
	rc  *http.ResponseController
	req Request
	// ctx ends when the client goes away or the server closes: whatever
	// waits must wait on it, so nothing outlives its client.
	ctx     context.Context
	id      string
	created int64
}

// writeJSON sends a complete JSON response.
func (x *exchange) writeJSON(status int, v any) {
	body := mustJSON(v)
	x.w.Header().Set("Content-Type", "application/json")
	x.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	x.w.Write(body)
}

// abort drops the connection at once: what was written is flushed, the
// response is never properly ended, and the client reads an unexpected EOF.
// It does not return: net/http recovers the http.ErrAbortHandler panic
// silently and closes the connection.
func (x *exchange) abort() {
	x.rc.Flush()
	panic(http.ErrAbortHandler)
}

// A streamer writes OpenAI's SSE chunks, flushing each so the client sees
// them one by one.
type streamer struct {
	x   *exchange
	err error // the first write error: the client is gone, stop writing
}

func (x *exchange) startStream() *streamer {
	h := x.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	x.w.WriteHeader(http.StatusOK)
	st := &streamer{x: x}
	st.err = x.rc.Flush()
	return st
}

// raw writes s as is and flushes.
func (st *streamer) raw(s string) {
	if st.err != nil {
		return
	}
	if _, err := io.WriteString(st.x.w, s); err != nil {
		st.err = err
		return
	}
	st.err = st.x.rc.Flush()
}

func (st *streamer) newChunk(d delta, finish *string) chunk {
	c := chunk{
		ID: st.x.id, Object: "chat.completion.chunk", Created: st.x.created, Model: st.x.req.Model,
		ServiceTier: "default", SystemFingerprint: fingerprint,
		Choices: []chunkChoice{{Delta: d, FinishReason: finish}},
	}
	if st.x.req.IncludeUsage {
		c.Usage = jsonNull
	}
	return c
}

func (st *streamer) chunk(d delta, finish *string) {
	st.raw("data: " + string(mustJSON(st.newChunk(d, finish))) + "\n\n")
}

// chunkLine returns a chunk's data line without its line end, for cuts.
func (st *streamer) chunkLine(d delta) string {
	return "data: " + string(mustJSON(st.newChunk(d, nil)))
}

func (st *streamer) usage(u usage) {
	if !st.x.req.IncludeUsage {
		return
	}
	c := st.newChunk(delta{}, nil)
	c.Choices = []chunkChoice{}
	c.Usage = mustJSON(u)
	st.raw("data: " + string(mustJSON(c)) + "\n\n")
}

func (st *streamer) done() { st.raw("data: [DONE]\n\n") }
