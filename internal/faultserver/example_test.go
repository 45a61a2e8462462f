package faultserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/llmhost/llmhost/internal/faultserver"
)

func chat(s *faultserver.Server, body string) (*http.Response, string) {
	resp, err := http.Post(s.URL()+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var c struct {
		Choices []struct{ Message struct{ Content string } }
	}
	json.NewDecoder(resp.Body).Decode(&c)
	if len(c.Choices) == 0 {
		return resp, ""
	}
	return resp, c.Choices[0].Message.Content
}

// A rate limit, then the answer: what a client with retries sees.
func Example() {
	s := faultserver.New()
	defer s.Close()
	s.Script("gpt-4o-mini",
		faultserver.RateLimit(2*time.Second),
		faultserver.Text("Hello!"),
	)

	const req = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}`
	resp, _ := chat(s, req)
	fmt.Println(resp.StatusCode, "Retry-After:", resp.Header.Get("Retry-After"))
	resp, text := chat(s, req)
	fmt.Println(resp.StatusCode, text)

	for _, r := range s.Requests("gpt-4o-mini") {
		fmt.Printf("request %d: %s\n", r.Seq, r.Step)
	}
	// Output:
	// 429 Retry-After: 2
	// 200 Hello!
	// request 0: HTTP 429 rate limit (Retry-After: 2)
	// request 1: text "Hello!"
}

// A scripted model that calls a tool, then answers from its result.
func ExampleFunc() {
	s := faultserver.New()
	defer s.Close()
	agent := faultserver.Func(func(r faultserver.Request) faultserver.Step {
		if last := r.LastMessage(); last.Role == "tool" {
			return faultserver.Text("It is " + last.Content + ".")
		}
		return faultserver.ToolCalls([]faultserver.ToolCall{{ID: "call_1", Name: "clock", Arguments: `{}`}})
	})
	s.Script(faultserver.AnyModel, faultserver.Repeat(2, agent)...)

	chat(s, `{"model":"m","messages":[{"role":"user","content":"What time is it?"}]}`)
	_, text := chat(s, `{"model":"m","messages":[
		{"role":"user","content":"What time is it?"},
		{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"clock","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"noon"}]}`)
	fmt.Println(text)
	for _, r := range s.AllRequests() {
		fmt.Println(r.Step)
	}
	// Output:
	// It is noon.
	// func → tool calls clock
	// func → text "It is noon."
}
