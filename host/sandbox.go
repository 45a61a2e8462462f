package host

import (
	"context"
	"crypto/rand"
	"sort"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// limitedMemory backs one linear memory of one instance and enforces the
// plugin's memory limit itself, instead of wazero's runtime-wide page limit,
// for one reason: it knows when it refused to grow. A guest that hits the
// limit usually fails in some other way afterwards (a Go guest exits with
// "out of memory", a hand-written one traps, the Extism kernel hands out a
// null pointer and the SDK silently returns empty output); the refusal is
// what lets the host name the real cause, ReasonMemoryLimit.
type limitedMemory struct {
	buf   []byte
	limit uint64
	hit   bool // a grow past limit was refused since the last reset
}

func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.hit = true
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	// Grow geometrically, like append, but never past the limit: the
	// copy on growth is the cost of not reserving limit bytes per instance.
	c := max(size, min(2*uint64(cap(m.buf)), m.limit))
	nb := make([]byte, size, c)
	copy(nb, m.buf)
	m.buf = nb
	return nb
}

func (m *limitedMemory) Free() { m.buf = nil }

// memories collects the limitedMemory of every memory an instance creates
// (a native guest has one; an Extism instance has the guest's and the
// kernel's).
type memories struct {
	limit uint64
	mems  []*limitedMemory
}

func (ms *memories) Allocate(capacity, _ uint64) experimental.LinearMemory {
	m := &limitedMemory{limit: ms.limit, buf: make([]byte, 0, min(capacity, ms.limit))}
	ms.mems = append(ms.mems, m)
	return m
}

// withAllocator returns ctx set up so that modules instantiated with it get
// their memories from ms.
func (ms *memories) withAllocator(ctx context.Context) context.Context {
	return experimental.WithMemoryAllocator(ctx, ms)
}

func (ms *memories) hit() bool {
	for _, m := range ms.mems {
		if m.hit {
			return true
		}
	}
	return false
}

func (ms *memories) reset() {
	for _, m := range ms.mems {
		m.hit = false
	}
}

// capture is a bounded stderr: it keeps the first max bytes of a call's
// output (a panic message comes first; the stack after it is the part worth
// losing) and counts the rest.
type capture struct {
	buf     []byte
	max     int
	dropped int
}

func (c *capture) Write(p []byte) (int, error) {
	n := len(p)
	room := c.max - len(c.buf)
	if room < len(p) {
		c.dropped += len(p) - max(room, 0)
		p = p[:max(room, 0)]
	}
	c.buf = append(c.buf, p...)
	return n, nil
}

func (c *capture) reset() { c.buf, c.dropped = c.buf[:0], 0 }

// String returns what was kept, noting how much was dropped.
func (c *capture) String() string {
	if c.dropped == 0 {
		return string(c.buf)
	}
	return string(c.buf) + "\n[... " + FormatSize(int64(c.dropped)) + " of stderr dropped]"
}

// moduleConfig is the sandbox seen through WASI: no arguments, no
// environment, no files, stdin empty and stdout discarded unless granted;
// stderr captured; real clocks and randomness, because guests need them
// (backoff jitter, timestamps) and they grant no access to anything.
func (c *config) moduleConfig(stderr *capture) wazero.ModuleConfig {
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(). // _initialize is called by the host, under a timeout
		WithStderr(stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithSysNanosleep().
		WithRandSource(rand.Reader)
	keys := make([]string, 0, len(c.env))
	for k := range c.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		mc = mc.WithEnv(k, c.env[k])
	}
	if len(c.grants) > 0 {
		mc = mc.WithFSConfig(c.fsConfig())
	}
	return mc
}
