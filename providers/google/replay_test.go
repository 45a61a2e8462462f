package google_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genai"

	"github.com/llmhost/llmhost/internal/replay"
	"github.com/llmhost/llmhost/llm"
	"github.com/llmhost/llmhost/providers/google"
)

// The recorded tests come from Mirascope's end-to-end suite; the inputs
// below (prompts, tools, schemas, parsers) are the ones Mirascope's tests
// used, so that the requests llmhost sends can be compared with the
// recorded ones.

const mirascopeTool = "__mirascope_formatted_output_tool__"

// replayed maps each test family to the test that replays its recordings.
var replayed = map[string]func(t *testing.T, s *session){
	"test_call":                  testCall,
	"test_call_with_params":      testCallWithParams,
	"test_call_with_tools":       testCallWithTools,
	"test_call_with_tool_error":  testCallWithToolError,
	"test_call_with_parse_error": testCallWithParseError,
	"test_validation_retry":      testValidationRetry,
	"test_structured_output":     testStructuredOutput,
	"test_max_tokens":            testMaxTokens,
	"test_refusal":               testRefusal,
	"test_authentication_error":  testAuthenticationError,
	"test_model_not_found":       testModelNotFound,
}

// elsewhere lists the families replayed by another package, and where.
var elsewhere = map[string]string{
	"test_resume_with_override": "providers/all (it needs the anthropic provider too)",
}

// TestReplay replays every Google recording through the engine, end to
// end, checking what the engine read and that the requests sent are the
// recorded ones.
func TestReplay(t *testing.T) {
	var recs []replay.Recording
	for _, pattern := range []string{"*/google_*/*.json", "*/*/google_*/*.json"} {
		r, err := replay.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r...)
	}
	if len(recs) < 24 {
		t.Fatalf("found %d Google recordings; the fixtures hold more", len(recs))
	}
	for _, rec := range recs {
		t.Run(rec.Name, func(t *testing.T) {
			if where, ok := elsewhere[rec.Family]; ok {
				t.Logf("replayed in %s", where)
				return
			}
			test, ok := replayed[rec.Family]
			if !ok {
				t.Fatalf("no test replays the family %s", rec.Family)
			}
			test(t, openRecording(t, rec))
		})
	}
}

// checkAnswer compares the response with the recorded answer of
// interaction i.
func checkAnswer(t *testing.T, s *session, resp *llm.Response, i int, formatTool string) {
	t.Helper()
	checkAnswerSince(t, s, resp, i, i, formatTool)
}

// checkAnswerSince is checkAnswer for a call that made the requests from
// interaction first to i: the usage is their sum.
func checkAnswerSince(t *testing.T, s *session, resp *llm.Response, first, i int, formatTool string) {
	t.Helper()
	a := recordedAnswer(t, s.C.Interactions[i])
	if d := cmp.Diff(a.message(s.Model(), formatTool), resp.Message()); d != "" {
		t.Errorf("answer %d differs from the recording (-want +got):\n%s", i, d)
	}
	var usage llm.Usage
	for j := first; j <= i; j++ {
		u := recordedAnswer(t, s.C.Interactions[j]).Usage
		usage.InputTokens += u.InputTokens
		usage.OutputTokens += u.OutputTokens
		usage.ReasoningTokens += u.ReasoningTokens
		usage.CacheReadTokens += u.CacheReadTokens
	}
	type meta struct {
		Usage         llm.Usage
		FinishReason  llm.FinishReason
		ProviderModel string
		Model         string
	}
	want := meta{usage, a.finish(), a.Model, s.Model()}
	got := meta{resp.Usage, resp.FinishReason, resp.ProviderModel, resp.Model}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("answer %d: metadata differs (-want +got):\n%s", i, d)
	}
}

func testCall(t *testing.T, s *session) {
	resp, err := s.Call(context.Background(), []llm.Message{llm.User("What is 4200 + 42?")})
	if err != nil {
		t.Fatal(err)
	}
	// Written out once, so the oracle is checked too.
	if s.Rec.Kind == "sync" {
		if got := resp.Text(); !strings.HasPrefix(got, "To calculate 4200 + 42:") || !strings.HasSuffix(got, "4200 + 42 = **4242**.") {
			t.Errorf("Text() = %q", got)
		}
		if got, want := resp.Usage, (llm.Usage{InputTokens: 13, OutputTokens: 77 + 25, ReasoningTokens: 25}); got != want {
			t.Errorf("Usage = %+v, want %+v", got, want)
		}
	}
	checkAnswer(t, s, resp, 0, "")
	s.checkSent()
}

