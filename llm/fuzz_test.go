package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzExtractJSON feeds model answers of any shape to the extraction every
// structured call goes through, then to schema validation and the retry
// message sent back to the model. Whatever the model wrote, the engine must
// come back with a JSON value found in the answer or a *ParseError that
// says what was wrong, never panic; and it must find what the plain
// definition of the search (extractReference) finds. The seeds named
// recorded-* are answers of OpenAI, Anthropic and Gemini models, from the
// recordings of Mirascope's end-to-end suite (MIT licence).
func FuzzExtractJSON(f *testing.F) {
	for _, s := range []string{
		`{"title":"THE NAME OF THE WIND","rating":7}`,
		"Sure! Here it is:\n```json\n{\"title\": \"DUNE\", \"rating\": 9}\n```\nEnjoy.",
		"```\n[1, 2, 3]\n```",
		`The book {"title": "EMMA", "rating": "high"} is nice.`,
		`Unbalanced {"a": [1, 2} and then {"b": "}"}`,
		"```json\n{\"a\": 1,}\n```",
		`He said "{not json}" and left.`,
		"",
		"Eureka!",
		`{"a":"\"}\\"}`,
		"```\n```\n```json",
	} {
		f.Add(s)
	}
	format, err := FormatFromSchema("Book", []byte(`{"type":"object","properties":{"title":{"type":"string"},"rating":{"type":"integer","minimum":1,"maximum":10}},"required":["title","rating"]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		raw, err := ExtractJSON(text)
		if len(text) <= 4096 {
			// These scan from every bracket: keep them to sizes where that
			// costs nothing. Both ways of finding the brackets' ends agree,
			// whichever of the two ExtractJSON used.
			ends := closingBrackets(text)
			for i := range len(text) {
				if text[i] == '{' || text[i] == '[' {
					if want, _ := balancedEnd(text, i); int(ends[i]) != want {
						t.Fatalf("closingBrackets(%q)[%d] = %d, a scan from there finds %d", text, i, ends[i], want)
					}
				}
			}
			want, wantErr := extractReference(text)
			if string(raw) != string(want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("ExtractJSON(%q) = %q, %v; the reference finds %q, %v", text, raw, err, want, wantErr)
			}
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.Reason != ParseNoJSON && pe.Reason != ParseSyntax || pe.Text != text || pe.Message == "" || pe.RetryMessage() == "" {
				t.Fatalf("parse error %+v for %q", pe, text)
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("extracted %q, which is not JSON, from %q", raw, text)
		}
		if !strings.Contains(text, string(raw)) {
			t.Fatalf("extracted %q, which is not in the answer %q", raw, text)
		}
		if trimmed := strings.TrimSpace(text); json.Valid([]byte(trimmed)) && (trimmed[0] == '{' || trimmed[0] == '[') && string(raw) != trimmed {
			t.Fatalf("the answer is JSON, yet %q was extracted from %q", raw, text)
		}
		if err := format.Validate(raw); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason != ParseSchema || len(pe.Violations) == 0 || pe.RetryMessage() == "" {
				t.Fatalf("validating %s: %v (%#v)", raw, err, err)
			}
		}
	})
}

// extractReference is ExtractJSON as it reads in its documentation: every
// '{' or '[' of the prose is scanned on its own for its closing bracket,
// however long that takes. It is the definition ExtractJSON's bounded
// search must agree with.
func extractReference(text string) (json.RawMessage, error) {
	trimmed := strings.TrimSpace(text)
	if trimmed != "" && json.Valid([]byte(trimmed)) && (trimmed[0] == '{' || trimmed[0] == '[') {
		return json.RawMessage(trimmed), nil
	}
	var firstErr error
	for _, block := range fencedBlocks(text) {
		b := strings.TrimSpace(block)
		if b == "" {
			continue
		}
		if json.Valid([]byte(b)) {
			return json.RawMessage(b), nil
		}
		if firstErr == nil {
			firstErr = syntaxError(b)
		}
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		end, _ := balancedEnd(text, i)
		if end < 0 {
			if firstErr == nil {
				firstErr = syntaxError(text[i:])
			}
			continue
		}
		cand := text[i : end+1]
		if json.Valid([]byte(cand)) {
			return json.RawMessage(cand), nil
		}
		if firstErr == nil {
			firstErr = syntaxError(cand)
		}
	}
	if firstErr != nil {
		return nil, &ParseError{Reason: ParseSyntax, Text: text, Message: "the JSON in the answer does not parse: " + firstErr.Error(), Err: firstErr}
	}
	return nil, &ParseError{Reason: ParseNoJSON, Text: text, Message: "no JSON object or array was found in the answer"}
}

// TestExtractJSONManyBrackets: answers made of brackets that never close
// (a model stuck repeating itself, or a hostile one) are searched in one
// pass. Scanning afresh from each bracket, the first of these took hours.
func TestExtractJSONManyBrackets(t *testing.T) {
	const n = 1 << 20
	for _, c := range []struct {
		text string
		want ParseReason
	}{
		{strings.Repeat("{", n), ParseSyntax},
		{strings.Repeat(`{"a":`, n/5), ParseSyntax},
		{strings.Repeat(`[{"`, n/3), ParseSyntax},
		{strings.Repeat(`{"\"`, n/4), ParseSyntax},
		{"Here: " + strings.Repeat("{", n/2) + `{"ok":true}`, ""},
	} {
		raw, err := ExtractJSON(c.text)
		var pe *ParseError
		switch {
		case c.want == "" && (err != nil || string(raw) != `{"ok":true}`):
			t.Errorf("%.20q...: %s, %v", c.text, raw, err)
		case c.want != "" && (!errors.As(err, &pe) || pe.Reason != c.want):
			t.Errorf("%.20q...: %s, %v, want a %s error", c.text, raw, err, c.want)
		}
	}
}
