package host

import (
	"errors"
	"fmt"

	"github.com/llmhost/llmhost/abi"
)

// DescribeLimits bound what a plugin's describe reply may make the host
// build at Load. The reply itself is bounded by the output cap
// (WithMaxOutput), but its cost is not its size: every tool's parameter
// schema is compiled when the plugin loads and kept for its life, at some
// 1.4 KB of heap per JSON object of the schema and 8 KB of garbage while
// compiling it. Measured before these limits, a describe of 7.6 MB listing
// 70,000 small tools took 5 s and 2 GB of allocation to load, and kept
// 520 MB. Load refuses a reply over a limit, before compiling any schema,
// with an error naming the limit. A zero field means the default.
type DescribeLimits struct {
	// Tools bounds the tools one plugin declares: 1,000. A model is
	// offered a few dozen at most (OpenAI's API takes 128 per request);
	// the largest MCP servers declare about 100.
	Tools int
	// Subschemas bounds the JSON objects of all the tools' parameter
	// schemas together: 20,000, some 30 MB of compiled schemas. A tool
	// with ten parameters has about a dozen. Each schema is also bounded
	// on its own by SchemaLimits.
	Subschemas int
}

// Defaults of DescribeLimits.
const (
	DefaultDescribeTools      = 1000
	DefaultDescribeSubschemas = 20_000
)

// WithDescribeLimits changes the bounds on what a describe reply declares
// from their defaults (1,000 tools; 20,000 schema objects in all).
func WithDescribeLimits(l DescribeLimits) Option { return func(c *config) { c.describeLimits = l } }

func (l DescribeLimits) withDefaults() DescribeLimits {
	if l.Tools == 0 {
		l.Tools = DefaultDescribeTools
	}
	if l.Subschemas == 0 {
		l.Subschemas = DefaultDescribeSubschemas
	}
	return l
}

func (l DescribeLimits) check() error {
	if l.Tools < 0 || l.Subschemas < 0 {
		return errors.New("WithDescribeLimits: limits must not be negative (zero means the default)")
	}
	return nil
}

// A DescribeLimitError is a describe reply that Load refused because it
// declares more than its DescribeLimits allow. Use errors.As to get it.
type DescribeLimitError struct {
	Limit      string // the DescribeLimits field exceeded, e.g. "Tools"
	Value, Max int    // what the reply declares, and the limit
}

func (e *DescribeLimitError) Error() string {
	what := fmt.Sprintf("the plugin declares %d tools", e.Value)
	if e.Limit == "Subschemas" {
		what = fmt.Sprintf("the tools' parameter schemas hold at least %d JSON objects in all", e.Value)
	}
	return fmt.Sprintf("%s, over the limit of %d (DescribeLimits.%s; see host.WithDescribeLimits)", what, e.Max, e.Limit)
}

// checkDescribe measures d against l before any schema is compiled. It
// returns the index of the first tool whose schema takes the total over
// l.Subschemas (len(d.Tools) if none does) and the total up to it: the
// caller compiles the tools before it, and lets that tool's own
// SchemaLimits speak first, since a schema over those is the better
// error.
func checkDescribe(d *abi.Describe, l DescribeLimits) (over, objects int, err error) {
	if len(d.Tools) > l.Tools {
		return 0, 0, &DescribeLimitError{Limit: "Tools", Value: len(d.Tools), Max: l.Tools}
	}
	for i, t := range d.Tools {
		n := countObjects(t.Parameters)
		if objects+n > l.Subschemas {
			return i, objects + n, nil
		}
		objects += n
	}
	return len(d.Tools), objects, nil
}

// countObjects counts the JSON objects in doc, valid JSON (describe was
// decoded): the opening braces outside strings.
func countObjects(doc []byte) int {
	n, inString := 0, false
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == '{':
			n++
		}
	}
	return n
}
