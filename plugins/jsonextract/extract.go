package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmhost/llmhost/abi"
)

// extract finds the JSON value in a model's answer. It tries, in order:
// the whole answer; the contents of each ``` fence (json-tagged or not);
// then each '{' or '[' in the prose, decoding from there and ignoring what
// follows the value. The first candidate that decodes wins. When none does,
// the error is about the most promising candidate, so the model hears about
// its actual mistake (a trailing comma, a missing quote) rather than "no
// JSON".
func extract(text string) (json.RawMessage, *abi.Error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil, noJSON()
	}
	var firstErr error
	try := func(s string) json.RawMessage {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return nil
		}
		return raw
	}
	if v := try(t); v != nil && isComposite(v) {
		return v, nil
	}
	firstErr = nil
	for _, f := range fences(t) {
		if v := try(f); v != nil {
			return v, nil
		}
	}
	for i := 0; i < len(t); i++ {
		if t[i] != '{' && t[i] != '[' {
			continue
		}
		if v := try(t[i:]); v != nil && isComposite(v) {
			return v, nil
		}
	}
	// A bare scalar answer ("42", "true") is JSON too, if nothing better.
	if v := try(t); v != nil {
		return v, nil
	}
	if firstErr != nil && strings.ContainsAny(t, "{[") {
		return nil, &abi.Error{
			Message:      "the answer's JSON is malformed: " + firstErr.Error(),
			RetryMessage: fmt.Sprintf("Your answer's JSON could not be parsed (%v). Answer again with only valid JSON: double-quoted keys and strings, no trailing commas, no comments.", firstErr),
		}
	}
	return nil, noJSON()
}

func noJSON() *abi.Error {
	return &abi.Error{
		Message:      "no JSON found in the answer",
		RetryMessage: "Your answer contained no JSON. Answer again with only a JSON value that matches the requested schema.",
	}
}

func isComposite(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '{' || v[0] == '[')
}

// fences returns the contents of the ``` blocks in t, in order.
func fences(t string) []string {
	var out []string
	for {
		i := strings.Index(t, "```")
		if i < 0 {
			return out
		}
		rest := t[i+3:]
		// Skip the info string ("json", "JSON5", ...) up to the end of line.
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 && !strings.ContainsAny(rest[:nl], "{[") {
			rest = rest[nl+1:]
		}
		j := strings.Index(rest, "```")
		if j < 0 {
			return append(out, rest)
		}
		out = append(out, rest[:j])
		t = rest[j+3:]
	}
}
