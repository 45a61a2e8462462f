package schemaguard

import (
	"maps"
	"slices"
)

// sortedKeys makes graph construction deterministic, so that the same
// schema always reports the same error.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func sorted[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}
