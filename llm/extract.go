package llm

import (
	"encoding/json"
	"strings"
)

// ExtractJSON finds the JSON value in a model's answer: the whole text when
// it is JSON, else the first fenced code block that holds JSON, else the
// first balanced {...} or [...] in the prose that parses. Models wrap JSON
// in all of these, whatever they are told.
//
// It returns a *ParseError: ParseNoJSON when nothing looks like JSON,
// ParseSyntax when something does but does not parse.
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
	for i := 0; i < len(text); i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		end := balancedEnd(text, i)
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
// start, honouring strings and escapes, or -1.
func balancedEnd(s string, start int) int {
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
				return -1
			}
			open := stack[len(stack)-1]
			if (open == '{') != (c == '}') {
				return -1
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return i
			}
		}
	}
	return -1
}
