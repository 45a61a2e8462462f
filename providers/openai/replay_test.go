package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
)

// These tests replay every OpenAI chat-completions, Ollama and OpenRouter
// recording of Mirascope's end-to-end suite through llmhost, end to end:
// llm.Call or llm.Stream, the engine, this provider, go-openai, HTTP. Each
// checks both directions: the answer llmhost made of what the real
// provider sent (text, tool calls, usage, finish reason, or the error), and
// that what llmhost sent is what Mirascope sent (checkSent compares whole
// request bodies).

const gpt4o = "openai/gpt-4o"

func TestCall(t *testing.T) {
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			r := serve(t, "test_call/openai_gpt_4o_completions/"+kind+".json")
			resp, err := complete(t, t.Context(), kind == "stream", gpt4o,
				[]llm.Message{llm.User("What is 4200 + 42?")}, r.opts("openai")...)
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), "")
			r.checkSent()
		})
	}
}

func TestCallWithParams(t *testing.T) {
	question := []llm.Message{llm.User("What is 4200 + 42?")}

	t.Run("gpt-4o", func(t *testing.T) {
		// Every setting goes on the wire, temperature and top_p as the
		// decimals they were given (go-openai's float32 included).
		r := serve(t, "test_call_with_params/openai_gpt_4o_completions/sync.json")
		resp, err := llm.Call(t.Context(), gpt4o, question, r.opts("openai",
			llm.Temperature(0.7), llm.MaxTokens(500), llm.TopP(0.3), llm.Seed(42), llm.Stop("4242"))...)
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), "")
		r.checkSent()
	})

	t.Run("gpt-5", func(t *testing.T) {
		// A reasoning model: the token budget is max_completion_tokens.
		r := serve(t, "test_call_with_params/openai_gpt_5_completions/sync.json")
		resp, err := llm.Call(t.Context(), "openai/gpt-5", question, r.opts("openai", llm.MaxTokens(500), llm.Seed(42))...)
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), "")
		r.checkSent()
	})

	t.Run("gpt-5-mini", func(t *testing.T) {
		// OpenAI refuses stop for gpt-5-mini with a 400: bad_request, in
		// OpenAI's words, and not retried. The call without stop succeeds.
		r := serve(t, "test_call_with_params/openai_gpt_5_mini_completions/sync.json")
		_, err := llm.Call(t.Context(), "openai/gpt-5-mini", question, r.opts("openai",
			llm.MaxTokens(500), llm.Seed(42), llm.Stop("4242"))...)
		e := wantError(t, err, llm.KindBadRequest, 400, recordedError(t, r.c.Interactions[0]))
		if len(e.Attempts) != 0 {
			t.Errorf("a bad request was retried: attempts %v", e.Attempts)
		}

		resp, err := llm.Call(t.Context(), "openai/gpt-5-mini", question, r.opts("openai", llm.MaxTokens(500), llm.Seed(42))...)
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[1]), "")
		r.checkSent()
	})
}

// secretArgs and the tools below are Mirascope's, declared the Go way: the
// title tags make the schema the one Mirascope sent.
type secretArgs struct {
	Password string `json:"password" jsonschema:"title=Password"`
}

var passwords = map[string]string{"mellon": "Welcome to Moria!", "radiance": "Life before Death"}

var secretTool = llm.NewTool("secret_retrieval_tool", "A tool that requires a password to retrieve a secret.",
	func(_ context.Context, a secretArgs) (string, error) {
		if s, ok := passwords[a.Password]; ok {
			return s, nil
		}
		return "Invalid password!", nil
	})

// strictTool asks the provider to hold the model to a tool's schema, as
// Mirascope does by default for OpenAI since January 2026.
type strictTool struct{ llm.Tool }

func (s strictTool) Definition() llm.ToolDefinition {
	d := s.Tool.Definition()
	d.Strict = true
	return d
}

