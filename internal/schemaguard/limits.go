package schemaguard

import (
	"fmt"
	"strconv"
)

// Default limits. Each one is far above what real schemas and answers need
// (the tool schemas of the plugins, the MCP servers and the recorded
// provider fixtures of this repository are all under 1/10 of each), and low
// enough that the worst input at the limit compiles or validates in well
// under a second on one core.
const (
	// DefaultSchemaBytes bounds the schema document. Real tool schemas are a
	// few KiB; large structured-output schemas tens of KiB.
	DefaultSchemaBytes = 512 << 10
	// DefaultSchemaDepth bounds the JSON nesting of the schema document
	// (each object or array is a level). Compilation is cubic in depth:
	// 1,000 levels take seconds, 64 take microseconds.
	DefaultSchemaDepth = 64
	// DefaultSubschemas bounds the JSON objects of the schema document, an
	// upper bound on its subschemas. Compilation is quadratic in their
	// number: 20,000 take 1.6 s, 4,000 0.35 s, 2,048 under 0.1 s.
	DefaultSubschemas = 2048
	// DefaultExpandedSubschemas bounds the size of the schema with every
	// $ref replaced by its target (a recursive reference counts once).
	DefaultExpandedSubschemas = 100_000
	// DefaultInstanceBytes bounds the instance, the same as the host's
	// default input cap.
	DefaultInstanceBytes = 8 << 20
	// DefaultInstanceDepth bounds the JSON nesting of the instance.
	DefaultInstanceDepth = 128
	// DefaultNumberLength bounds the characters of one number literal, in
	// the schema and in the instance.
	DefaultNumberLength = 100
	// DefaultNumberExponent bounds the magnitude of a number's decimal
	// exponent (1e308 is the largest float64). The validator compares
	// numbers exactly with big.Rat, whose cost grows with the exponent:
	// 1e999999999 takes gigabytes, 1e1000 a few hundred bytes.
	DefaultNumberExponent = 1000
	// DefaultWork bounds the validation work of one instance, counted in
	// applications of a subschema to a value, weighted by what the
	// application inspects (see Limits.Work). The costliest unit measured,
	// a failing anyOf branch that keeps its error, takes about 3 µs and 480
	// bytes (garbage once Validate returns): 250,000 units are under a
	// second and 120 MiB.
	DefaultWork = 250_000
)

// Limits bounds compilation and validation. The zero value of a field means
// its default; a negative value means no limit.
type Limits struct {
	SchemaBytes        int // bytes of the schema document (DefaultSchemaBytes)
	SchemaDepth        int // JSON nesting of the schema document (DefaultSchemaDepth)
	Subschemas         int // JSON objects of the schema document (DefaultSubschemas)
	ExpandedSubschemas int // subschemas with every $ref expanded (DefaultExpandedSubschemas)
	InstanceBytes      int // bytes of an instance (DefaultInstanceBytes)
	InstanceDepth      int // JSON nesting of an instance (DefaultInstanceDepth)
	NumberLength       int // characters of a number literal (DefaultNumberLength)
	NumberExponent     int // magnitude of a number's decimal exponent (DefaultNumberExponent)
	// Work bounds one validation. A unit is one application of a subschema
	// to a value, plus one per key of an object value (the validator loops
	// over them), plus the bytes a pattern, format or length keyword reads,
	// plus the nodes an enum or const compares, plus a share of the depth
	// (each error copies its location). DefaultWork.
	Work int64
}

// withDefaults resolves zero fields to their defaults and negative ones to
// "no limit".
func (l Limits) withDefaults() Limits {
	pick := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return int(^uint(0) >> 1)
		}
		return v
	}
	l.SchemaBytes = pick(l.SchemaBytes, DefaultSchemaBytes)
	l.SchemaDepth = pick(l.SchemaDepth, DefaultSchemaDepth)
	l.Subschemas = pick(l.Subschemas, DefaultSubschemas)
	l.ExpandedSubschemas = pick(l.ExpandedSubschemas, DefaultExpandedSubschemas)
	l.InstanceBytes = pick(l.InstanceBytes, DefaultInstanceBytes)
	l.InstanceDepth = pick(l.InstanceDepth, DefaultInstanceDepth)
	l.NumberLength = pick(l.NumberLength, DefaultNumberLength)
	l.NumberExponent = pick(l.NumberExponent, DefaultNumberExponent)
	switch {
	case l.Work == 0:
		l.Work = DefaultWork
	case l.Work < 0:
		l.Work = 1 << 62
	}
	return l
}

// LimitError is a schema or an instance over one of the Limits.
type LimitError struct {
	// Field is the Limits field that was exceeded, e.g. "SchemaDepth".
	Field string
	// Got is what was measured, or the point at which measuring stopped
	// (see AtLeast).
	Got int64
	// AtLeast is true when measuring stopped at the limit: Got is a lower
	// bound.
	AtLeast bool
	// Max is the limit.
	Max int64
	// At locates the offending value (a JSON pointer), when known.
	At string
	// In is "schema" or "value": which document a number limit concerns.
	In string
}

func (e *LimitError) Error() string {
	got := group(e.Got)
	if e.AtLeast {
		got = "more than " + group(e.Max)
	}
	var what string
	switch e.Field {
	case "SchemaBytes":
		what = fmt.Sprintf("schema is %s bytes", got)
	case "SchemaDepth":
		what = fmt.Sprintf("schema nests %s levels deep", got)
	case "Subschemas":
		what = fmt.Sprintf("schema has %s objects", got)
	case "ExpandedSubschemas":
		what = fmt.Sprintf("schema expands through $ref to %s subschemas", got)
	case "InstanceBytes":
		what = fmt.Sprintf("value is %s bytes", got)
	case "InstanceDepth":
		what = fmt.Sprintf("value nests %s levels deep", got)
	case "NumberLength":
		what = fmt.Sprintf("%s has a number literal of %s characters", e.In, got)
	case "NumberExponent":
		what = fmt.Sprintf("%s has a number with a decimal exponent of %s", e.In, got)
	case "Work":
		what = fmt.Sprintf("validation would take %s steps", got)
	default:
		what = fmt.Sprintf("%s is %s", e.Field, got)
	}
	if e.At != "" {
		what += " at " + e.At
	}
	return fmt.Sprintf("%s, over the limit of %s (SchemaLimits.%s)", what, group(e.Max), e.Field)
}

// RefError is a reference the schema may not follow: one outside the
// document, or a cycle of references that never descends into the value
// and so would loop forever.
type RefError struct {
	URL   string // the reference, resolved against the document
	Cycle bool   // true: a reference cycle, at URL, that consumes no value
}

func (e *RefError) Error() string {
	if e.Cycle {
		return fmt.Sprintf("schema at %s refers back to itself without descending into the value (an infinite loop)", e.URL)
	}
	return fmt.Sprintf("schema refers to %s, outside itself: only references inside the schema document are resolved, nothing is loaded", e.URL)
}

// SyntaxError is an instance that is not one JSON value.
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return "not valid JSON: " + e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

// group formats n with thousands separators, as the errors are read by
// people and models.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
