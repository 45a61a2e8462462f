package schemaguard

import (
	"container/heap"
	"encoding/json"
)

// counter computes, before validation, an upper bound on the validator's
// work for one instance, and stops as soon as it passes the budget.
//
// The validator applies subschemas to values recursively, and a schema
// reached twice (two references to one definition, an anyOf inside an
// anyOf) is applied twice: the work is the number of paths through the
// graph, which can be exponential in its size. The counter does not follow
// paths. For each value of the instance it holds the multiset of nodes
// applied to it: start from what the parent value applies, propagate the
// counts along local edges in topological order (so each node is handled
// once per value, however many paths reach it), charge count x cost, then
// hand each member of the value the nodes its edges apply to it. Its own
// cost is thus linear in the instance plus the distinct (node, value) pairs,
// while the figure it computes is what the validator would do if every
// keyword applied and nothing short-circuited: never less than the truth.
type counter struct {
	g      *graph
	budget int64
	used   int64
	h      topoHeap
}

type applied struct {
	node  int32
	times int64
}

var errOverBudget = &LimitError{Field: "Work"}

// charge adds times x cost, saturating rather than overflowing.
func (c *counter) charge(times, cost int64) error {
	if cost > 0 && times > (c.budget-c.used)/cost {
		c.used = c.budget + 1
		return errOverBudget
	}
	c.used += times * cost
	return nil
}

// value charges the work of applying start to v at depth and returns the
// number of JSON nodes in v.
func (c *counter) value(v any, start []applied, depth int) (int64, error) {
	reached, err := c.local(v, start, depth)
	if err != nil {
		return 0, err
	}
	nodes := int64(1)
	switch v := v.(type) {
	case map[string]any:
		var objs []applied
		for _, a := range reached {
			if c.g.nodes[a.node].objEdges {
				objs = append(objs, a)
			}
		}
		for k, e := range v {
			var next, names []applied
			for _, a := range objs {
				n := c.g.nodes[a.node]
				if p, ok := n.props[k]; ok {
					next = append(next, applied{p, a.times})
				} else if n.addl >= 0 {
					next = append(next, applied{n.addl, a.times})
				}
				for _, p := range n.patterns {
					next = append(next, applied{p, a.times})
				}
				for _, p := range n.allProps {
					next = append(next, applied{p, a.times})
				}
				if n.propNames >= 0 {
					names = append(names, applied{n.propNames, a.times})
				}
			}
			if len(names) > 0 {
				if _, err := c.value(k, names, depth+1); err != nil {
					return 0, err
				}
			}
			m, err := c.member(e, next, depth+1)
			if err != nil {
				return 0, err
			}
			nodes += m
		}
	case []any:
		var arrs []applied
		for _, a := range reached {
			if c.g.nodes[a.node].arrEdges {
				arrs = append(arrs, a)
			}
		}
		for i, e := range v {
			var next []applied
			for _, a := range arrs {
				n := c.g.nodes[a.node]
				if i < len(n.prefix) {
					next = append(next, applied{n.prefix[i], a.times})
				} else if n.rest >= 0 {
					next = append(next, applied{n.rest, a.times})
				}
				for _, p := range n.allItems {
					next = append(next, applied{p, a.times})
				}
			}
			m, err := c.member(e, next, depth+1)
			if err != nil {
				return 0, err
			}
			nodes += m
		}
		// uniqueItems hashes every node of the array; up to 20 items it
		// compares them pairwise instead.
		for _, a := range reached {
			if c.g.nodes[a.node].unique {
				per := 2 * nodes
				if len(v) <= 20 {
					per = int64(len(v)) * nodes
				}
				if err := c.charge(a.times, per); err != nil {
					return 0, err
				}
			}
		}
	}
	return nodes, nil
}

// member is value for a member that nothing may be applied to.
func (c *counter) member(v any, start []applied, depth int) (int64, error) {
	if len(start) == 0 {
		return size(v), nil
	}
	return c.value(v, start, depth)
}

// local propagates start along local edges, charging each node once per
// value with the number of times the validator applies it.
func (c *counter) local(v any, start []applied, depth int) ([]applied, error) {
	times := make(map[int32]int64, len(start))
	c.h = c.h[:0]
	push := func(u int32, t int64) {
		if _, ok := times[u]; !ok {
			heap.Push(&c.h, topoItem{c.g.nodes[u].topo, u})
		}
		times[u] += t
	}
	for _, a := range start {
		push(a.node, a.times)
	}
	perValue := int64(depth / 8) // each error copies the value's location
	keys, strLen := int64(0), int64(0)
	switch v := v.(type) {
	case map[string]any:
		keys = int64(len(v))
	case string:
		strLen = int64(len(v))
	case json.Number:
		strLen = int64(len(v))
	}
	var reached []applied
	for c.h.Len() > 0 {
		u := heap.Pop(&c.h).(topoItem).node
		t := times[u]
		n := c.g.nodes[u]
		cost := n.weight + perValue + keys*(1+int64(len(n.patterns)))
		if n.readsStr {
			cost += strLen / 256
		}
		if n.patternLen > 0 {
			cost += strLen * n.patternLen / 1024
		}
		if err := c.charge(t, cost); err != nil {
			return nil, err
		}
		reached = append(reached, applied{u, t})
		for _, d := range n.local {
			push(d, t)
		}
	}
	return reached, nil
}

type topoItem struct{ topo, node int32 }

type topoHeap []topoItem

func (h topoHeap) Len() int           { return len(h) }
func (h topoHeap) Less(i, j int) bool { return h[i].topo < h[j].topo }
func (h topoHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topoHeap) Push(x any)        { *h = append(*h, x.(topoItem)) }
func (h *topoHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
