package llm

import (
	"encoding/json"
	"strings"
	"sync"
)

// ExtractJSON finds the JSON value in a model's answer: the whole text when
// it is JSON, else the first fenced code block that holds JSON, else the
// first balanced {...} or [...] in the prose that parses. Models wrap JSON
// in all of these, whatever they are told.
//
// It returns a *ParseError: ParseNoJSON when nothing looks like JSON,
// ParseSyntax when something does but does not parse.
//
// It takes time linear in the length of text, however its brackets nest
// or fail to close, so it needs no deadline of its own. A value nested
// deeper than encoding/json accepts (10,000 levels) does not parse, as
// json.Valid says; the search then goes on inside it, and finds the
// outermost value nested within that limit.
func ExtractJSON(text string) (json.RawMessage, error) {
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
	// Each bracket is scanned, and its candidate validated, on its own
	// until that has cost twice the answer's length, which an answer with
	// its JSON in prose never reaches. Then the ends of all brackets are
	// computed at once (closingBrackets), and whether each candidate parses
	// (validCandidates), so that no answer costs more than linear time: an
	// answer nested 60,000 deep took 30 s the other way.
	var (
		ends  []int32
		valid []bool
	)
	spent := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		cheap := ends == nil && spent <= 2*len(text)
		var end int
		if cheap {
			var steps int
			end, steps = balancedEnd(text, i)
			spent += steps
		} else {
			if ends == nil {
				ends = closingBrackets(text)
			}
			end = int(ends[i])
		}
		if end < 0 {
			if firstErr == nil {
				firstErr = syntaxError(text[i:])
			}
			continue
		}
		cand := text[i : end+1]
		var ok bool
		if cheap && valid == nil {
			ok = json.Valid([]byte(cand))
			spent += len(cand)
		} else {
			if valid == nil {
				if ends == nil {
					ends = closingBrackets(text)
				}
				valid = validCandidates(text, ends)
			}
			ok = valid[i]
		}
		if ok {
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

func syntaxError(s string) error {
	var v any
	err := json.Unmarshal([]byte(s), &v)
	if err == nil {
		return nil
	}
	return err
}

// fencedBlocks returns the contents of ``` fences, in order, skipping the
// info string (```json).
func fencedBlocks(text string) []string {
	var blocks []string
	for {
		start := strings.Index(text, "```")
		if start < 0 {
			return blocks
		}
		rest := text[start+3:]
		nl := strings.IndexByte(rest, '\n')
		if nl < 0 {
			return blocks
		}
		body := rest[nl+1:]
		end := strings.Index(body, "```")
		if end < 0 {
			return append(blocks, body)
		}
		blocks = append(blocks, body[:end])
		text = body[end+3:]
	}
}

// balancedEnd returns the index of the bracket that closes the one at
// start, honouring strings and escapes, or -1; and how many bytes it read.
func balancedEnd(s string, start int) (end, steps int) {
	var stack []byte
	inString, escaped := false, false
	for i := start; i < len(s); i++ {
		c := s[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 {
				return -1, i - start + 1
			}
			open := stack[len(stack)-1]
			if (open == '{') != (c == '}') {
				return -1, i - start + 1
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return i, i - start + 1
			}
		}
	}
	return -1, len(s) - start
}

// closingBrackets returns, for each '{' and '[' of s, the index of the
// bracket that closes it, or -1 where none does: what a scan from that
// bracket alone finds, keeping track of strings and escapes, and stopping
// at the end of s or at the first closing bracket of the wrong kind while
// it is open. Other positions hold -1.
//
// Scanning from every bracket costs n²/2 steps on an answer full of
// brackets that do not close (64 KiB of "{" took seconds, 256 KiB
// minutes), so here the scans are not run but computed together, in passes
// from the right, in linear time. What makes it possible: a scan that has
// just read a bracket is outside any string, whatever came before, so all
// scans agree on what follows a bracket: the first bracket outside strings
// after q, next[q+1] below. For an opening bracket q, the scan from q
// closes it at the first closing bracket at its own depth: starting from
// next[q+1], an opening bracket x on the way is stepped over, to
// next[ends[x]+1], if it closes, and if it does not, neither does q.
//
// Positions are int32: half the memory of int, and answers are far from
// 2 GiB.
func closingBrackets(s string) []int32 {
	n := len(s)
	// next[p]: the first bracket at or after p met by a scan that is at p
	// outside a string, or -1. Scans at p inside a string, or just after a
	// backslash in one, are tracked alongside as inStr and inEsc.
	next := make([]int32, n+1)
	next[n] = -1
	inStr, inEsc := int32(-1), int32(-1)
	for p := n - 1; p >= 0; p-- {
		out := next[p+1]
		switch s[p] {
		case '{', '[', '}', ']':
			out = int32(p)
		case '"':
			out = inStr
		}
		str := inStr
		switch s[p] {
		case '"':
			str = next[p+1]
		case '\\':
			str = inEsc
		}
		next[p], inStr, inEsc = out, str, inStr
	}

	ends := make([]int32, n)
	// upTo[x]: from bracket x, the first closing bracket at x's depth (x
	// itself when it closes one), or -1 if the scan fails first.
	upTo := make([]int32, n)
	for q := n - 1; q >= 0; q-- {
		ends[q] = -1
		switch s[q] {
		case '}', ']':
			upTo[q] = int32(q)
		case '{', '[':
			c := int32(-1)
			if x := next[q+1]; x >= 0 {
				c = upTo[x]
			}
			if c >= 0 && (s[q] == '{') == (s[c] == '}') {
				ends[q] = c
				upTo[q] = -1
				if after := next[c+1]; after >= 0 {
					upTo[q] = upTo[after]
				}
			} else {
				upTo[q] = -1
			}
		}
	}
	return ends
}

// validCandidates returns, for each bracket q of s that closes (ends[q] >=
// 0, see closingBrackets), whether s[q:ends[q]+1] is valid JSON, as
// json.Valid says; other positions are false. Validating each candidate on
// its own costs their total length, quadratic in the depth of nesting;
// here every byte is read once, for the innermost bracket around it.
//
// A candidate is valid when three things hold: its flat text, in which
// each bracket nested directly in it is replaced by [], is valid; each of
// those nested candidates is valid; and it is nested no deeper than the
// decoder allows (jsonDepthLimit). Nested brackets sit in value positions
// exactly when [] would, and a valid value may stand in for any other, so
// the three together say what json.Valid says of the whole. The candidates
// nested in q come after q, so a pass from the right has decided them
// when it comes to q.
func validCandidates(s string, ends []int32) []bool {
	n := len(s)
	valid := make([]bool, n)
	height := make([]int32, n)
	limit := int32(jsonDepthLimit())
	var flat []byte
	for q := n - 1; q >= 0; q-- {
		if (s[q] != '{' && s[q] != '[') || ends[q] < 0 {
			continue
		}
		end := int(ends[q])
		flat = append(flat[:0], s[q])
		h, ok := int32(0), true
		inString, escaped := false, false
		for p := q + 1; p < end; p++ {
			c := s[p]
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
				flat = append(flat, c)
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				// A bracket read outside a string opens a nested
				// candidate, which closes before end (else q would not
				// close): step over it.
				h = max(h, height[p])
				ok = ok && valid[p]
				flat = append(flat, '[', ']')
				p = int(ends[p])
				continue
			}
			flat = append(flat, c)
		}
		flat = append(flat, s[end])
		height[q] = h + 1
		valid[q] = ok && height[q] <= limit && json.Valid(flat)
	}
	return valid
}

// jsonDepthLimit is how deep json.Valid lets values nest: 10,000 in
// encoding/json today. It is found by asking json.Valid itself, once, so
// that validCandidates agrees with it whichever implementation of
// encoding/json is built in.
var jsonDepthLimit = sync.OnceValue(func() int {
	nested := func(d int) bool {
		return json.Valid([]byte(strings.Repeat("[", d) + strings.Repeat("]", d)))
	}
	if nested(10000) && !nested(10001) {
		return 10000
	}
	lo, hi := 1, 1<<24 // nested(lo) holds; nested(hi) is assumed not to
	if !nested(lo) {
		return 0
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if nested(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
})