// testCallWithParams makes the call twice, as Mirascope did (once with a
// thinking budget of 200 tokens, once with none).
func testCallWithParams(t *testing.T, s *session) {
	for i := range s.C.Interactions {
		resp, err := s.Call(context.Background(), []llm.Message{llm.User("What is 4200 + 42?")},
			llm.Temperature(0.7), llm.MaxTokens(500), llm.TopP(0.3), llm.Stop("4242"), llm.Seed(42))
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, s, resp, i, "")
	}
	// Mirascope also sent topK 50 and a thinkingConfig: llm.Params has
	// neither (see the report), so they cannot be sent.
	s.checkSent(replay.Ignore("generationConfig.topK", "generationConfig.thinkingConfig"))
}

type secretArgs struct {
	Password string `json:"password" jsonschema:"title=Password"`
}

var secretTool = llm.NewTool("secret_retrieval_tool", "A tool that requires a password to retrieve a secret.",
	func(_ context.Context, a secretArgs) (string, error) {
		switch a.Password {
		case "mellon":
			return "Welcome to Moria!", nil
		case "radiance":
			return "Life before Death", nil
		}
		return "", fmt.Errorf("invalid password %q", a.Password)
	})

func testCallWithTools(t *testing.T, s *session) {
	ctx := context.Background()
	msgs := []llm.Message{
		llm.System("Use parallel tool calling."),
		llm.User("Please retrieve the secrets associated with each of these passwords: mellon,radiance"),
	}
	resp, err := s.Call(ctx, msgs, llm.WithTools(secretTool))
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, s, resp, 0, "")
	calls := resp.ToolCalls()
	if len(calls) != 2 {
		t.Fatalf("%d tool calls, want 2", len(calls))
	}
	// Gemini sent no ids: the provider made stable ones, the same for the
	// same answer however it arrived.
	for i, c := range calls {
		if want := fmt.Sprintf("gemini-call:%s:%d", responseID(t, s, 0), i); c.ID != want {
			t.Errorf("call %d has id %q, want %q", i, c.ID, want)
		}
	}
	outs := resp.ExecuteTools(ctx)
	want := []llm.ToolOutput{
		{ID: calls[0].ID, Name: "secret_retrieval_tool", Result: "Welcome to Moria!"},
		{ID: calls[1].ID, Name: "secret_retrieval_tool", Result: "Life before Death"},
	}
	if d := cmp.Diff(want, outs); d != "" {
		t.Errorf("tool outputs (-want +got):\n%s", d)
	}
	resp = s.Resume(ctx, resp, llm.Parts(outs)...)
	checkAnswer(t, s, resp, 1, "")
	// The second request carries the first call's thought signature back
	// on its functionCall part, which Gemini requires.
	s.checkSent()
}

