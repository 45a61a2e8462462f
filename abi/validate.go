package abi

import (
	"encoding/json"
	"fmt"
)

// Validate reports the first way d breaks the contract for a native guest.
// Host and guest SDK both use it, so a plugin that describes itself wrongly
// fails loudly at load time rather than at its first call.
func (d *Describe) Validate() error {
	if d.ABI != Version {
		return fmt.Errorf("describe: abi is %q, want %q", d.ABI, Version)
	}
	if d.Name == "" {
		return fmt.Errorf("describe: name is empty")
	}
	seen := map[string]bool{}
	for i, t := range d.Tools {
		if t.Name == "" {
			return fmt.Errorf("describe: tools[%d] has no name", i)
		}
		if seen[t.Name] {
			return fmt.Errorf("describe: tool %q is declared twice", t.Name)
		}
		seen[t.Name] = true
		if t.Parameters != nil && !json.Valid(t.Parameters) {
			return fmt.Errorf("describe: tool %q: parameters is not valid JSON", t.Name)
		}
		if t.Parameters != nil && !isSchema(t.Parameters) {
			return fmt.Errorf("describe: tool %q: parameters is not a JSON Schema (an object or a boolean)", t.Name)
		}
	}
	clear(seen)
	for i, p := range d.Parsers {
		if p.Name == "" {
			return fmt.Errorf("describe: parsers[%d] has no name", i)
		}
		if seen[p.Name] {
			return fmt.Errorf("describe: parser %q is declared twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// Validate reports whether d is a decision the engine can act on.
func (d *Decision) Validate() error {
	switch d.Action {
	case ActionRetry, ActionFail:
	case ActionFallback:
		if d.Model == "" {
			return fmt.Errorf("decision: action %q needs a model", d.Action)
		}
	default:
		return fmt.Errorf("decision: unknown action %q (want retry, fallback or fail)", d.Action)
	}
	if d.DelayMS < 0 {
		return fmt.Errorf("decision: delay_ms %d is negative", d.DelayMS)
	}
	return nil
}