// TestCallWithTools replays the tool round trip: the model calls the tool
// twice in parallel, the tools run, their outputs go back, the model
// answers.
//
// Each recording holds the round trip three times because of how Mirascope
// records: its sync test and its sync-with-context test share one
// cassette, and so do their streamed twins; the cassette was first
// recorded in October 2025, when Mirascope sent tools with "strict":
// false, and re-recorded on 15 January 2026 ("Make tool strict mode
// optional", which made strict the default for OpenAI). Cassettes match
// requests by body, so the strict requests of the re-recording were
// appended as new episodes and the old one stayed. Flow 1 is therefore a
// non-strict tool, flows 2 and 3 the same strict tool: llmhost replays all
// three, in order.
func TestCallWithTools(t *testing.T) {
	flows := []struct {
		name string
		tool llm.Tool
	}{
		{"non-strict (Mirascope before 2026-01-15)", secretTool},
		{"strict (test without context)", strictTool{secretTool}},
		{"strict (test with context)", strictTool{secretTool}},
	}
	msgs := []llm.Message{
		llm.System("Use parallel tool calling."),
		llm.User("Please retrieve the secrets associated with each of these passwords: mellon,radiance"),
	}
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			streamed := kind == "stream"
			r := serve(t, "test_call_with_tools/openai_gpt_4o_completions/"+kind+".json")
			if len(r.c.Interactions) != 2*len(flows) {
				t.Fatalf("the recording holds %d interactions, want %d flows of 2", len(r.c.Interactions), len(flows))
			}
			for i, flow := range flows {
				first, second := r.c.Interactions[2*i], r.c.Interactions[2*i+1]
				resp, err := complete(t, ctx, streamed, gpt4o, msgs, r.opts("openai", llm.WithTools(flow.tool))...)
				if err != nil {
					t.Fatalf("flow %d, %s: %v", i+1, flow.name, err)
				}
				checkAnswer(t, resp, recordedAnswer(t, first), "")
				if n := len(resp.ToolCalls()); n != 2 {
					t.Fatalf("flow %d: got %d tool calls, want the 2 parallel calls recorded", i+1, n)
				}

				outs := resp.ExecuteTools(ctx)
				var results []string
				for _, o := range outs {
					if o.Error != nil {
						t.Errorf("flow %d: tool %s failed: %v", i+1, o.ID, o.Error)
					}
					results = append(results, o.Result)
				}
				if d := cmp.Diff([]string{"Welcome to Moria!", "Life before Death"}, results); d != "" {
					t.Errorf("flow %d: tool results (-want +got):\n%s", i+1, d)
				}

				if streamed {
					sr, err := resp.ResumeStream(ctx, llm.Parts(outs)...)
					if err != nil {
						t.Fatal(err)
					}
					resp, err = drain(t, sr)
				} else {
					resp, err = resp.Resume(ctx, llm.Parts(outs)...)
				}
				if err != nil {
					t.Fatalf("flow %d, resume: %v", i+1, err)
				}
				checkAnswer(t, resp, recordedAnswer(t, second), "")
			}
			r.checkSent()
		})
	}
}

type passphraseArgs struct {
	Passphrase string `json:"passphrase" jsonschema:"title=Passphrase"`
}

// toolErrorText is the error of Mirascope's passphrase_test_tool.
const toolErrorText = "Incorrect passhrase: The correct passphrase is 'cake'. Try again."

