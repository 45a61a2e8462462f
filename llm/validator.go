package llm

import (
	"bytes"
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/llmhost/llmhost/internal/schemaguard"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// validator is a compiled JSON Schema. Schemas and the answers checked
// against them are bounded by schemaguard (its Default* constants state the
// limits): an answer is model output, so untrusted, and a schema may come
// from a plugin or a user's file. Nothing outside the schema is loaded: a
// $ref to file://, http(s):// or any other document is refused.
type validator struct{ schema *schemaguard.Schema }

var printer = message.NewPrinter(language.English)

// maxCompiled bounds the compiled schemas kept: a Format is plain data that
// users build and copy freely, so the compiled form cannot live in it, and
// compiling once per schema keeps validation off the hot path; but a
// program that builds schemas at run time must not grow the cache forever.
// 256 covers every format and tool of a real program many times.
const maxCompiled = 256

// compiled caches validators by schema text, least recently used first out.
var compiled = newLRU(maxCompiled)

func validatorFor(schema []byte) (*validator, error) {
	if v := compiled.get(string(schema)); v != nil {
		return v, nil
	}
	v, err := compileSchema(schema)
	if err != nil {
		return nil, err
	}
	compiled.put(string(schema), v)
	return v, nil
}

func compileSchema(schema []byte) (*validator, error) {
	if len(bytes.TrimSpace(schema)) == 0 {
		return nil, errors.New("the schema is empty")
	}
	s, err := schemaguard.Compile(schema, schemaguard.Limits{})
	if err != nil {
		var se *schemaguard.SyntaxError
		var le *schemaguard.LimitError
		var re *schemaguard.RefError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("the schema is %w", err) // "the schema is not valid JSON: ..."
		case errors.As(err, &le), errors.As(err, &re):
			return nil, fmt.Errorf("the %w", err) // "the schema nests ..."
		}
		return nil, fmt.Errorf("the schema does not compile: %w", err)
	}
	return &validator{schema: s}, nil
}

// lru is a mutex-guarded map with a recency list; get and put are O(1).
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *lruEntry, most recent first
	byKey map[string]*list.Element
}

type lruEntry struct {
	key string
	v   *validator
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *lru) get(key string) *validator {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).v
}

func (c *lru) put(key string, v *validator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.byKey[key] = c.order.PushFront(&lruEntry{key, v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*lruEntry).key)
	}
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// maxViolations bounds the violations reported for one answer: the model
// needs the first few to correct itself, not the thousands a failing anyOf
// over a large array can produce.
const maxViolations = 20

// maxViolationText bounds a violation's path and message, in bytes. Both
// can quote the answer (a property name that is not allowed, every one of
// 50,000 of them): without a bound a model's 4 MiB key would come back to
// it in the retry message, paid for again on every parse retry. With it, a
// RetryMessage is at most about maxViolations × 2 × maxViolationText.
const maxViolationText = 256

// validate checks raw, turning the validator's error tree into a flat list
// of violations, one per failing rule, each at the value it concerns.
func (v *validator) validate(raw json.RawMessage) error {
	err := v.schema.Validate(raw)
	if err == nil {
		return nil
	}
	var se *schemaguard.SyntaxError
	if errors.As(err, &se) {
		return &ParseError{Reason: ParseSyntax, Text: string(raw), Message: "the JSON does not parse: " + se.Err.Error(), Err: se.Err}
	}
	var le *schemaguard.LimitError
	if errors.As(err, &le) {
		return &ParseError{Reason: ParseSchema, Text: string(raw), Message: "the answer is too large to check: " + le.Error(), Err: err}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &ParseError{Reason: ParseSchema, Text: string(raw), Message: err.Error(), Err: err}
	}
	var out []Violation
	collect(ve, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if len(out) > maxViolations {
		out = out[:maxViolations]
	}
	return &ParseError{Reason: ParseSchema, Text: string(raw), Violations: out, Message: "the answer does not match the schema", Err: err}
}

func collect(e *jsonschema.ValidationError, out *[]Violation) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	path := ""
	for _, p := range e.InstanceLocation {
		path += "/" + strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	kw := e.ErrorKind.KeywordPath()
	rule := ""
	if len(kw) > 0 {
		rule = kw[0]
	}
	*out = append(*out, Violation{Path: clip(path), Rule: clip(rule), Message: clip(e.ErrorKind.LocalizedString(printer))})
}

// clip cuts s to maxViolationText bytes at a character boundary, marking
// the cut with "…".
func clip(s string) string {
	if len(s) <= maxViolationText {
		return s
	}
	cut := maxViolationText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
