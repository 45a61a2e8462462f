package abi_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/llmhost/llmhost/abi"
)

// The ABI's messages arrive from guests the host does not trust, and
// guests decode the host's with the same types: decoding any bytes must
// fail cleanly or give a value that survives a round trip, and the
// validators must hold what they promise.

// FuzzDescribe decodes a describe reply as the host does (json.Unmarshal,
// then Validate for a native guest).
func FuzzDescribe(f *testing.F) {
	f.Add([]byte(`{"abi":"llmhost/1","name":"calculator","version":"1.0.0","tools":[{"name":"divide","description":"Divides a by b.","parameters":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}],"parsers":[{"name":"json","description":"JSON in prose or a fence"}],"retry":false}`))
	f.Add([]byte(`{"tools":[{"name":"greet","description":"Greets","inputSchema":{"type":"object","required":["name"]}}]}`))
	f.Add([]byte(`{"abi":"llmhost/1","name":"p","parsers":["json",{"name":"yaml"}],"retry":true}`))
	f.Add([]byte(`{"abi":"llmhost/1","name":"p","tools":[{"name":"a"},{"name":"a"}]}`))
	f.Add([]byte(`{"abi":"llmhost/1","name":"p","tools":[{"name":"a","parameters":null,"inputSchema":true}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d abi.Describe
		if json.Unmarshal(b, &d) != nil {
			return
		}
		valid := d.Validate() == nil
		kinds := d.Kinds()
		if (len(d.Tools) > 0) != contains(kinds, "tool") || (len(d.Parsers) > 0) != contains(kinds, "parser") || d.Retry != contains(kinds, "retry") {
			t.Errorf("Kinds() = %v for %+v", kinds, d)
		}
		if valid {
			seen := map[string]bool{}
			for _, tl := range d.Tools {
				if tl.Name == "" || seen[tl.Name] {
					t.Errorf("Validate accepted tools %+v", d.Tools)
				}
				seen[tl.Name] = true
				if tl.Parameters != nil && !json.Valid(tl.Parameters) {
					t.Errorf("Validate accepted parameters %q", tl.Parameters)
				}
			}
		}
		// What the host decoded, encoded again, decodes to the same thing,
		// with the same verdict.
		again := roundTrip(t, &d, new(abi.Describe))
		if (again.Validate() == nil) != valid {
			t.Errorf("Validate changed over a round trip: %v, then %v", d.Validate(), again.Validate())
		}
	})
}

// FuzzMessages decodes every other message of the ABI from the same bytes:
// the inputs the guest SDK decodes and the replies the host decodes.
func FuzzMessages(f *testing.F) {
	f.Add([]byte(`{"id":"call_abc123","name":"divide","arguments":{"a":1,"b":0}}`))
	f.Add([]byte(`{"text":"Sure! ` + "```json\\n{\\\"city\\\": \\\"Lyon\\\"}\\n```" + `","schema":{"type":"object"},"format":"json"}`))
	f.Add([]byte(`{"value":{"city":"Lyon"}}`))
	f.Add([]byte(`{"attempt":2,"elapsed_ms":1840,"model":"openai/gpt-4o-mini","fallbacks":["anthropic/claude-3-5-haiku-latest"],"error":{"kind":"rate_limit","status":429,"message":"Rate limit reached","retry_after_ms":2000,"provider":"openai"}}`))
	f.Add([]byte(`{"action":"fallback","delay_ms":0,"model":"anthropic/claude-3-5-haiku-latest"}`))
	f.Add([]byte(`{"action":"retry","delay_ms":-5}`))
	f.Add([]byte(`{"message":"division by zero","retry_message":"Answer again."}`))
	f.Add([]byte(`{"content":[{"type":"text","text":"Hello"},{"type":"image","data":"..."}],"isError":true}`))
	f.Add([]byte(`{"params":{"name":"greet","arguments":{"name":"Ada"}}}`))
	f.Add([]byte(`{"max_attempts":"5","jitter":"0"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d abi.Decision
		if json.Unmarshal(b, &d) == nil {
			if d.Validate() == nil {
				if d.Action != abi.ActionRetry && d.Action != abi.ActionFallback && d.Action != abi.ActionFail ||
					d.Action == abi.ActionFallback && d.Model == "" || d.DelayMS < 0 {
					t.Errorf("Validate accepted %+v", d)
				}
			}
			roundTrip(t, &d, new(abi.Decision))
		}
		var e abi.Error
		if json.Unmarshal(b, &e) == nil {
			roundTrip(t, &e, new(abi.Error))
		}
		var tc abi.ToolCall
		if json.Unmarshal(b, &tc) == nil {
			roundTrip(t, &tc, new(abi.ToolCall))
		}
		var pr abi.ParseRequest
		if json.Unmarshal(b, &pr) == nil {
			roundTrip(t, &pr, new(abi.ParseRequest))
		}
		var res abi.ParseResult
		if json.Unmarshal(b, &res) == nil {
			roundTrip(t, &res, new(abi.ParseResult))
		}
		var dr abi.DecideRequest
		if json.Unmarshal(b, &dr) == nil {
			roundTrip(t, &dr, new(abi.DecideRequest))
		}
		var mr abi.MCPCallResult
		if json.Unmarshal(b, &mr) == nil {
			roundTrip(t, &mr, new(abi.MCPCallResult))
		}
		var mq abi.MCPCallRequest
		if json.Unmarshal(b, &mq) == nil {
			roundTrip(t, &mq, new(abi.MCPCallRequest))
		}
		var c abi.Config
		if json.Unmarshal(b, &c) == nil {
			roundTrip(t, &c, new(abi.Config))
		}
	})
}

// roundTrip encodes v, decodes it into into, encodes that, and requires the
// two encodings to be equal: encoding is stable for whatever decoding can
// produce. It returns into.
func roundTrip[T any](t *testing.T, v, into *T) *T {
	t.Helper()
	first, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding the decoded %T %+v: %v", v, *v, err)
	}
	if err := json.Unmarshal(first, into); err != nil {
		t.Fatalf("decoding our own encoding %s: %v", first, err)
	}
	second, err := json.Marshal(into)
	if err != nil {
		t.Fatalf("encoding again: %v", err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("unstable round trip of %T:\n%s\n%s", v, first, second)
	}
	return into
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