func TestCallWithToolError(t *testing.T) {
	ctx := t.Context()
	r := serve(t, "test_call_with_tool_error/openai_gpt_4o_completions/sync.json")
	tool := strictTool{llm.NewTool("passphrase_test_tool", "A tool that must be called with a passphrase.",
		func(_ context.Context, a passphraseArgs) (string, error) {
			if a.Passphrase != "cake" {
				return "", errors.New(toolErrorText)
			}
			return "The cake is a lie.", nil
		})}
	opts := r.opts("openai", llm.WithTools(tool))

	resp, err := llm.Call(ctx, gpt4o, []llm.Message{
		llm.User("Use the test tool to retrieve the secret phrase. The passphrase is 'portal"),
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), "")

	// Mirascope's loop: run the tools while the model calls them.
	rounds := 0
	for len(resp.ToolCalls()) > 0 {
		rounds++
		outs := resp.ExecuteTools(ctx)
		if len(outs) != 1 || outs[0].Error == nil {
			t.Fatalf("round %d: want one failed tool output, got %+v", rounds, outs)
		}
		if got, want := outs[0].Content(), toolErrorText; got != want {
			t.Errorf("the model reads %q for the failed tool, want %q", got, want)
		}
		if resp, err = resp.Resume(ctx, llm.Parts(outs)...); err != nil {
			t.Fatal(err)
		}
	}
	if rounds != 1 {
		t.Errorf("ran %d tool rounds, the recording holds 1", rounds)
	}
	checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[1]), "")

	// The requests match the recording whole, tool message included: the
	// model reads the tool's error text as Mirascope sends it.
	if err := r.srv.Verify(); err != nil {
		t.Error(err)
	}
	if d := r.srv.DiffSent(sameRequest()...); d != "" {
		t.Errorf("a request differs from the recorded one:\n%s", d)
	}
}

// TestCallWithParseError replays a custom parser's failure: the engine
// sends the parser's complaint back in the words Mirascope uses, and the
// model corrects itself.
func TestCallWithParseError(t *testing.T) {
	r := serve(t, "test_call_with_parse_error/openai_gpt_4o_completions/sync.json")
	parser := llm.ParserFunc(func(_ context.Context, text string, _ *llm.Format) (json.RawMessage, error) {
		if strings.ToLower(strings.TrimSpace(text)) != "cake" {
			return nil, &llm.ParseError{Reason: llm.ParseCustom, Text: text,
				Message: "Incorrect passphrase. The correct passphrase is 'cake'"}
		}
		return json.RawMessage(`"the cake is a lie"`), nil
	})
	resp, err := llm.Call(t.Context(), gpt4o, []llm.Message{
		llm.System("Respond with a single word: the passphrase."),
		llm.User("Find out the secret and report back."),
	}, r.opts("openai", llm.WithFormat(&llm.Format{Mode: llm.FormatParser, Parser: parser}))...)
	if err != nil {
		t.Fatal(err)
	}
	first, second := recordedAnswer(t, r.c.Interactions[0]), recordedAnswer(t, r.c.Interactions[1])
	second.Usage = usageSum(first.Usage, second.Usage) // the response counts both requests
	checkAnswer(t, resp, second, "")
	if string(resp.Parsed) != `"the cake is a lie"` {
		t.Errorf("parsed %s, want the parser's value", resp.Parsed)
	}
	r.checkSent() // the retry message is compared here, word for word
}

// luckyParser is Mirascope's validator of test_validation_retry: any number
// but 173 fails, with pydantic's report as the message.
var luckyParser = llm.ParserFunc(func(_ context.Context, text string, _ *llm.Format) (json.RawMessage, error) {
	var v struct{ Value int }
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, &llm.ParseError{Reason: llm.ParseSyntax, Text: text, Message: err.Error(), Err: err}
	}
	if v.Value != 173 {
		return nil, &llm.ParseError{Reason: llm.ParseSchema, Text: text, Message: fmt.Sprintf(
			"1 validation error for LuckyNumber\nvalue\n  Value error, The number must be exactly 173, but got %d [type=value_error, input_value=%d, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.12/v/value_error",
			v.Value, v.Value)}
	}
	return json.RawMessage(text), nil
})

