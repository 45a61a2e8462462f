package orderedjson

import (
	"encoding/json"
	"testing"
)

func TestRoundTripKeepsOrderAndNumbers(t *testing.T) {
	in := `{"z":1,"a":{"y":[1.50,{"b":true,"a":null}],"x":"s"},"m":12345678901234567890}`
	v, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("got  %s\nwant %s", out, in)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{`{"a":1} {}`, `{"a":`, `{1:2}`, ``} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) succeeded", in)
		}
	}
}

func TestSetKeepsFirstPlace(t *testing.T) {
	o := New()
	o.Set("a", 1)
	o.Set("b", 2)
	o.Set("a", 3)
	b, _ := json.Marshal(o)
	if string(b) != `{"a":3,"b":2}` {
		t.Errorf("got %s", b)
	}
}
