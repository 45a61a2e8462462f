package host_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/llmhost/llmhost/host"
)

// Concurrent calls each get an instance of their own: every call's output
// is its own, however the calls interleave.
func TestConcurrentCallsThroughThePool(t *testing.T) {
	for _, c := range []struct {
		name string
		path func(testing.TB) string
	}{{"native", nativeGuest}, {"extism", extismGuest}} {
		t.Run(c.name, func(t *testing.T) {
			p := load(t, c.path(t), host.WithMaxIdle(4))
			const goroutines, calls = 16, 20
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*calls)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						id := fmt.Sprintf("g%d-c%d", g, i)
						var got, want string
						var err error
						if c.name == "native" {
							// tag stores id in instance state, spins, reads it back.
							got, err = tool(t, p, "tag", fmt.Sprintf(`{"id":%q,"spin":20000}`, id))
							want = fmt.Sprintf("%q", id)
						} else {
							var out []byte
							out, err = p.Call(context.Background(), "echo", []byte(id))
							got, want = string(out), id
						}
						if err != nil {
							errs <- fmt.Errorf("%s: %v", id, err)
						} else if got != want {
							errs <- fmt.Errorf("%s: got %s", id, got)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			st := p.Stats()
			if st.InUse != 0 || st.Idle > 4 || st.Discarded != 0 {
				t.Errorf("stats after the calls: %+v", st)
			}
		})
	}
}
