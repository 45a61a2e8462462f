package main

import (
	"testing"

	"github.com/llmhost/llmhost/pdk"
)

func TestCalculator(t *testing.T) {
	cases := []struct{ call, want, wantErr string }{
		{`{"id":"1","name":"add","arguments":{"a":2,"b":3}}`, "5", ""},
		{`{"id":"1","name":"subtract","arguments":{"a":2,"b":3}}`, "-1", ""},
		{`{"id":"1","name":"multiply","arguments":{"a":2.5,"b":4}}`, "10", ""},
		{`{"id":"1","name":"divide","arguments":{"a":1,"b":4}}`, "0.25", ""},
		{`{"id":"1","name":"divide","arguments":{"a":1,"b":0}}`, "", "panic: division by zero"},
	}
	for _, c := range cases {
		out, err := pdk.Invoke("call", []byte(c.call))
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr {
				t.Errorf("%s: error %v, want %q", c.call, err, c.wantErr)
			}
			continue
		}
		if err != nil || string(out) != c.want {
			t.Errorf("%s = %s, %v; want %s", c.call, out, err, c.want)
		}
	}
}
