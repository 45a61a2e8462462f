package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/bench/internal/guests"
	"github.com/llmhost/llmhost/bench/internal/memstat"
	"github.com/llmhost/llmhost/host"
)

// BenchmarkConcurrency has 1, 2, 4 and 16 goroutines call the bundled
// calculator's add tool through one plugin's pool, as an application
// serving concurrent requests would. It reports ns/op (the inverse of the
// throughput, over all goroutines), calls/s, the p50 and p99 latency of a
// single call, the instances the pool created, and pool-MiB: the resident
// memory the loaded plugin holds once the calls are done, with the pool's
// idle instances in it (machine code is shared and excluded: it is loaded
// before the baseline).
//
// The pool runs with its defaults, and again with WithMaxIdle(16) so that
// it keeps every instance the 16 goroutines need.
func BenchmarkConcurrency(b *testing.B) {
	ctx := context.Background()
	path, err := guests.Path("calculator")
	if err != nil {
		b.Fatal(err)
	}
	// Compile once, outside every baseline, so pool-MiB counts instances.
	warm, err := host.Load(ctx, path, host.WithCacheDir(cacheDir))
	if err != nil {
		b.Fatal(err)
	}
	defer warm.Close(ctx)

	call := abi.ToolCall{ID: "call_1", Name: "add", Arguments: json.RawMessage(`{"a":1.5,"b":2.25}`)}
	for _, pool := range []struct {
		name string
		opts []host.Option
	}{{"default", nil}, {"maxidle16", []host.Option{host.WithMaxIdle(16)}}} {
		for _, n := range []int{1, 2, 4, 16} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", pool.name, n), func(b *testing.B) {
				base, err := memstat.Take(true)
				if err != nil {
					b.Fatal(err)
				}
				p, err := host.Load(ctx, path, append([]host.Option{host.WithCacheDir(cacheDir)}, pool.opts...)...)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close(ctx)

				lat := make([][]time.Duration, n)
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for g := range n {
					calls := b.N / n
					if g < b.N%n {
						calls++
					}
					lat[g] = make([]time.Duration, 0, calls)
					wg.Go(func() {
						for range calls {
							t := time.Now()
							if _, err := p.CallTool(ctx, call); err != nil {
								b.Error(err)
								return
							}
							lat[g] = append(lat[g], time.Since(t))
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()

				all := slices.Concat(lat...)
				slices.Sort(all)
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
				b.ReportMetric(float64(quantile(all, 0.50).Nanoseconds())/1e3, "p50-µs")
				b.ReportMetric(float64(quantile(all, 0.99).Nanoseconds())/1e3, "p99-µs")
				st := p.Stats()
				b.ReportMetric(float64(st.Created), "instances")
				if held, err := memstat.Take(true); err == nil {
					b.ReportMetric(float64(held.RSS-base.RSS)/(1<<20), "pool-MiB")
				}
			})
		}
	}
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
