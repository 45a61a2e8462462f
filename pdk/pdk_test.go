package pdk

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmhost/llmhost/abi"
)

func reset(t *testing.T) {
	t.Helper()
	saved := reg
	savedConfig := config
	stderr = io.Discard
	reg.name, reg.version, reg.tools, reg.toolOrder = "", "", nil, nil
	reg.parsers, reg.parserOrder, reg.retry, reg.describe = nil, nil, nil, nil
	t.Cleanup(func() { reg = saved; config = savedConfig })
}

type operands struct {
	A float64 `json:"a" jsonschema:"description=left operand"`
	B float64 `json:"b"`
}

func registerCalc() {
	Info("calc", "1.2.3")
	Tool("divide", "Divides a by b.", func(o operands) (float64, error) {
		if o.B == 0 {
			panic("division by zero")
		}
		return o.A / o.B, nil
	})
	Tool("fail", "Always fails.", func(struct{}) (string, error) { return "", errors.New("nope") })
}

func TestDescribeIsGenerated(t *testing.T) {
	reset(t)
	registerCalc()
	Parser("upper", "Upper-cases.", func(r abi.ParseRequest) (any, error) { return strings.ToUpper(r.Text), nil })
	Retry(func(abi.DecideRequest) (abi.Decision, error) { return abi.Decision{Action: abi.ActionFail}, nil })

	out, err := Invoke("describe", nil)
	if err != nil {
		t.Fatal(err)
	}
	var d abi.Describe
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Name != "calc" || d.Version != "1.2.3" || !d.Retry || len(d.Tools) != 2 || d.Parsers[0].Name != "upper" {
		t.Fatalf("describe = %s", out)
	}
	var schema map[string]any
	if err := json.Unmarshal(d.Tools[0].Parameters, &schema); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"a", "b"},
		"properties": map[string]any{
			"a": map[string]any{"type": "number", "description": "left operand"},
			"b": map[string]any{"type": "number"},
		},
	}
	if diff := cmp.Diff(want, schema); diff != "" {
		t.Errorf("divide's schema (-want +got):\n%s", diff)
	}
}

func TestToolCalls(t *testing.T) {
	reset(t)
	registerCalc()
	cases := []struct {
		call    string
		want    string
		wantErr string
	}{
		{`{"id":"1","name":"divide","arguments":{"a":6,"b":3}}`, `2`, ""},
		{`{"id":"1","name":"divide","arguments":{"a":6,"b":0}}`, "", "panic: division by zero"},
		{`{"id":"1","name":"fail","arguments":{}}`, "", "nope"},
		{`{"id":"1","name":"nope","arguments":{}}`, "", `unknown tool "nope"`},
		{`{"id":"1","name":"divide","arguments":{"a":"six"}}`, "", "invalid arguments for divide"},
		{`not json`, "", "malformed call request"},
	}
	for _, c := range cases {
		out, err := Invoke("call", []byte(c.call))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("call %s: error %v, want it to contain %q", c.call, err, c.wantErr)
			}
			continue
		}
		if err != nil || string(out) != c.want {
			t.Errorf("call %s = %s, %v; want %s", c.call, out, err, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	reset(t)
	Parser("upper", "", func(r abi.ParseRequest) (any, error) { return strings.ToUpper(r.Text), nil })
	Parser("strict", "", func(r abi.ParseRequest) (any, error) {
		return nil, &abi.Error{Message: "bad", RetryMessage: "field x is missing; answer again"}
	})
	out, err := Invoke("parse", []byte(`{"text":"hi"}`))
	if err != nil || string(out) != `{"value":"HI"}` {
		t.Errorf("parse = %s, %v", out, err)
	}
	_, err = Invoke("parse", []byte(`{"text":"hi","format":"strict"}`))
	var e *abi.Error
	if !errors.As(err, &e) || e.RetryMessage != "field x is missing; answer again" {
		t.Errorf("strict parse error = %#v", err)
	}
	if _, err := Invoke("parse", []byte(`{"text":"hi","format":"yaml"}`)); err == nil {
		t.Error("unknown parser: no error")
	}
}

func TestDecideAndConfig(t *testing.T) {
	reset(t)
	if _, err := Invoke("decide", []byte(`{}`)); err == nil {
		t.Error("decide without a strategy: no error")
	}
	Retry(func(r abi.DecideRequest) (abi.Decision, error) {
		v, _ := Config("delay")
		if v == "" {
			v = "0"
		}
		return abi.Decision{Action: abi.ActionRetry, DelayMS: int64(len(v) * r.Attempt)}, nil
	})
	if _, err := Invoke("llmhost_configure", []byte(`{"delay":"xxxx"}`)); err != nil {
		t.Fatal(err)
	}
	out, err := Invoke("decide", []byte(`{"attempt":2,"elapsed_ms":0,"model":"m","fallbacks":[],"error":{"kind":"server","message":"x"}}`))
	if err != nil || string(out) != `{"action":"retry","delay_ms":8}` {
		t.Errorf("decide = %s, %v", out, err)
	}
}

func TestRawRecoversPanics(t *testing.T) {
	reset(t)
	out, err := runRaw(func(in []byte) ([]byte, error) { return in, nil }, []byte("x"))
	if err != nil || string(out) != "x" {
		t.Errorf("echo = %q, %v", out, err)
	}
	_, err = runRaw(func([]byte) ([]byte, error) { panic("boom") }, nil)
	if err == nil || err.Error() != "panic: boom" {
		t.Errorf("panic = %v", err)
	}
}

func TestRegisteringTwicePanics(t *testing.T) {
	reset(t)
	Tool("t", "", func(struct{}) (int, error) { return 0, nil })
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Tool("t", "", func(struct{}) (int, error) { return 0, nil })
}
