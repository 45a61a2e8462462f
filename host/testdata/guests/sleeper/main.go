// Command sleeper is a test guest of the llmhost/1 ABI that waits in WASI
// (Go's time.Sleep ends in poll_oneoff) wherever a guest can: in a tool
// call, in a parser, in a retry strategy, and in its runtime's start-up
// (_initialize runs init) when the host grants it SLEEPER_INIT=1. The host
// must stop each wait at the call's deadline.
package main

import (
	"os"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/pdk"
)

type sleepArgs struct {
	MS int `json:"ms"`
}

func init() {
	pdk.Info("sleeper", "0.1.0")
	if os.Getenv("SLEEPER_INIT") == "1" {
		time.Sleep(time.Hour)
	}
	pdk.Tool("sleep", "Sleeps ms milliseconds, then answers.", func(a sleepArgs) (string, error) {
		time.Sleep(time.Duration(a.MS) * time.Millisecond)
		return "awake", nil
	})
	pdk.Tool("nap", "Answers at once.", func(struct{}) (string, error) { return "awake", nil })
	pdk.Parser("slow", "Sleeps an hour, then parses nothing.", func(abi.ParseRequest) (any, error) {
		time.Sleep(time.Hour)
		return map[string]any{}, nil
	})
	pdk.Retry(func(abi.DecideRequest) (abi.Decision, error) {
		time.Sleep(time.Hour)
		return abi.Decision{Action: "fail"}, nil
	})
}

func main() {}
