// Command native is the test guest of the llmhost/1 ABI: well-behaved tools
// for the pool and sandbox tests, and tools that misbehave on purpose, one
// way each. It also exports echo, the raw function the benchmarks call.
package main

import (
	"errors"
	"net"
	"os"
	"runtime/debug"
	"strings"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/pdk"
)

type empty struct{}

type pathArgs struct {
	Path string `json:"path"`
}

type linkArgs struct {
	Target string `json:"target"`
	Path   string `json:"path"`
}

type nameArgs struct {
	Name string `json:"name"`
}

type tagArgs struct {
	ID   string `json:"id"`
	Spin int    `json:"spin"`
}

type sizeArgs struct {
	N int `json:"n"`
}

// state is per instance: the pool tests check it never leaks across.
var state string

var sink [][]byte

func init() {
	pdk.Info("native", "0.1.0")

	pdk.Tool("tag", "Remembers id, spins, and returns what it remembers.", func(a tagArgs) (string, error) {
		state = a.ID
		x := 0
		for i := range a.Spin {
			x += i
		}
		if x < 0 {
			return "", errors.New("unreachable")
		}
		return state, nil
	})
	pdk.Tool("set", "Sets this instance's state.", func(a nameArgs) (bool, error) { state = a.Name; return true, nil })
	pdk.Tool("get", "Returns this instance's state.", func(empty) (string, error) { return state, nil })
	pdk.Tool("config", "Returns a configuration value.", func(a nameArgs) (string, error) {
		v, _ := pdk.Config(a.Name)
		return v, nil
	})

	pdk.Tool("panic", "Panics.", func(empty) (int, error) { panic("deliberate panic") })
	pdk.Tool("fail", "Returns an error.", func(empty) (int, error) { return 0, errors.New("deliberate failure") })
	pdk.Tool("loop", "Never returns.", func(empty) (int, error) {
		for {
		}
	})
	pdk.Tool("grow", "Allocates until memory runs out.", func(empty) (int, error) {
		for {
			b := make([]byte, 1<<20)
			b[0] = 1
			sink = append(sink, b)
		}
	})
	pdk.Tool("recurse", "Recurses without end.", func(empty) (int, error) {
		debug.SetMaxStack(1 << 20)
		return recurse(1), nil
	})
	pdk.Tool("exit", "Exits with status 3.", func(empty) (int, error) { os.Exit(3); return 0, nil })
	pdk.Tool("big", "Returns a string of n bytes.", func(a sizeArgs) (string, error) { return strings.Repeat("x", a.N), nil })
	pdk.Tool("stderr", "Writes n bytes to stderr, then fails.", func(a sizeArgs) (int, error) {
		os.Stderr.WriteString(strings.Repeat("e", a.N))
		return 0, errors.New("wrote stderr")
	})

	pdk.Parser("upper", "Upper-cases the text.", func(r abi.ParseRequest) (any, error) { return strings.ToUpper(r.Text), nil })
	pdk.Parser("strict", "Rejects everything.", func(r abi.ParseRequest) (any, error) {
		return nil, &abi.Error{Message: "no JSON found", RetryMessage: "Answer with a JSON object only."}
	})
	pdk.Parser("spin", "Never returns.", func(abi.ParseRequest) (any, error) {
		for {
		}
	})
	pdk.Retry(func(r abi.DecideRequest) (abi.Decision, error) {
		switch {
		case r.Model == "loop/model":
			for {
			}
		case r.Model == "bad/model":
			return abi.Decision{Action: "later"}, nil
		case r.Attempt > 2 && len(r.Fallbacks) > 0:
			return abi.Decision{Action: abi.ActionFallback, Model: r.Fallbacks[0]}, nil
		case r.Attempt > 2:
			return abi.Decision{Action: abi.ActionFail}, nil
		}
		return abi.Decision{Action: abi.ActionRetry, DelayMS: int64(r.Attempt)*100 + r.Error.RetryAfterMS}, nil
	})

	pdk.Tool("read_file", "Reads a file.", func(a pathArgs) (string, error) {
		b, err := os.ReadFile(a.Path)
		return string(b), err
	})
	pdk.Tool("write_file", "Writes a file.", func(a pathArgs) (bool, error) {
		return true, os.WriteFile(a.Path, []byte("written by the guest"), 0o644)
	})
	pdk.Tool("openat", "Opens a path relative to the first preopened directory, as raw WASI does, and reads it.", func(a pathArgs) (string, error) {
		return readAt(a.Path)
	})
	pdk.Tool("symlink", "Creates a symbolic link.", func(a linkArgs) (bool, error) {
		return true, os.Symlink(a.Target, a.Path)
	})
	pdk.Tool("getenv", "Reads an environment variable.", func(a nameArgs) (string, error) { return os.Getenv(a.Name), nil })
	pdk.Tool("environ", "Lists the environment.", func(empty) ([]string, error) { return os.Environ(), nil })
	pdk.Tool("dial", "Opens a TCP connection.", func(a nameArgs) (bool, error) {
		c, err := net.Dial("tcp", a.Name)
		if err != nil {
			return false, err
		}
		c.Close()
		return true, nil
	})
}

//go:noinline
func recurse(n int) int {
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n+1) + int(pad[0])
}

func main() {}
