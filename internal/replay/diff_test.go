package replay

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func received(t *testing.T, method, path, query, body string) Received {
	t.Helper()
	r := Received{Index: 0, Method: method, Path: path, RawBody: []byte(body)}
	r.Query, _ = url.ParseQuery(query)
	if json.Unmarshal([]byte(body), &r.Body) != nil {
		r.Body = nil
	}
	return r
}

func recorded(t *testing.T, uri, body string) Request {
	t.Helper()
	r := Request{Method: "POST", URI: uri}
	if err := json.Unmarshal([]byte(body), &r.Body); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDiffRequest(t *testing.T) {
	const uri = "https://api.openai.com/v1/chat/completions"
	want := recorded(t, uri, `{"model":"gpt-4o","stream":true,
		"messages":[{"role":"user","content":"hi"},
		            {"role":"assistant","content":null,"annotations":[],
		             "tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"}}]}],
		"stream_options":{"include_usage":true}}`)

	tests := []struct {
		name     string
		sent     string
		path     string
		opts     []DiffOption
		wantDiff []string // substrings of the diff; none means equal
	}{
		{
			name: "nulls are absent; other differences count",
			sent: `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"},{"role":"assistant","annotations":[],"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"}}]}],"stream_options":{"include_usage":true}}`,
		},
		{
			name:     "a different model shows in the diff",
			sent:     `{"model":"gpt-4o-mini","stream":true,"messages":[]}`,
			opts:     []DiffOption{Fields("model", "stream")},
			wantDiff: []string{`"gpt-4o"`, `"gpt-4o-mini"`},
		},
		{
			name:     "the path is always compared",
			sent:     `{"model":"gpt-4o"}`,
			path:     "/v1/completions",
			opts:     []DiffOption{Fields("model")},
			wantDiff: []string{"Path", "/v1/completions"},
		},
		{
			name: "Fields with wildcards and Ignore pick what counts",
			sent: `{"model":"other","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"}}]}]}`,
			opts: []DiffOption{Fields("messages.*.role", "messages.*.tool_calls"), Ignore("model")},
		},
		{
			name:     "tool arguments differ in spacing only",
			sent:     `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}]}`,
			opts:     []DiffOption{Fields("messages"), Ignore("messages.*.annotations")},
			wantDiff: []string{"arguments"},
		},
		{
			name: "DecodeJSONStrings compares the arguments as JSON",
			sent: `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}]}`,
			opts: []DiffOption{Fields("messages"), Ignore("messages.*.annotations"), DecodeJSONStrings()},
		},
		{
			name: "IgnoreEmpty drops [] and false",
			sent: `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"}}]}],"stream_options":{"include_usage":true},"parallel_tool_calls":false}`,
			opts: []DiffOption{IgnoreEmpty()},
		},
		{
			name: "CollapseTextBlocks equates a single text block with a string",
			sent: `{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
			opts: []DiffOption{Fields("messages.0"), CollapseTextBlocks()},
		},
		{
			name:     "a non-JSON body is shown as sent",
			sent:     `not json`,
			opts:     []DiffOption{Fields("model")},
			wantDiff: []string{"non-JSON body: not json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "/v1/chat/completions"
			}
			d := DiffRequest(want, received(t, "POST", path, "", tt.sent), tt.opts...)
			if len(tt.wantDiff) == 0 && d != "" {
				t.Errorf("unexpected diff:\n%s", d)
			}
			if len(tt.wantDiff) > 0 && d == "" {
				t.Error("no diff, want one")
			}
			for _, s := range tt.wantDiff {
				if !strings.Contains(d, s) {
					t.Errorf("diff lacks %q:\n%s", s, d)
				}
			}
		})
	}
	if want.Body["messages"].([]any)[1].(map[string]any)["content"] != nil {
		t.Error("normalisation modified the recorded body")
	}
	if _, ok := want.Body["messages"].([]any)[1].(map[string]any)["content"]; !ok {
		t.Error("normalisation removed a member of the recorded body")
	}
}

func TestDiffRequestQuery(t *testing.T) {
	want := recorded(t, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", `{"contents":[]}`)
	path := "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
	if d := DiffRequest(want, received(t, "POST", path, "alt=sse", `{"contents":[]}`)); d != "" {
		t.Errorf("same query: %s", d)
	}
	if d := DiffRequest(want, received(t, "POST", path, "", `{"contents":[]}`)); !strings.Contains(d, "Query") {
		t.Errorf("missing query not reported: %q", d)
	}
}

func TestDiffJSON(t *testing.T) {
	var a, b any
	json.Unmarshal([]byte(`{"x":[1,{"y":null}],"z":""}`), &a)
	json.Unmarshal([]byte(`{"x":[1,{}]}`), &b)
	if d := DiffJSON(a, b, IgnoreEmpty()); d != "" {
		t.Errorf("DiffJSON: %s", d)
	}
	if d := DiffJSON(a, b); d == "" {
		t.Error("without IgnoreEmpty an empty string is a value")
	}
}