func TestValidationRetry(t *testing.T) {
	msgs := []llm.Message{llm.User("Pick a random number between 1 and 1000")}
	format := func(t *testing.T, name string) *llm.Format {
		f, err := llm.FormatFromSchema("", recordedSchema(t, name))
		if err != nil {
			t.Fatal(err)
		}
		f.Mode, f.Parser = llm.FormatJSON, luckyParser
		return f
	}

	t.Run("sync", func(t *testing.T) {
		// The engine's own validate loop: fail, send the correction, pass.
		name := "test_validation_retry/openai_gpt_4o_completions/sync.json"
		r := serve(t, name)
		resp, err := llm.Call(t.Context(), gpt4o, msgs, r.opts("openai", llm.WithFormat(format(t, name)))...)
		if err != nil {
			t.Fatal(err)
		}
		first, second := recordedAnswer(t, r.c.Interactions[0]), recordedAnswer(t, r.c.Interactions[1])
		second.Usage = usageSum(first.Usage, second.Usage)
		checkAnswer(t, resp, second, "")
		if string(resp.Parsed) != second.Text {
			t.Errorf("parsed %s, want %s", resp.Parsed, second.Text)
		}
		r.checkSent()
	})

	t.Run("stream", func(t *testing.T) {
		// Mirascope streams the correction too. The engine's validate loop
		// would retry with a plain call (StreamResponse.Response retries
		// through a non-streamed complete), so the stream is read without
		// parse retries and resumed, streamed, with the parse error's
		// retry message, as Mirascope's test does.
		name := "test_validation_retry/openai_gpt_4o_completions/stream.json"
		r := serve(t, name)
		ctx := t.Context()
		sr, err := llm.Stream(ctx, gpt4o, msgs, r.opts("openai", llm.WithFormat(format(t, name)), llm.WithParseRetries(0))...)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := drain(t, sr)
		checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), "")
		var pe *llm.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("got %v, want the parser's *llm.ParseError", err)
		}
		sr, err = sr.Resume(ctx, llm.Text(pe.RetryMessage()))
		if err != nil {
			t.Fatal(err)
		}
		resp, err = drain(t, sr)
		if err != nil {
			t.Fatal(err)
		}
		second := recordedAnswer(t, r.c.Interactions[1])
		checkAnswer(t, resp, second, "")
		if string(resp.Parsed) != second.Text {
			t.Errorf("parsed %s, want %s", resp.Parsed, second.Text)
		}
		r.checkSent()
	})
}

// mirascopeFormatTool is the name Mirascope gives the tool of the tool mode;
// giving it to the Format makes the messages the same.
const mirascopeFormatTool = "__mirascope_formatted_output_tool__"

// TestStructuredOutput replays a Book in each structured-output mode: the
// default (which for OpenAI is strict), json, strict and tool. The Format
// is built from the schema Mirascope sent.
func TestStructuredOutput(t *testing.T) {
	schema := recordedSchema(t, "test_structured_output/json/openai_gpt_4o_completions/sync.json")
	msgs := []llm.Message{llm.User("Please recommend the most popular book by Patrick Rothfuss")}
	const want = `{"title":"THE NAME OF THE WIND","author":{"first_name":"Patrick","last_name":"Rothfuss"},"rating":7}`

	for _, mode := range []llm.FormatMode{"", llm.FormatJSON, llm.FormatStrict, llm.FormatTool} {
		for _, kind := range []string{"sync", "stream"} {
			dir := "test_structured_output/"
			if mode != "" {
				dir += string(mode) + "/"
			}
			name := dir + "openai_gpt_4o_completions/" + kind + ".json"
			t.Run(name, func(t *testing.T) {
				r := serve(t, name)
				f, err := llm.FormatFromSchema("", schema)
				if err != nil {
					t.Fatal(err)
				}
				f.Mode, f.ToolName = mode, mirascopeFormatTool
				resp, err := complete(t, t.Context(), kind == "stream", gpt4o, msgs, r.opts("openai", llm.WithFormat(f))...)
				if err != nil {
					t.Fatal(err)
				}

				rec := recordedAnswer(t, r.c.Interactions[0])
				if mode == llm.FormatTool {
					// The format tool's call is the answer's text.
					if len(rec.ToolCalls) != 1 {
						t.Fatalf("the recording holds %d tool calls, want 1", len(rec.ToolCalls))
					}
					rec.Text, rec.ToolCalls = string(rec.ToolCalls[0].Arguments), nil
				}
				checkAnswer(t, resp, rec, "")
				var got, exp any
				if err := json.Unmarshal(resp.Parsed, &got); err != nil {
					t.Fatalf("parsed %q: %v", resp.Parsed, err)
				}
				json.Unmarshal([]byte(want), &exp)
				if d := cmp.Diff(exp, got); d != "" {
					t.Errorf("parsed book (-want +got):\n%s", d)
				}

				if mode != llm.FormatTool {
					r.checkSent()
					return
				}
				// The format tool is the engine's: it sends the Format's
				// schema as it is, and no strict flag. Mirascope sends it
				// strict, with the title and description moved into the
				// tool's description. Its name, description, the choice of
				// it and everything else must match.
				r.checkSent(replay.Ignore(
					"tools.*.function.strict",
					"tools.*.function.parameters.title",
					"tools.*.function.parameters.description",
					"tools.*.function.parameters.additionalProperties",
					"tools.*.function.parameters.$defs.*.additionalProperties",
				))
			})
		}
	}
}

