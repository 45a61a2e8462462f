package schemaguard

import (
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// graph is a compiled schema seen as the validator walks it. Its nodes are
// the subschemas reachable from the root; an edge is a keyword that applies
// one subschema after another. Local edges ($ref, allOf, anyOf, oneOf, not,
// if/then/else, dependentSchemas) apply the target to the same value; the
// others (properties, items, ...) to a member of it. The validator's cost is
// the number of times each node is applied to each value, which the graph
// lets us count before validating (see counter).
type graph struct {
	nodes []*node
	index map[*jsonschema.Schema]int32
}

type node struct {
	s      *jsonschema.Schema
	local  []int32 // applied to the same value, one entry per application
	topo   int32   // position in a topological order of the local edges
	weight int64   // cost of one application, besides the value's size

	// applied to members of an object value
	props     map[string]int32
	patterns  []int32 // patternProperties: counted as matching every key
	addl      int32   // additionalProperties: keys not in props; -1 if none
	allProps  []int32 // unevaluatedProperties: every key
	propNames int32   // propertyNames: every key, as a string; -1 if none
	objEdges  bool

	// applied to members of an array value
	prefix   []int32 // items [i] (prefixItems, or draft-7 items as an array)
	rest     int32   // items after the prefix; -1 if none
	allItems []int32 // contains, unevaluatedItems: every item
	arrEdges bool

	unique     bool  // uniqueItems: hashes and compares the whole array
	patternLen int64 // pattern: 1 + length of its source; 0 if none
	readsStr   bool  // minLength, maxLength, format: read the whole string
}

func buildGraph(root *jsonschema.Schema, l *Limits) (*graph, error) {
	g := &graph{index: map[*jsonschema.Schema]int32{}}
	var add func(s *jsonschema.Schema) (int32, error)
	add = func(s *jsonschema.Schema) (int32, error) {
		if id, ok := g.index[s]; ok {
			return id, nil
		}
		if len(g.nodes) >= l.Subschemas {
			return 0, &LimitError{Field: "Subschemas", Got: int64(len(g.nodes)) + 1, AtLeast: true, Max: int64(l.Subschemas)}
		}
		id := int32(len(g.nodes))
		n := &node{s: s, addl: -1, propNames: -1, rest: -1, weight: 1}
		g.nodes = append(g.nodes, n)
		g.index[s] = id
		var err error
		one := func(c *jsonschema.Schema) int32 {
			if err != nil || c == nil {
				return -1
			}
			var cid int32
			cid, err = add(c)
			return cid
		}
		many := func(dst *[]int32, cs ...*jsonschema.Schema) {
			for _, c := range cs {
				if c != nil {
					if cid := one(c); err == nil {
						*dst = append(*dst, cid)
					}
				}
			}
		}
		many(&n.local, s.Ref, s.Not, s.If, s.Then, s.Else)
		many(&n.local, s.AllOf...)
		many(&n.local, s.AnyOf...)
		many(&n.local, s.OneOf...)
		for _, c := range sorted(s.DependentSchemas) {
			many(&n.local, c)
		}
		for _, k := range sortedKeys(s.Dependencies) {
			if c, ok := s.Dependencies[k].(*jsonschema.Schema); ok {
				many(&n.local, c)
			}
		}
		if r := s.RecursiveRef; r != nil {
			if r.RecursiveAnchor {
				return 0, fmt.Errorf("schema at %s: $recursiveRef to a $recursiveAnchor resolves at validation time; it is not supported", s.Location)
			}
			many(&n.local, r)
		}
		if d := s.DynamicRef; d != nil {
			if d.Anchor != "" && d.Ref.DynamicAnchor == d.Anchor {
				return 0, fmt.Errorf("schema at %s: $dynamicRef to a $dynamicAnchor resolves at validation time; it is not supported", s.Location)
			}
			many(&n.local, d.Ref)
		}

		if len(s.Properties) > 0 {
			n.props = make(map[string]int32, len(s.Properties))
			for _, k := range sortedKeys(s.Properties) {
				if cid := one(s.Properties[k]); err == nil {
					n.props[k] = cid
				}
			}
		}
		for re, c := range s.PatternProperties {
			many(&n.patterns, c)
			n.weight += int64(len(re.String()))
		}
		if c, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
			n.addl = one(c)
		}
		many(&n.allProps, s.UnevaluatedProperties)
		n.propNames = one(s.PropertyNames)
		n.objEdges = n.props != nil || len(n.patterns) > 0 || n.addl >= 0 || len(n.allProps) > 0 || n.propNames >= 0

		switch items := s.Items.(type) {
		case *jsonschema.Schema:
			n.rest = one(items)
		case []*jsonschema.Schema:
			many(&n.prefix, items...)
			if c, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
				n.rest = one(c)
			}
		}
		many(&n.prefix, s.PrefixItems...)
		if s.Items2020 != nil {
			n.rest = one(s.Items2020)
		}
		many(&n.allItems, s.Contains, s.UnevaluatedItems)
		n.arrEdges = len(n.prefix) > 0 || n.rest >= 0 || len(n.allItems) > 0

		n.unique = s.UniqueItems
		if s.Pattern != nil {
			n.patternLen = 1 + int64(len(s.Pattern.String()))
		}
		n.readsStr = s.MinLength != nil || s.MaxLength != nil || s.Format != nil
		if s.Const != nil {
			n.weight += size(*s.Const)
		}
		if s.Enum != nil {
			for _, v := range s.Enum.Values {
				n.weight += size(v)
			}
		}
		return id, err
	}
	if _, err := add(root); err != nil {
		return nil, err
	}
	if err := g.order(); err != nil {
		return nil, err
	}
	if got := g.expanded(int64(l.ExpandedSubschemas)); got > int64(l.ExpandedSubschemas) {
		return nil, &LimitError{Field: "ExpandedSubschemas", Got: got, AtLeast: true, Max: int64(l.ExpandedSubschemas)}
	}
	return g, nil
}

