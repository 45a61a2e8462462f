package openai_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/llm"
	"github.com/llmhost/llmhost/providers/openai"
)

// builtins are the named servers and the rules each must follow.
var builtins = []struct {
	name, baseURL, keyEnv, baseURLEnv string
	keyOptional                       bool
}{
	{"llamacpp", "http://localhost:8080/v1", "LLAMACPP_API_KEY", "LLAMACPP_BASE_URL", true},
	{"lmstudio", "http://localhost:1234/v1", "LMSTUDIO_API_KEY", "LMSTUDIO_BASE_URL", true},
	{"ollama", "http://localhost:11434/v1", "OLLAMA_API_KEY", "OLLAMA_BASE_URL", true},
	{"openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL", false},
	{"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", false},
	{"together", "https://api.together.xyz/v1", "TOGETHER_API_KEY", "TOGETHER_BASE_URL", false},
	{"vllm", "http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL", true},
}

// keyServer records the Authorization header of each request and answers
// with a greeting.
func keyServer(t *testing.T) (url string, auth func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(helloBody))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestBuiltinServers(t *testing.T) {
	registered := map[string]openai.Server{}
	for _, s := range openai.Servers() {
		registered[s.Name] = s
	}
	for _, b := range builtins {
		t.Run(b.name, func(t *testing.T) {
			s, ok := registered[b.name]
			if !ok || !slices.Contains(llm.Drivers(), b.name) {
				t.Fatalf("%s is not registered", b.name)
			}
			got := []any{s.BaseURL, s.KeyEnv, s.BaseURLEnv, s.KeyOptional}
			if d := cmp.Diff([]any{b.baseURL, b.keyEnv, b.baseURLEnv, b.keyOptional}, got); d != "" {
				t.Errorf("base URL, key variable, base URL variable, key optional (-want +got):\n%s", d)
			}

			t.Run("defaults", func(t *testing.T) {
				t.Setenv(b.keyEnv, "")
				t.Setenv(b.baseURLEnv, "")
				p, err := openai.New(llm.Config{Provider: b.name})
				if !b.keyOptional {
					e := wantError(t, err, llm.KindMissingAPIKey, 0, "")
					if !strings.HasPrefix(e.Message, b.keyEnv+" is not set") || e.Provider != b.name {
						t.Errorf("the missing-key error %q (provider %q) does not name %s first", e.Message, e.Provider, b.keyEnv)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.BaseURL() != b.baseURL || p.Name() != b.name {
					t.Errorf("opened %s at %s, want %s at %s", p.Name(), p.BaseURL(), b.name, b.baseURL)
				}
			})

			t.Run("environment", func(t *testing.T) {
				url, auth := keyServer(t)
				t.Setenv(b.baseURLEnv, url)
				t.Setenv(b.keyEnv, "env-key")
				p, err := openai.New(llm.Config{Provider: b.name})
				if err != nil {
					t.Fatal(err)
				}
				if p.BaseURL() != url {
					t.Errorf("base URL %s, want %s from %s", p.BaseURL(), url, b.baseURLEnv)
				}
				if _, err := p.Complete(t.Context(), &llm.Request{Model: "m", Messages: []llm.Message{llm.User("Hi")}}); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff([]string{"Bearer env-key"}, auth()); d != "" {
					t.Errorf("Authorization (-want +got):\n%s", d)
				}
			})

			t.Run("endpoint wins over environment", func(t *testing.T) {
				url, auth := keyServer(t)
				t.Setenv(b.baseURLEnv, "http://192.0.2.1:1/v1") // would never answer
				t.Setenv(b.keyEnv, "env-key")
				resp, err := llm.Call(t.Context(), b.name+"/m", []llm.Message{llm.User("Hi")},
					llm.WithEndpoint(b.name, llm.Endpoint{BaseURL: url + "/", APIKey: "endpoint-key"}))
				if err != nil {
					t.Fatal(err)
				}
				if resp.Text() != "Hello!" {
					t.Errorf("answer %q", resp.Text())
				}
				if d := cmp.Diff([]string{"Bearer endpoint-key"}, auth()); d != "" {
					t.Errorf("Authorization (-want +got):\n%s", d)
				}
			})

			if b.keyOptional {
				t.Run("no key, no Authorization", func(t *testing.T) {
					url, auth := keyServer(t)
					t.Setenv(b.keyEnv, "")
					p, err := openai.New(llm.Config{Provider: b.name, BaseURL: url})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := p.Complete(t.Context(), &llm.Request{Model: "m", Messages: []llm.Message{llm.User("Hi")}}); err != nil {
						t.Fatal(err)
					}
					if d := cmp.Diff([]string{""}, auth()); d != "" {
						t.Errorf("Authorization (-want +got):\n%s", d)
					}
				})
			}
		})
	}
}

// TestMissingKeyThroughTheEngine: the error a user sees names the variable
// to set, and nothing is retried.
func TestMissingKeyThroughTheEngine(t *testing.T) {
	t.Setenv("OPENROUTER_API_KEY", "")
	_, err := llm.Call(t.Context(), "openrouter/openai/gpt-4o", []llm.Message{llm.User("Hi")}, llm.WithCooldowns(llm.NewCooldowns()))
	e := wantError(t, err, llm.KindMissingAPIKey, 0,
		"OPENROUTER_API_KEY is not set: export it, or pass a key with llm.WithEndpoint")
	var mk *llm.MissingAPIKeyError
	if !errors.As(err, &mk) || len(e.Attempts) != 0 || e.Model != "openrouter/openai/gpt-4o" {
		t.Errorf("error %v: want a MissingAPIKeyError for openrouter/openai/gpt-4o, not retried", err)
	}
}

func TestBadBaseURL(t *testing.T) {
	t.Setenv("OLLAMA_BASE_URL", "localhost:11434/v1")
	_, err := openai.New(llm.Config{Provider: "ollama"})
	e := wantError(t, err, llm.KindBadRequest, 0, "")
	if !strings.Contains(e.Message, "OLLAMA_BASE_URL") {
		t.Errorf("message %q does not name the variable that holds the bad URL", e.Message)
	}
	if _, err := openai.New(llm.Config{Provider: "ollama", BaseURL: "ftp://example.com/v1"}); err == nil {
		t.Error("an ftp base URL was accepted")
	}
}

func TestUnknownServer(t *testing.T) {
	_, err := openai.New(llm.Config{Provider: "no-such-server"})
	wantError(t, err, llm.KindNoProvider, 0, "")
}

var registerAcme sync.Once

func TestRegister(t *testing.T) {
	registerAcme.Do(func() {
		openai.Register(openai.Server{Name: "acme-ai", BaseURL: "https://api.acme.example/v1"})
	})
	var acme *openai.Server
	for _, s := range openai.Servers() {
		if s.Name == "acme-ai" {
			acme = &s
		}
	}
	if acme == nil || !slices.Contains(llm.Drivers(), "acme-ai") {
		t.Fatal("acme-ai is not registered")
	}
	if acme.KeyEnv != "ACME_AI_API_KEY" || acme.BaseURLEnv != "ACME_AI_BASE_URL" {
		t.Errorf("variables %s, %s; want ACME_AI_API_KEY, ACME_AI_BASE_URL", acme.KeyEnv, acme.BaseURLEnv)
	}

	url, auth := keyServer(t)
	t.Setenv("ACME_AI_BASE_URL", url)
	t.Setenv("ACME_AI_API_KEY", "acme-key")
	resp, err := llm.Call(t.Context(), "acme-ai/large", []llm.Message{llm.User("Hi")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "Hello!" || auth()[0] != "Bearer acme-key" {
		t.Errorf("answer %q, Authorization %q", resp.Text(), auth())
	}

	for name, s := range map[string]openai.Server{
		"taken":       {Name: "acme-ai", BaseURL: "https://x.example/v1"},
		"no name":     {BaseURL: "https://x.example/v1"},
		"no base URL": {Name: "nothing"},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			openai.Register(s)
		})
	}
}

func TestCapabilities(t *testing.T) {
	strict := llm.Capabilities{DefaultFormat: llm.FormatStrict, Formats: []llm.FormatMode{llm.FormatTool, llm.FormatJSON, llm.FormatStrict}}
	tool := llm.Capabilities{DefaultFormat: llm.FormatTool, Formats: []llm.FormatMode{llm.FormatTool, llm.FormatJSON, llm.FormatStrict}}
	legacy := llm.Capabilities{DefaultFormat: llm.FormatTool, Formats: []llm.FormatMode{llm.FormatTool, llm.FormatJSON}}
	cases := []struct {
		server, model string
		want          llm.Capabilities
	}{
		{"openai", "gpt-4o", strict},
		{"openai", "gpt-5-mini", strict},
		{"openai", "gpt-4.1", strict},
		{"openai", "gpt-3.5-turbo", legacy},
		{"openai", "gpt-4", legacy},
		{"openai", "gpt-4-turbo", legacy},
		{"openrouter", "openai/gpt-4o", strict},
		{"openrouter", "anthropic/claude-3-5-sonnet-20241022", tool},
		{"together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", tool},
		{"ollama", "gemma3:4b", strict},
		{"vllm", "Qwen/Qwen3-8B", strict},
		{"llamacpp", "any", strict},
		{"lmstudio", "any", llm.Capabilities{DefaultFormat: llm.FormatStrict, Formats: []llm.FormatMode{llm.FormatTool, llm.FormatStrict}}},
	}
	for _, tc := range cases {
		p, err := openai.New(llm.Config{Provider: tc.server, APIKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, p.Capabilities(tc.model)); d != "" {
			t.Errorf("%s/%s capabilities (-want +got):\n%s", tc.server, tc.model, d)
		}
	}
}

// TestDefaultFormatReachesTheWire: a Format without a mode takes each
// server's default, as the request shows.
func TestDefaultFormatReachesTheWire(t *testing.T) {
	type city struct {
		Name string `json:"name"`
	}
	cases := []struct {
		server, key string
		want        func(body map[string]any) bool
	}{
		{"ollama", "response_format", func(b map[string]any) bool {
			rf, _ := b["response_format"].(map[string]any)
			return rf["type"] == "json_schema"
		}},
		{"together", "tool_choice", func(b map[string]any) bool {
			tc, _ := json.Marshal(b["tool_choice"])
			return string(tc) == `{"function":{"name":"__llmhost_formatted_output__"},"type":"function"}`
		}},
	}
	for _, tc := range cases {
		t.Run(tc.server, func(t *testing.T) {
			c, _ := newCapture(t, 200, completionBody(`{"role":"assistant","content":"{\"name\":\"Oslo\"}"}`, "stop"))
			srv := httptest.NewServer(c)
			t.Cleanup(srv.Close)
			_, err := llm.Call(t.Context(), tc.server+"/m", []llm.Message{llm.User("A city?")},
				llm.WithEndpoint(tc.server, llm.Endpoint{BaseURL: srv.URL + "/v1", APIKey: "k"}), llm.WithFormat(llm.FormatFor[city]()))
			if err != nil {
				t.Fatal(err)
			}
			if body := c.requests()[0]; !tc.want(body) {
				t.Errorf("%s = %v: not %s's default mode", tc.key, body[tc.key], tc.server)
			}
		})
	}
}