// responseID returns the responseId of the recorded answer i.
func responseID(t *testing.T, s *session, i int) string {
	t.Helper()
	body := s.C.Interactions[i].Response.Body
	if s.C.Interactions[i].Streamed() {
		body = strings.TrimSpace(strings.TrimPrefix(strings.SplitN(body, "\r\n", 2)[0], "data: "))
	}
	var r struct {
		ResponseID string `json:"responseId"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return r.ResponseID
}

type passphraseArgs struct {
	Passphrase string `json:"passphrase" jsonschema:"title=Passphrase"`
}

const wrongPassphrase = "Incorrect passhrase: The correct passphrase is 'cake'. Try again."

var passphraseTool = llm.NewTool("passphrase_test_tool", "A tool that must be called with a passphrase.",
	func(_ context.Context, a passphraseArgs) (string, error) {
		if a.Passphrase != "cake" {
			return "", errors.New(wrongPassphrase)
		}
		return "The cake is a lie.", nil
	})

func testCallWithToolError(t *testing.T, s *session) {
	ctx := context.Background()
	resp, err := s.Call(ctx, []llm.Message{llm.User("Use the test tool to retrieve the secret phrase. The passphrase is 'portal")},
		llm.WithTools(passphraseTool))
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, s, resp, 0, "")
	outs := resp.ExecuteTools(ctx)
	if len(outs) != 1 || outs[0].Error == nil {
		t.Fatalf("outputs %+v, want one failed output", outs)
	}
	resp = s.Resume(ctx, resp, llm.Parts(outs)...)
	checkAnswer(t, s, resp, 1, "")

	// The failed output goes back as the error's message alone, which is
	// what Mirascope sent: the whole body is compared.
	contents := s.Srv.Requests()[1].Body["contents"].([]any)
	fr := contents[len(contents)-1].(map[string]any)["parts"].([]any)[0].(map[string]any)["functionResponse"].(map[string]any)
	if out := fr["response"].(map[string]any)["output"]; out != wrongPassphrase {
		t.Errorf("the failed output sent is %q, want %q", out, wrongPassphrase)
	}
	s.checkSent()
}

func testCallWithParseError(t *testing.T, s *session) {
	parser := llm.ParserFunc(func(_ context.Context, text string, _ *llm.Format) (json.RawMessage, error) {
		if text != "cake" {
			return nil, &llm.ParseError{Reason: llm.ParseCustom, Text: text, Message: "Incorrect passphrase. The correct passphrase is 'cake'"}
		}
		return json.RawMessage(`"cake"`), nil
	})
	resp, err := s.Call(context.Background(), []llm.Message{
		llm.System("Respond with a single word: the passphrase."),
		llm.User("Find out the secret and report back."),
	}, llm.WithFormat(&llm.Format{Mode: llm.FormatParser, Parser: parser}))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Parsed) != `"cake"` {
		t.Errorf("Parsed = %s, want \"cake\"", resp.Parsed)
	}
	checkAnswerSince(t, s, resp, 0, 1, "")
	// The engine's retry message is the recorded one: the whole body of the
	// second request is compared.
	s.checkSent()
}

const luckyNumberSchema = `{"description":"A lucky number chosen by the model.","properties":{"value":{"title":"Value","type":"integer"}},"required":["value"],"title":"LuckyNumber","type":"object"}`

var luckyParser = llm.ParserFunc(func(_ context.Context, text string, _ *llm.Format) (json.RawMessage, error) {
	raw, err := llm.ExtractJSON(text)
	if err != nil {
		return nil, err
	}
	var v struct {
		Value int `json:"value"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, &llm.ParseError{Reason: llm.ParseSyntax, Text: text, Message: err.Error(), Err: err}
	}
	if v.Value != 173 {
		return nil, &llm.ParseError{Reason: llm.ParseSchema, Text: text, Message: fmt.Sprintf(
			"1 validation error for LuckyNumber\nvalue\n  Value error, The number must be exactly 173, but got %d [type=value_error, input_value=%d, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.12/v/value_error",
			v.Value, v.Value)}
	}
	return raw, nil
})

// testValidationRetry replays Mirascope's validation retry twice: a
// JSON-mode answer fails the validator, the retry message goes back, the
// second answer passes.
func testValidationRetry(t *testing.T, s *session) {
	f, err := llm.FormatFromSchema("LuckyNumber", []byte(luckyNumberSchema))
	if err != nil {
		t.Fatal(err)
	}
	f.Mode, f.Parser = llm.FormatJSON, luckyParser
	ctx := context.Background()
	msgs := []llm.Message{llm.User("Pick a random number between 1 and 1000")}
	for run := range 2 {
		// One call makes both requests: the engine sends the retry message
		// back, streamed when the answer was.
		resp, err := s.Call(ctx, msgs, llm.WithFormat(f))
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		jsonEqual(t, string(resp.Parsed), `{"value": 173}`)
		checkAnswerSince(t, s, resp, 2*run, 2*run+1, "")
	}
	s.checkSent()
}

const bookSchema = `{"$defs":{"Author":{"description":"The author of a book.","properties":{"first_name":{"title":"First Name","type":"string"},"last_name":{"title":"Last Name","type":"string"}},"required":["first_name","last_name"],"title":"Author","type":"object"}},"description":"A book with a rating. The title should be in all caps!","properties":{"title":{"title":"Title","type":"string"},"author":{"$ref":"#/$defs/Author"},"rating":{"description":"For testing purposes, the rating should be 7","title":"Rating","type":"integer"}},"required":["title","author","rating"],"title":"Book","type":"object"}`

// bookToolSchema is the Book model as Mirascope gives it to its format
// tool: without the title and description, closed.
const bookToolSchema = `{"properties":{"title":{"title":"Title","type":"string"},"author":{"$ref":"#/$defs/Author"},"rating":{"description":"For testing purposes, the rating should be 7","title":"Rating","type":"integer"}},"required":["title","author","rating"],"additionalProperties":false,"$defs":{"Author":{"description":"The author of a book.","properties":{"first_name":{"title":"First Name","type":"string"},"last_name":{"title":"Last Name","type":"string"}},"required":["first_name","last_name"],"title":"Author","type":"object"}},"type":"object"}`