// order sorts the nodes topologically along local edges, refusing a cycle
// of them: applying a schema to the same value through itself never ends
// (the validator reports it at validation time, after exploring every path
// into the cycle, which can be exponential).
func (g *graph) order() error {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(g.nodes))
	next := int32(len(g.nodes))
	var visit func(u int32) error
	visit = func(u int32) error {
		color[u] = grey
		for _, c := range g.nodes[u].local {
			switch color[c] {
			case grey:
				return &RefError{URL: g.nodes[c].s.Location, Cycle: true}
			case white:
				if err := visit(c); err != nil {
					return err
				}
			}
		}
		color[u] = black
		next--
		g.nodes[u].topo = next
		return nil
	}
	for u := range g.nodes {
		if color[u] == white {
			if err := visit(int32(u)); err != nil {
				return err
			}
		}
	}
	return nil
}

// expanded is the number of subschemas of the schema with each reference
// replaced by a copy of its target, stopping at limit+1. A reference back
// to a schema being expanded (recursion, which consumes the value as local
// cycles are refused) counts once: its cost is paid per level of the value,
// and counter bounds that.
func (g *graph) expanded(limit int64) int64 {
	memo := make([]int64, len(g.nodes)) // 0: not done; -1: on the stack
	var visit func(u int32) int64
	visit = func(u int32) int64 {
		switch memo[u] {
		case -1:
			return 1
		case 0:
		default:
			return memo[u]
		}
		memo[u] = -1
		total := int64(1)
		g.nodes[u].each(func(c int32) bool {
			total += visit(c)
			return total <= limit
		})
		total = min(total, limit+1)
		memo[u] = total
		return total
	}
	return visit(0)
}

// each calls f for every edge of n until f returns false.
func (n *node) each(f func(int32) bool) {
	lists := [][]int32{n.local, n.patterns, n.allProps, n.prefix, n.allItems, {n.addl, n.propNames, n.rest}}
	for _, l := range lists {
		for _, c := range l {
			if c >= 0 && !f(c) {
				return
			}
		}
	}
	for _, k := range sortedKeys(n.props) {
		if !f(n.props[k]) {
			return
		}
	}
}

// size is the number of JSON nodes in v.
func size(v any) int64 {
	n := int64(1)
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			n += size(e)
		}
	case []any:
		for _, e := range v {
			n += size(e)
		}
	}
	return n
}
