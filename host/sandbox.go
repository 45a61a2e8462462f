package host

import (
	"context"
	"crypto/rand"
	"sort"
	"sync"
	"sync/atomic"
	"time"

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

// waiter is the one way a guest can wait in its instance: WASI's
// poll_oneoff with a clock subscription (Go's time.Sleep, Rust's
// thread::sleep, a bare poll_oneoff) ends in the nanosleep it is given.
// wazero's own (WithSysNanosleep) is time.Sleep: uninterruptible, and
// because close-on-context-done checks only at function entries and loop
// headers, a guest blocked in it outlives its timeout, its context and
// Plugin.Close. The waiter's sleep also ends when the current call's
// context is done (Close cancels it, see liveCalls).
//
// The other WASI calls that could block do not here: stdin is empty
// (fd_read and a poll on it answer at once), no sockets are granted, and
// sched_yield only yields. Extism's HTTP ends with the context too (see
// extismhttp.go); its other host calls do not wait.
//
// After a cut-short sleep the guest runs on; the call's driver then sees
// its context done and reports ReasonTimeout or ReasonCanceled, and the
// instance is discarded, even if the guest managed to return a reply.
type waiter struct {
	// ctx is the context of the instance's current call (instantiation,
	// _initialize and llmhost_configure included). It is set and read
	// only by the goroutine that calls into the instance: wazero runs
	// host functions on the caller's goroutine.
	ctx context.Context
}

// nanosleep implements sys.Nanosleep for the instance.
func (w *waiter) nanosleep(ns int64) {
	if ns <= 0 {
		return
	}
	var done <-chan struct{}
	if w.ctx != nil {
		done = w.ctx.Done()
	}
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	select {
	case <-t.C:
	case <-done:
	}
}

// liveCalls is what lets a driver's close stop the calls in flight before
// it frees what they run on. Closing a wazero runtime under a running call
// frees the module's resources beneath it (a data race, and extism/go-sdk
// then takes the close for an exit(0) and reports success); instead, close
// cancels each call's context, which wazero handles safely on the call's
// own goroutine, waits for the calls to return, and only then closes the
// runtime.
//
// Every call, instantiation and start-up step runs between begin and end,
// never nested (a read lock taken twice deadlocks against a waiting
// close).
type liveCalls struct {
	rw      sync.RWMutex // shared by calls, exclusive for close
	closing atomic.Bool  // close has begun: calls starting now are canceled
	closed  bool         // guarded by rw: nothing may run any more

	mu    sync.Mutex
	slots map[*callSlot]struct{} // the driver's live instances
}

// callSlot holds the cancel function of an instance's current call.
type callSlot struct {
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (l *liveCalls) add(s *callSlot) {
	l.mu.Lock()
	if l.slots == nil {
		l.slots = map[*callSlot]struct{}{}
	}
	l.slots[s] = struct{}{}
	l.mu.Unlock()
}

func (l *liveCalls) remove(s *callSlot) {
	l.mu.Lock()
	delete(l.slots, s)
	l.mu.Unlock()
}

// begin starts a call whose context cancel ends; it reports false, and
// the call must not run, once the driver is closed.
func (l *liveCalls) begin(s *callSlot, cancel context.CancelFunc) bool {
	l.rw.RLock()
	if l.closed {
		l.rw.RUnlock()
		return false
	}
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	if l.closing.Load() {
		cancel()
	}
	return true
}

func (l *liveCalls) end(s *callSlot) {
	s.mu.Lock()
	s.cancel = nil
	s.mu.Unlock()
	l.rw.RUnlock()
}

// close cancels the calls in flight and returns once they all returned;
// later calls do not run.
func (l *liveCalls) close() {
	l.closing.Store(true)
	l.mu.Lock()
	for s := range l.slots {
		s.mu.Lock()
		if s.cancel != nil {
			s.cancel()
		}
		s.mu.Unlock()
	}
	l.mu.Unlock()
	l.rw.Lock()
	l.closed = true
	l.rw.Unlock()
}

func errClosed() *Error { return &Error{Reason: ReasonClosed, Message: "the plugin is closed"} }

// closeWatch records that wazero closed a module of an instance: an exit
// (proc_exit, with any status), a close on context done, or the runtime's
// close. extism/go-sdk turns proc_exit(0) into a successful call and
// keeps no record of it, yet the instance is dead: without this, the pool
// would hand it to the next call, which would fail with "module is
// closed".
type closeWatch struct{ closed atomic.Bool }

func (c *closeWatch) CloseNotify(context.Context, uint32) { c.closed.Store(true) }

// withCloseWatch returns ctx set up so that modules instantiated with it
// report their close to c.
func (c *closeWatch) withCloseWatch(ctx context.Context) context.Context {
	return experimental.WithCloseNotifier(ctx, c)
}

// moduleConfig is the sandbox seen through WASI: no arguments, no
// environment, no files, stdin empty and stdout discarded unless granted;
// real clocks and randomness, because guests need them (backoff jitter,
// timestamps) and they grant no access to anything. Each instance adds its
// own stderr capture and sleep (see instanceConfig).
//
// A driver builds it once, when the plugin loads: instances are created
// while Close may be releasing the grants, and a wazero.ModuleConfig is
// immutable, so reading it then is safe where reading the config's grants
// would not be.
func (c *config) moduleConfig() wazero.ModuleConfig {
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(). // _initialize is called by the host, under a timeout
		WithSysWalltime().
		WithSysNanotime().
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

// instanceConfig is base, the plugin's moduleConfig, for one instance: its
// stderr goes to the instance's capture, and its sleeps end with the
// instance's call (see waiter).
func instanceConfig(base wazero.ModuleConfig, stderr *capture, w *waiter) wazero.ModuleConfig {
	return base.WithStderr(stderr).WithNanosleep(w.nanosleep)
}
