package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// deepAnswer returns an answer nested d deep, for the extraction tests and
// benchmarks: prose around d brackets.
func deepAnswer(kind string, d int) string {
	switch kind {
	case "arrays": // [[[...]]]: valid up to the decoder's depth limit
		return "Here: " + strings.Repeat("[", d) + strings.Repeat("]", d) + " done."
	case "broken": // [[[x]]]: no candidate parses
		return "Here: " + strings.Repeat("[", d) + "x" + strings.Repeat("]", d)
	case "objects": // {"a":{"a":...1...}}
		return "Here: " + strings.Repeat(`{"a":`, d) + "1" + strings.Repeat("}", d)
	}
	panic(kind)
}

func BenchmarkExtractJSONDeep(b *testing.B) {
	for _, kind := range []string{"arrays", "broken", "objects"} {
		for _, d := range []int{10_000, 20_000, 60_000} {
			text := deepAnswer(kind, d)
			b.Run(kind+"/"+strconv.Itoa(d), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					ExtractJSON(text)
				}
			})
		}
	}
}

// TestExtractJSONDeep: answers nested 10k, 100k and 1M deep. json.Valid
// refuses values nested deeper than 10,000, so the JSON found is the
// outermost candidate within that depth, exactly as validating each
// candidate would find it; extraction reads each byte a bounded number of
// times. Before, 60,000 levels took 30 s and these never ended.
func TestExtractJSONDeep(t *testing.T) {
	limit := jsonDepthLimit()
	if limit != 10000 {
		t.Logf("encoding/json nests at most %d deep", limit)
	}
	for _, d := range []int{10_000, 10_001, 100_000, 1_000_000} {
		k := min(d, limit)
		for _, c := range []struct {
			kind string
			want string // "" for a ParseSyntax error
		}{
			{"arrays", strings.Repeat("[", k) + strings.Repeat("]", k)},
			{"objects", strings.Repeat(`{"a":`, k) + "1" + strings.Repeat("}", k)},
			{"broken", ""},
		} {
			text := deepAnswer(c.kind, d)
			done := make(chan struct{})
			var raw json.RawMessage
			var err error
			go func() {
				defer close(done)
				raw, err = ExtractJSON(text)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s %d deep: ExtractJSON did not return within 30s", c.kind, d)
			}
			var pe *ParseError
			switch {
			case c.want != "" && (err != nil || string(raw) != c.want):
				t.Errorf("%s %d deep: got %d bytes, %v; want the innermost %d levels", c.kind, d, len(raw), err, k)
			case c.want == "" && (!errors.As(err, &pe) || pe.Reason != ParseSyntax || !strings.Contains(pe.Message, "does not parse")):
				t.Errorf("%s %d deep: %d bytes, %v; want a syntax error", c.kind, d, len(raw), err)
			}
		}
	}
	// A deep broken preamble does not hide the JSON after it.
	text := deepAnswer("broken", 200_000) + ` and {"ok":true}`
	if raw, err := ExtractJSON(text); err != nil || string(raw) != `{"ok":true}` {
		t.Errorf("after a deep broken value: %.40q, %v", raw, err)
	}
}

// TestExtractJSONLinearSearchAgrees: on answers crowded with brackets, the
// linear search (which a few hundred brackets already switch to) finds
// what validating every candidate on its own finds, error included.
func TestExtractJSONLinearSearchAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"[", "]", "{", "}", `"`, `\`, ",", ":", "1", "0", "-", ".", "e", " ", "x", `"a"`, "true", "nul", "[]", "{}", `{"a":1}`, "\n", "\x01", "é"}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		text := b.String()
		raw, err := ExtractJSON(text)
		want, wantErr := extractReference(text)
		if string(raw) != string(want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("ExtractJSON(%q) = %q, %v; the reference finds %q, %v", text, raw, err, want, wantErr)
		}
		ends := closingBrackets(text)
		valid := validCandidates(text, ends)
		for q := range len(text) {
			if ends[q] >= 0 && (text[q] == '[' || text[q] == '{') {
				if w := json.Valid([]byte(text[q : ends[q]+1])); valid[q] != w {
					t.Fatalf("validCandidates(%q)[%d] = %v, json.Valid says %v", text, q, valid[q], w)
				}
			}
		}
	}
}

// FuzzValidCandidates: the linear decision of which candidates parse agrees
// with json.Valid on each of them.
func FuzzValidCandidates(f *testing.F) {
	for _, s := range []string{`[1,[2,{"a":[3]}]]`, `{"a":[1]}.5`, `[[1].5]`, `{[1]:2}`, `["]",[1],"\"["]`, `[1[2]]`, `{"a":{"a":1},"a":2}`, "[\"\xff\"]", `[tru[]e]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		ends := closingBrackets(s)
		valid := validCandidates(s, ends)
		for q := range len(s) {
			if ends[q] >= 0 && (s[q] == '[' || s[q] == '{') {
				if w := json.Valid([]byte(s[q : ends[q]+1])); valid[q] != w {
					t.Fatalf("validCandidates(%q)[%d] = %v, json.Valid says %v", s, q, valid[q], w)
				}
			}
		}
	})
}
