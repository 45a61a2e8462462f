// Command soakguest is the tool plugin of the soak test: one well-behaved
// tool and one tool per way of failing. Every tool gets the call's id and
// leaves it in what the host sees (the result, the panic message, or
// stderr before the guest loops or eats memory), so that the soak can
// match each output or error to the call that caused it.
package main

import (
	"errors"
	"os"

	"github.com/llmhost/llmhost/pdk"
)

type args struct {
	ID string `json:"id"`
}

// state is per instance. ok writes it, works, and reads it back: a result
// that is not the call's own id would mean two calls shared an instance.
var state string

// sink keeps grow's allocations alive, so that the memory limit is what
// stops it rather than the guest's garbage collector.
var sink [][]byte

func init() {
	pdk.Info("soak", "1.0.0")

	pdk.Tool("ok", "Returns its id after a little work.", func(a args) (string, error) {
		state = a.ID
		x := 0
		for i := range 2000 {
			x += i
		}
		if x < 0 {
			return "", errors.New("unreachable")
		}
		return state, nil
	})
	pdk.Tool("panic", "Panics; the guest SDK recovers it.", func(a args) (string, error) {
		panic("soak panic " + a.ID)
	})
	pdk.Tool("fatal", "Panics on another goroutine, which no recover can catch.", func(a args) (string, error) {
		block := make(chan struct{})
		go func() { panic("soak fatal " + a.ID) }()
		<-block // the panic above kills the guest first
		return "", nil
	})
	pdk.Tool("loop", "Never returns.", func(a args) (string, error) {
		os.Stderr.WriteString("soak loop " + a.ID + "\n")
		for {
		}
	})
	pdk.Tool("grow", "Allocates until the memory limit stops it.", func(a args) (string, error) {
		os.Stderr.WriteString("soak grow " + a.ID + "\n")
		for {
			b := make([]byte, 4<<20)
			b[0] = 1
			sink = append(sink, b)
		}
	})
}

func main() {}