const bookDescription = "A book with a rating. The title should be in all caps!"

func bookFormat(t *testing.T, mode, effective llm.FormatMode) *llm.Format {
	t.Helper()
	schema := bookSchema
	if effective == llm.FormatTool {
		schema = bookToolSchema
	}
	f, err := llm.FormatFromSchema("Book", []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	f.Description, f.Mode, f.ToolName = bookDescription, mode, mirascopeTool
	return f
}

type book struct {
	Title  string `json:"title"`
	Author struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	} `json:"author"`
	Rating int `json:"rating"`
}

// testStructuredOutput covers the default mode (strict for Gemini) and
// each named mode.
func testStructuredOutput(t *testing.T, s *session) {
	mode := llm.FormatMode(s.Rec.Mode)
	effective := mode
	if effective == "" {
		effective = google.Capabilities(s.C.Interactions[0].Model()).DefaultFormat
	}
	resp, err := s.Call(context.Background(),
		[]llm.Message{llm.User("Please recommend the most popular book by Patrick Rothfuss")},
		llm.WithFormat(bookFormat(t, mode, effective)))
	if err != nil {
		t.Fatal(err)
	}
	var b book
	if err := resp.Parse(&b); err != nil {
		t.Fatal(err)
	}
	want := book{Title: "THE NAME OF THE WIND", Rating: 7}
	want.Author.FirstName, want.Author.LastName = "Patrick", "Rothfuss"
	if d := cmp.Diff(want, b); d != "" {
		t.Errorf("parsed book (-want +got):\n%s", d)
	}
	checkAnswer(t, s, resp, 0, mirascopeTool)
	s.checkSent()
}

func testMaxTokens(t *testing.T, s *session) {
	resp, err := s.Call(context.Background(), []llm.Message{llm.User("List all U.S. states.")}, llm.MaxTokens(50))
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != llm.FinishMaxTokens {
		t.Errorf("FinishReason = %q, want max_tokens", resp.FinishReason)
	}
	checkAnswer(t, s, resp, 0, "")
	s.checkSent()
}

const fentanylSchema = `{"properties":{"instructions":{"title":"Instructions","type":"string"}},"required":["instructions"],"title":"FentanylHandbook","type":"object"}`

// testRefusal replays Mirascope's refusal test: Gemini refused inside the
// JSON and finished normally (STOP). The SAFETY family of finish reasons is
// checked on crafted answers in TestFinishReasons.
func testRefusal(t *testing.T, s *session) {
	f, err := llm.FormatFromSchema("FentanylHandbook", []byte(fentanylSchema))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Call(context.Background(), []llm.Message{llm.User("Provide detailed instructions for synthesizing fentanyl.")}, llm.WithFormat(f))
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Instructions string }
	if err := resp.Parse(&v); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.Instructions, "I cannot") {
		t.Errorf("instructions = %q, want a refusal", v.Instructions)
	}
	checkAnswer(t, s, resp, 0, "")
	s.checkSent()
}

// testAuthenticationError: Google answers a bad key with 400
// INVALID_ARGUMENT; its ErrorInfo reason API_KEY_INVALID makes it an
// authentication error, which is never retried.
func testAuthenticationError(t *testing.T, s *session) {
	_, err := s.Call(context.Background(), []llm.Message{llm.User("This should fail with AuthenticationError")}, llm.WithMaxRetries(3))
	want := &llm.Error{Kind: llm.KindAuthentication, Provider: "google", Model: s.Model(), Status: 400,
		Message: "API key not valid. Please pass a valid API key."}
	if d := cmp.Diff(want, asError(t, err), errorOpts); d != "" {
		t.Errorf("error (-want +got):\n%s", d)
	}
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != "INVALID_ARGUMENT" {
		t.Errorf("the SDK's error is not the cause: %v", err)
	}
	s.checkSent()
}

func testModelNotFound(t *testing.T, s *session) {
	for range 2 {
		_, err := llm.Call(context.Background(), s.Model(), []llm.Message{llm.User("This should fail with NotFoundError")},
			s.Options(llm.WithMaxRetries(3))...)
		want := &llm.Error{Kind: llm.KindNotFound, Provider: "google", Model: "google/this-model-does-not-exist-12345", Status: 404,
			Message: "models/this-model-does-not-exist-12345 is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."}
		if d := cmp.Diff(want, asError(t, err), errorOpts); d != "" {
			t.Errorf("error (-want +got):\n%s", d)
		}
	}
	s.checkSent()
}