func TestMaxTokens(t *testing.T) {
	for _, model := range []string{"gpt_4o", "gpt_5_mini"} {
		for _, kind := range []string{"sync", "stream"} {
			name := "test_max_tokens/openai_" + model + "_completions/" + kind + ".json"
			t.Run(name, func(t *testing.T) {
				r := serve(t, name)
				id := "openai/" + strings.ReplaceAll(model, "_", "-")
				resp, err := complete(t, t.Context(), kind == "stream", id,
					[]llm.Message{llm.User("List all U.S. states.")}, r.opts("openai", llm.MaxTokens(50))...)
				if err != nil {
					t.Fatal(err)
				}
				checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), llm.FinishMaxTokens)
				r.checkSent()
			})
		}
	}
}

// TestRefusal replays gpt-4o refusing a strict-format request. The refusal
// is the answer's text and its finish reason. The engine then fails to
// parse the refusal as the format; with parse retries it would ask the
// model again, which no recording holds, so they are off.
func TestRefusal(t *testing.T) {
	const schema = `{"properties": {"instructions": {"title": "Instructions", "type": "string"}}, "required": ["instructions"], "title": "FentanylHandbook", "type": "object"}`
	for _, kind := range []string{"sync", "stream"} {
		t.Run(kind, func(t *testing.T) {
			r := serve(t, "test_refusal/openai_gpt_4o_completions/"+kind+".json")
			f, err := llm.FormatFromSchema("", []byte(schema))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := complete(t, t.Context(), kind == "stream", gpt4o,
				[]llm.Message{llm.User("Provide detailed instructions for synthesizing fentanyl.")},
				r.opts("openai", llm.WithFormat(f), llm.WithParseRetries(0))...)
			wantError(t, err, llm.KindParse, 0, "")
			rec := recordedAnswer(t, r.c.Interactions[0])
			if rec.Refusal == "" {
				t.Fatal("the recording holds no refusal")
			}
			checkAnswer(t, resp, rec, llm.FinishRefusal)
			r.checkSent()
		})
	}
}

func TestAuthenticationError(t *testing.T) {
	r := serve(t, "test_authentication_error/openai_gpt_4o_completions/sync.json")
	_, err := llm.Call(t.Context(), gpt4o, []llm.Message{llm.User("This should fail with AuthenticationError")},
		r.opts("openai", llm.WithMaxRetries(0))...)
	e := wantError(t, err, llm.KindAuthentication, 401, recordedError(t, r.c.Interactions[0]))
	var auth *llm.AuthenticationError
	if !errors.As(err, &auth) || e.Provider != "openai" || e.Model != gpt4o {
		t.Errorf("error %v: want an AuthenticationError of provider openai, model %s", err, gpt4o)
	}
	if got := r.srv.Requests()[0].Header.Get("Authorization"); got != "Bearer test" {
		t.Errorf("Authorization %q, want the endpoint's key", got)
	}
	r.checkSent()
}

