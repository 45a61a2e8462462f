package schemaguard

import (
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is a compiled JSON Schema whose validation is bounded. It is safe
// for concurrent use.
type Schema struct {
	s      *jsonschema.Schema
	g      *graph
	limits Limits
	pool   sync.Pool // *counter
}

// location is where the document lives for the compiler. A relative
// reference resolves against it to another mem:// URL, which is refused
// like any other outside reference.
const location = "mem://schema/root.json"

// Compile measures doc against limits (zero fields mean the defaults) and
// compiles it. It refuses, before compiling, a document over the byte,
// depth, object or number limits, and, after, one that refers outside
// itself, loops through references without descending into the value, or
// expands through references past Limits.ExpandedSubschemas. The error is a
// *LimitError, a *RefError or a *SyntaxError when the document is at fault
// in one of those ways, or the compiler's error otherwise.
func Compile(doc []byte, limits Limits) (*Schema, error) {
	l := limits.withDefaults()
	v, err := decode(doc, true, &l)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	ld := &refusingLoader{}
	c.UseLoader(ld)
	if err := c.AddResource(location, v); err != nil {
		return nil, err
	}
	s, err := c.Compile(location)
	if ld.refused != "" {
		// The compiler wraps the loader's error in one without Unwrap.
		return nil, &RefError{URL: ld.refused}
	}
	if err != nil {
		return nil, err
	}
	g, err := buildGraph(s, &l)
	if err != nil {
		return nil, err
	}
	return &Schema{s: s, g: g, limits: l}, nil
}

// refusingLoader loads nothing: a schema's reference to a file or a URL
// must not make the host read or fetch it. It remembers the first URL asked
// for, so that the error can name it.
type refusingLoader struct {
	mu      sync.Mutex
	refused string
}

func (l *refusingLoader) Load(url string) (any, error) {
	l.mu.Lock()
	if l.refused == "" {
		l.refused = url
	}
	l.mu.Unlock()
	return nil, fmt.Errorf("%s: references outside the schema are not loaded", url)
}

// Validate decodes instance, measures it against the limits, counts the
// validation work, and only then validates. The error is nil, a
// *SyntaxError, a *LimitError, or a *jsonschema.ValidationError listing the
// violations.
func (s *Schema) Validate(instance []byte) error {
	v, err := decode(instance, false, &s.limits)
	if err != nil {
		return err
	}
	if err := s.check(v); err != nil {
		return err
	}
	return s.s.Validate(v)
}

// check counts the work of validating v, returning a *LimitError when it
// is over Limits.Work.
func (s *Schema) check(v any) error {
	c, _ := s.pool.Get().(*counter)
	if c == nil {
		c = &counter{g: s.g}
	}
	c.budget, c.used = s.limits.Work, 0
	_, err := c.value(v, []applied{{0, 1}}, 0)
	s.pool.Put(c)
	if errors.Is(err, errOverBudget) {
		return &LimitError{Field: "Work", AtLeast: true, Max: s.limits.Work}
	}
	return err
}

// Work returns the validation work that Validate would charge for
// instance, or an error as Validate's. Tests and benchmarks use it to state
// the cost of an input.
func (s *Schema) Work(instance []byte) (int64, error) {
	v, err := decode(instance, false, &s.limits)
	if err != nil {
		return 0, err
	}
	c := &counter{g: s.g, budget: s.limits.Work}
	if _, err := c.value(v, []applied{{0, 1}}, 0); err != nil {
		return c.used, &LimitError{Field: "Work", AtLeast: true, Max: s.limits.Work}
	}
	return c.used, nil
}
