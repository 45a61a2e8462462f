package host

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// Two calls in flight hold two instances, and what one instance does is
// invisible to the other.
func TestInstancesShareNoState(t *testing.T) {
	ctx := context.Background()
	p, err := Load(ctx, wasmtest.BuildGo(t, "host/testdata/guests/native"), WithCacheDir(filepath.Join(wasmtest.Dir(t), "cache")))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)

	a, e := p.pool.get(ctx)
	if e != nil {
		t.Fatal(e)
	}
	b, e := p.pool.get(ctx)
	if e != nil {
		t.Fatal(e)
	}
	if a == b {
		t.Fatal("two outstanding gets returned the same instance")
	}
	call := func(in instance, name, args string) string {
		out, e := in.call(ctx, abi.ExportCall, []byte(`{"id":"1","name":"`+name+`","arguments":`+args+`}`), p.cfg.toolTO)
		if e != nil {
			t.Fatal(e)
		}
		return string(out)
	}
	call(a, "set", `{"name":"only in a"}`)
	if got := call(b, "get", `{}`); got != `""` {
		t.Errorf("b sees %s", got)
	}
	if got := call(a, "get", `{}`); got != `"only in a"` {
		t.Errorf("a sees %s", got)
	}
	p.pool.put(a)
	p.pool.put(b)
	if st := p.Stats(); st.Idle != 2 || st.InUse != 0 || st.Created != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestPoolBoundsInstances(t *testing.T) {
	ctx := context.Background()
	p, err := Load(ctx, wasmtest.BuildGo(t, "host/testdata/guests/native"), WithCacheDir(filepath.Join(wasmtest.Dir(t), "cache")), WithMaxInstances(1))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	a, e := p.pool.get(ctx)
	if e != nil {
		t.Fatal(e)
	}
	// The only slot is taken: a call waits, here until its context ends.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, e := p.pool.get(cctx); e == nil || e.Reason != ReasonCanceled {
		t.Errorf("get with no free slot = %v", e)
	}
	p.pool.put(a)
	b, e := p.pool.get(ctx)
	if e != nil || b != a {
		t.Errorf("get after put = %v, %v; want the same instance back", b, e)
	}
	p.pool.put(b)
}