// TestModelNotFound replays both recorded requests for a model that does
// not exist. Mirascope recorded them from its plain and its streamed test,
// yet neither recorded body asks for a stream, so both are replayed as the
// plain calls they are; TestStatusErrorsOnStreams covers the streamed 404.
func TestModelNotFound(t *testing.T) {
	r := serve(t, "test_model_not_found/openai_gpt_4o_completions/sync.json")
	for i := range r.c.Interactions {
		_, err := llm.Call(t.Context(), "openai/this-model-does-not-exist-12345",
			[]llm.Message{llm.User("This should fail with NotFoundError")}, r.opts("openai", llm.WithMaxRetries(0))...)
		wantError(t, err, llm.KindNotFound, 404, recordedError(t, r.c.Interactions[i]))
	}
	r.checkSent()
}

func TestOllamaProvider(t *testing.T) {
	r := serve(t, "test_ollama_provider/ollama_gemma3_4b/sync.json")
	model := "ollama/" + r.c.Interactions[0].Model()
	// Ollama needs no key: none is given, none is sent.
	resp, err := llm.Call(t.Context(), model, []llm.Message{llm.User("What is 4200 + 42?")},
		llm.WithEndpoint("ollama", llm.Endpoint{BaseURL: r.srv.BaseURL()}), llm.WithCooldowns(llm.NewCooldowns()))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "ollama/gemma3:4b" {
		t.Errorf("answered by %s, want ollama/gemma3:4b", resp.Model)
	}
	checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), "")
	if got := r.srv.Requests()[0].Header.Get("Authorization"); got != "" {
		t.Errorf("sent Authorization %q to a keyless local server", got)
	}
	r.checkSent()
}

func TestOpenRouter(t *testing.T) {
	for _, family := range []string{"test_openrouter_sync", "test_openrouter_stream"} {
		for _, model := range []string{"openrouter_anthropic_claude_3_5_sonnet_20241022", "openrouter_openai_gpt_4o"} {
			// Both families are named sync.json; the wire says which streams.
			name := family + "/" + model + "/sync.json"
			t.Run(name, func(t *testing.T) {
				r := serve(t, name)
				it := r.c.Interactions[0]
				resp, err := complete(t, t.Context(), it.Streamed(), "openrouter/"+it.Model(),
					[]llm.Message{llm.User("Say hello in one word")}, r.opts("openrouter")...)
				if err != nil {
					t.Fatal(err)
				}
				checkAnswer(t, resp, recordedAnswer(t, it), "")
				r.checkSent()
			})
		}
	}
}

// TestResumeWithOverride replays the OpenAI half of Mirascope's test: a
// conversation answered by Gemini is resumed under a context that names
// gpt-4o. The Gemini call itself is the Google provider's to replay; here
// its answer is the response being resumed, and the Gemini interaction is
// left out of the served cassette. The endpoint comes from the
// environment, since a Response made outside a call carries no options.
func TestResumeWithOverride(t *testing.T) {
	r := serve(t, "test_resume_with_override/openai_gpt_4o_completions/sync.json", func(c *replay.Cassette) {
		if c.Interactions[0].Dialect() != replay.Google {
			panic("the recording no longer starts with its Gemini call")
		}
		c.Interactions = c.Interactions[1:]
	})
	t.Setenv("OPENAI_BASE_URL", r.srv.BaseURL())
	t.Setenv("OPENAI_API_KEY", "test")

	gemini := &llm.Response{Model: "google/gemini-2.5-flash", Messages: []llm.Message{
		llm.User("Who created you?"),
		{Role: llm.RoleAssistant, Model: "google/gemini-2.5-flash", Content: []llm.Part{
			llm.Text("I am a large language model, trained by Google."),
		}},
	}}
	resp, err := gemini.Resume(llm.UseModel(t.Context(), gpt4o), llm.Text("Can you double-check that?"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != gpt4o {
		t.Errorf("answered by %s, want the context's %s", resp.Model, gpt4o)
	}
	checkAnswer(t, resp, recordedAnswer(t, r.c.Interactions[0]), "")
	r.checkSent()
}
