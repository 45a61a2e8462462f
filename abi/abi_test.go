package abi_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmhost/llmhost/abi"
)

func TestPackRoundTrip(t *testing.T) {
	cases := []struct {
		ptr, n uint32
		isErr  bool
	}{
		{0, 0, false},
		{1024, 17, true},
		{0xffffffff, abi.MaxReplyLen, false},
		{0xffffffff, abi.MaxReplyLen, true},
	}
	for _, c := range cases {
		ptr, n, isErr := abi.Unpack(abi.Pack(c.ptr, c.n, c.isErr))
		if ptr != c.ptr || n != c.n || isErr != c.isErr {
			t.Errorf("Unpack(Pack(%d, %d, %v)) = %d, %d, %v", c.ptr, c.n, c.isErr, ptr, n, isErr)
		}
	}
	// The layout is part of the contract, not an implementation detail.
	if got, want := abi.Pack(0x10, 0x20, true), uint64(0x8000002000000010); got != want {
		t.Errorf("Pack(0x10, 0x20, true) = %#x, want %#x", got, want)
	}
}

func TestToolAcceptsInputSchema(t *testing.T) {
	var d abi.Describe
	err := json.Unmarshal([]byte(`{"tools":[
		{"name":"a","parameters":{"type":"object"}},
		{"name":"b","inputSchema":{"type":"object","required":["x"]}},
		{"name":"c"}]}`), &d)
	if err != nil {
		t.Fatal(err)
	}
	want := []abi.Tool{
		{Name: "a", Parameters: json.RawMessage(`{"type":"object"}`)},
		{Name: "b", Parameters: json.RawMessage(`{"type":"object","required":["x"]}`)},
		{Name: "c"},
	}
	if diff := cmp.Diff(want, d.Tools); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}
}

func TestParserAcceptsString(t *testing.T) {
	var d abi.Describe
	if err := json.Unmarshal([]byte(`{"parsers":["json",{"name":"yaml","description":"YAML"}]}`), &d); err != nil {
		t.Fatal(err)
	}
	want := []abi.Parser{{Name: "json"}, {Name: "yaml", Description: "YAML"}}
	if diff := cmp.Diff(want, d.Parsers); diff != "" {
		t.Errorf("parsers (-want +got):\n%s", diff)
	}
}

func TestDescribeValidate(t *testing.T) {
	ok := abi.Describe{ABI: abi.Version, Name: "p", Tools: []abi.Tool{{Name: "a"}}, Retry: true}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid describe: %v", err)
	}
	if got := ok.Kinds(); !cmp.Equal(got, []string{"tool", "retry"}) {
		t.Errorf("Kinds() = %v", got)
	}
	bad := []abi.Describe{
		{ABI: "llmhost/0", Name: "p"},
		{ABI: abi.Version},
		{ABI: abi.Version, Name: "p", Tools: []abi.Tool{{Name: "a"}, {Name: "a"}}},
		{ABI: abi.Version, Name: "p", Tools: []abi.Tool{{}}},
		{ABI: abi.Version, Name: "p", Parsers: []abi.Parser{{}}},
		{ABI: abi.Version, Name: "p", Tools: []abi.Tool{{Name: "a", Parameters: json.RawMessage(`{`)}}},
	}
	for _, d := range bad {
		if err := d.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", d)
		}
	}
}

func TestDecisionValidate(t *testing.T) {
	good := []abi.Decision{{Action: abi.ActionRetry, DelayMS: 5}, {Action: abi.ActionFail}, {Action: abi.ActionFallback, Model: "m"}}
	for _, d := range good {
		if err := d.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", d, err)
		}
	}
	bad := []abi.Decision{{Action: "wait"}, {Action: abi.ActionFallback}, {Action: abi.ActionRetry, DelayMS: -1}}
	for _, d := range bad {
		if err := d.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", d)
		}
	}
}
