package host_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
	"github.com/tetratelabs/wazero"
)

// The compilation cache holds machine code that runs outside the sandbox.
// These tests are its attacker: they patch entries on disk the way wazero
// would accept them, and stage cache directories that others could write.

// The values the cached module answers: its call returns the bytes at
// answerAt; the patched machine code returns those at patchedAt instead.
const (
	answerAt  = 0x2b5d
	patchedAt = 0x3b5d
	answer    = `"original"`
	patched   = `"patched!"`
)

// cachedModule is a minimal llmhost/1 guest whose tool "run" answers
// `"original"`, and which also holds `"patched!"` in its memory, for the
// patched machine code to point at. other makes another module (another
// cache entry) that answers `"patched!"` honestly.
func cachedModule(other bool) []byte {
	if other {
		return cacheTestModule(patchedAt, nil)
	}
	return cacheTestModule(answerAt, nil)
}

// cacheTestModule is cachedModule answering the bytes at at, with
// describe's body replaced when describe is not nil.
func cacheTestModule(at uint32, describe []byte) []byte {
	d, _ := json.Marshal(abi.Describe{
		ABI: abi.Version, Name: "cached", Version: "0",
		Tools: []abi.Tool{{Name: "run", Description: "answers", Parameters: json.RawMessage(`{"type":"object"}`)}},
	})
	if describe == nil {
		describe = wasmtest.I64Const(int64(abi.Pack(256, uint32(len(d)), false)))
	}
	m := wasmtest.Module{
		MemoryMin: 1,
		Funcs: []wasmtest.Func{
			{Export: abi.ExportMarker},
			{Export: abi.ExportAlloc, Params: []byte{wasmtest.I32}, Results: []byte{wasmtest.I32}, Body: wasmtest.I32Const(1024)},
			{Export: abi.ExportDescribe, Params: []byte{wasmtest.I32, wasmtest.I32}, Results: []byte{wasmtest.I64}, Body: describe},
			{Export: abi.ExportCall, Params: []byte{wasmtest.I32, wasmtest.I32}, Results: []byte{wasmtest.I64},
				Body: wasmtest.I64Const(int64(abi.Pack(at, uint32(len(answer)), false)))},
		},
		Data: []wasmtest.Data{{Offset: 256, Bytes: d}, {Offset: answerAt, Bytes: []byte(answer)}, {Offset: patchedAt, Bytes: []byte(patched)}},
	}
	return m.Encode()
}

// The child process: a fresh process is the only way to make llmhost read
// the cache from disk, since within one process it shares the compiled
// code in memory.
const childEnv = "LLMHOST_CACHE_ATTACK_CHILD" // the cache directory; with "=other" after it, the other module

func TestCacheAttackChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return // only the parent tests run it, as a child process
	}
	dir, which, _ := strings.Cut(spec, "=")
	p, err := host.LoadBytes(context.Background(), cachedModule(which == "other"), host.WithCacheDir(dir))
	if err != nil {
		fmt.Printf("LOAD-ERROR %v\n", err)
		return
	}
	defer p.Close(context.Background())
	out, err := tool(t, p, "run", `{}`)
	fmt.Printf("ANSWER %s %v\n", out, err)
}

// loadInChild loads the cached module (or the other one) with dir as the
// cache in a new process and returns what its tool answered.
func loadInChild(t *testing.T, dir string, other bool) string {
	t.Helper()
	spec := dir
	if other {
		spec += "=other"
	}
	// A Load that hangs on a hostile file fails the test, well within.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCacheAttackChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if a, ok := strings.CutPrefix(line, "ANSWER "); ok {
			return strings.TrimSuffix(a, " <nil>")
		}
		if e, ok := strings.CutPrefix(line, "LOAD-ERROR "); ok {
			t.Fatalf("child process: Load: %s", e)
		}
	}
	t.Fatalf("child process said nothing of its answer:\n%s", out)
	return ""
}

// rawAnswer runs the module with wazero alone and a fresh cache on dir, so
// that it reads the entry from disk, and returns what "call" points at.
func rawAnswer(t *testing.T, dir string, wasm []byte) string {
	t.Helper()
	ctx := context.Background()
	cc, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close(ctx)
	// The same configuration as llmhost's, so the same cache key.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true).WithCompilationCache(cc).WithDebugInfoEnabled(false))
	defer rt.Close(ctx)
	m, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.ExportedFunction(abi.ExportCall).Call(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ptr, n, _ := abi.Unpack(res[0])
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		t.Fatalf("wazero: call returned %d bytes at %#x, outside memory", n, ptr)
	}
	return string(b)
}

// cacheKeyEnv gives the test its own key directory, so it neither reads
// nor writes the user's.
func cacheKeyEnv(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "config"))
}

// cacheEntries returns the wazero cache entries under dir (not the records).
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(dir, "wazero-*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range all {
		if b := filepath.Base(p); len(b) == 64 && !strings.Contains(b, ".") {
			out = append(out, p)
		}
	}
	return out
}

// patchEntry changes the machine code of a wazero cache entry so that the
// call export returns the bytes at patchedAt, not at answerAt, and fixes
// the CRC-32C wazero checks, the way wazero computes it. It returns false
// if the entry's code does not hold the constant.
func patchEntry(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// WAZEVO, version length, version, function count, one offset each,
	// code length, code, CRC-32C of the code (engine_cache.go).
	if !bytes.HasPrefix(b, []byte("WAZEVO")) {
		t.Fatalf("%s is not a wazevo cache entry", path)
	}
	at := 6 + 1 + int(b[6])
	nfuncs := int(binary.LittleEndian.Uint32(b[at:]))
	at += 4 + 8*nfuncs
	codeLen := int(binary.LittleEndian.Uint64(b[at:]))
	at += 8
	code := b[at : at+codeLen]
	if !patchConstant(code) {
		return false
	}
	binary.LittleEndian.PutUint32(b[at+codeLen:], crc32.Checksum(code, crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return true
}

// patchConstant rewrites the reply constant of the call export in code.
func patchConstant(code []byte) bool {
	switch runtime.GOARCH {
	case "amd64":
		// movabs: the i64 constant, little-endian, as an immediate.
		old := binary.LittleEndian.AppendUint64(nil, abi.Pack(answerAt, uint32(len(answer)), false))
		i := bytes.Index(code, old)
		if i < 0 || bytes.Index(code[i+1:], old) >= 0 {
			return false
		}
		binary.LittleEndian.PutUint32(code[i:], patchedAt)
		return true
	case "arm64":
		// movz xd, #answerAt; movk xd, #len, lsl 32.
		const movz = 0xd2800000
		n := 0
		for i := 0; i+4 <= len(code); i += 4 {
			w := binary.LittleEndian.Uint32(code[i:])
			if w&0xffffffe0 == movz|answerAt<<5 {
				binary.LittleEndian.PutUint32(code[i:], w&^(0xffff<<5)|patchedAt<<5)
				n++
			}
		}
		return n == 1
	}
	return false
}

// TestCacheEntryPatchedIsNotRun patches the machine code of a cache entry
// on disk, fixes its checksum, shows that wazero alone runs the patched
// code, and asserts that llmhost, in a fresh process, runs the module as
// built, having removed the entry and compiled it again.
func TestCacheEntryPatchedIsNotRun(t *testing.T) {
	for _, c := range []struct {
		attempt string
		tamper  func(t *testing.T, entry string)
	}{
		{"patch a cached entry's machine code on disk, CRC-32C fixed (wazero alone runs it)", func(t *testing.T, entry string) {
			mustPatch(t, entry)
		}},
		{"patch a cached entry and remove its record, as if planted (wazero alone runs it)", func(t *testing.T, entry string) {
			mustPatch(t, entry)
			if err := os.Remove(entry + ".mac"); err != nil {
				t.Fatal(err)
			}
		}},
		{"replace a cached entry by a link to a patched copy (wazero alone runs it)", func(t *testing.T, entry string) {
			elsewhere := filepath.Join(t.TempDir(), "patched")
			b, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(elsewhere, b, 0o600); err != nil {
				t.Fatal(err)
			}
			mustPatch(t, elsewhere)
			if err := os.Remove(entry); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, entry); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.attempt[:strings.Index(c.attempt, " (")], func(t *testing.T) {
			cacheKeyEnv(t)
			dir := filepath.Join(t.TempDir(), "cache")
			wasm := cachedModule(false)
			if got := loadInChild(t, dir, false); got != answer {
				t.Fatalf("first load answered %s, want %s", got, answer)
			}
			ents := cacheEntries(t, dir)
			if len(ents) != 1 {
				t.Fatalf("cache entries after one load: %q, want one", ents)
			}
			entry := ents[0]
			if _, err := os.Stat(entry + ".mac"); err != nil {
				t.Fatalf("the entry was not authenticated: %v", err)
			}
			privateModes(t, dir, entry)
			honest, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}

			c.tamper(t, entry)
			// Without authentication, the patch would run: wazero takes it.
			if got := rawAnswer(t, dir, wasm); got != patched {
				t.Fatalf("wazero alone answered %s from the tampered entry, want %s: the attack is not what it claims", got, patched)
			}
			if got := loadInChild(t, dir, false); got != answer {
				t.Fatalf("after the tampering, llmhost answered %s, want %s", got, answer)
			}
			fi, err := os.Lstat(entry)
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("no regular entry after the recompilation: %v", err)
			}
			if now, _ := os.ReadFile(entry); !bytes.Equal(now, honest) {
				t.Fatalf("the tampered entry was not replaced by the compiled one")
			}
			if _, err := os.Stat(entry + ".mac"); err != nil {
				t.Fatalf("the new entry was not authenticated: %v", err)
			}
			if got := rawAnswer(t, dir, wasm); got != answer {
				t.Fatalf("wazero alone now answers %s, want %s", got, answer)
			}
			outcome(t, "cache", c.attempt, "entry fails its HMAC and is removed; recompiled, the plugin answers as built")
		})
	}
}

func mustPatch(t *testing.T, path string) {
	t.Helper()
	if !patchEntry(t, path) {
		t.Fatalf("the reply constant is not once in the machine code of %s (%s)", path, runtime.GOARCH)
	}
}

// TestCacheEntryOfALoadInFlightIsKept holds one Load in the middle (its
// module compiled and its entry written, not yet authenticated, describe
// still running) while another Load of the same process checks the cache:
// the entry must survive that check, and end up authenticated, so that a
// new process runs it as it is rather than compile again.
func TestCacheEntryOfALoadInFlightIsKept(t *testing.T) {
	cacheKeyEnv(t)
	dir := filepath.Join(t.TempDir(), "cache")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// Its describe loops until the context ends.
		stuck := cacheTestModule(answerAt, wasmtest.Seq(wasmtest.Loop(), wasmtest.Br(0), []byte{0x0b, 0x00}))
		_, err := host.LoadBytes(ctx, stuck, host.WithCacheDir(dir), host.WithTimeout(10*time.Minute), host.WithLoadTimeout(10*time.Minute))
		done <- err
	}()
	var first []string
	for deadline := time.Now().Add(time.Minute); len(first) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stuck Load wrote no cache entry within a minute")
		}
		first = cacheEntries(t, dir)
	}
	written, err := os.Stat(first[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := host.LoadBytes(context.Background(), cachedModule(true), host.WithCacheDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	p.Close(context.Background())
	if now, err := os.Stat(first[0]); err != nil || !os.SameFile(now, written) {
		t.Fatalf("the entry of the Load in flight was removed by another Load's check (%v)", err)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the stuck Load succeeded")
		}
	case <-time.After(time.Minute):
		t.Fatal("the stuck Load did not end within a minute of its context")
	}
	ents := cacheEntries(t, dir)
	if len(ents) != 2 {
		t.Fatalf("entries after two Loads: %q, want two", ents)
	}
	for _, e := range ents {
		if _, err := os.Stat(e + ".mac"); err != nil {
			t.Fatalf("entry not authenticated: %v", err)
		}
	}
	other := ents[0]
	if other == first[0] {
		other = ents[1]
	}
	before, _ := os.Stat(other)
	if got := loadInChild(t, dir, true); got != patched {
		t.Fatalf("a new process answered %s, want %s", got, patched)
	}
	if now, err := os.Stat(other); err != nil || !os.SameFile(before, now) {
		t.Fatalf("a new process did not run the authenticated entry as it was, but compiled again (%v)", err)
	}
}

// TestCacheEntryMovedIsNotRun puts the valid entry of one module, with its
// record, in the place of another module's: each is authentic, but not
// for that name.
func TestCacheEntryMovedIsNotRun(t *testing.T) {
	cacheKeyEnv(t)
	dir := filepath.Join(t.TempDir(), "cache")
	loadInChild(t, dir, false)
	first := cacheEntries(t, dir)
	if len(first) != 1 {
		t.Fatalf("cache entries after one load: %q, want one", first)
	}
	if got := loadInChild(t, dir, true); got != patched {
		t.Fatalf("the other module answered %s, want %s", got, patched)
	}
	var other string
	for _, e := range cacheEntries(t, dir) {
		if e != first[0] {
			other = e
		}
	}
	if other == "" {
		t.Fatal("the other module left no entry of its own")
	}
	for _, suffix := range []string{"", ".mac"} {
		b, err := os.ReadFile(other + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(first[0]+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := rawAnswer(t, dir, cachedModule(false)); got != patched {
		t.Fatalf("wazero alone answered %s from the moved entry, want %s", got, patched)
	}
	if got := loadInChild(t, dir, false); got != answer {
		t.Fatalf("after the move, llmhost answered %s, want %s", got, answer)
	}
	outcome(t, "cache", "copy another module's valid entry and record over an entry (wazero alone runs it)",
		"the HMAC covers the entry's name: removed and recompiled, the plugin answers as built")
}

// privateModes asserts the cache's directories are 0700 and its files
// 0600, and so is the key.
func privateModes(t *testing.T, dir, entry string) {
	t.Helper()
	key := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "llmhost", "cache.key")
	for p, want := range map[string]fs.FileMode{
		dir: fs.ModeDir | 0o700, filepath.Dir(entry): fs.ModeDir | 0o700, entry: 0o600, entry + ".mac": 0o600,
		filepath.Dir(key): fs.ModeDir | 0o700, key: 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %s, want %s", p, fi.Mode(), want)
		}
	}
}

// TestCacheDirOthersCanWriteIsRefused stages cache directories that
// others could write, directly or through a parent or a link.
func TestCacheDirOthersCanWriteIsRefused(t *testing.T) {
	cacheKeyEnv(t)
	for _, c := range []struct {
		name  string
		stage func(root string) (cache, culprit string)
	}{
		{"world-writable", func(root string) (string, string) {
			d := cacheMkdir(t, filepath.Join(root, "cache"), 0o777)
			return d, d
		}},
		{"group-writable", func(root string) (string, string) {
			d := cacheMkdir(t, filepath.Join(root, "cache"), 0o770)
			return d, d
		}},
		{"sticky but world-writable", func(root string) (string, string) {
			d := cacheMkdir(t, filepath.Join(root, "cache"), 0o777|fs.ModeSticky)
			return d, d
		}},
		{"parent world-writable", func(root string) (string, string) {
			p := cacheMkdir(t, filepath.Join(root, "shared"), 0o777)
			return filepath.Join(p, "cache"), p
		}},
		{"link to a world-writable directory", func(root string) (string, string) {
			d := cacheMkdir(t, filepath.Join(root, "open"), 0o777)
			l := filepath.Join(root, "cache")
			if err := os.Symlink(d, l); err != nil {
				t.Fatal(err)
			}
			return l, d
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, culprit := c.stage(t.TempDir())
			_, err := host.LoadBytes(context.Background(), cachedModule(false), host.WithCacheDir(dir))
			if err == nil {
				t.Fatalf("Load used the cache %s", dir)
			}
			for _, want := range []string{dir, culprit + " is writable by", "chmod go-w " + culprit, "WithCacheDir", "WithoutCache"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if !errors.Is(err, fs.ErrPermission) {
				t.Errorf("error %q is not fs.ErrPermission", err)
			}
			if e := cacheEntries(t, dir); len(e) > 0 {
				t.Errorf("entries written in the refused cache: %q", e)
			}
			refused(t, "cache", "WithCacheDir on a cache directory that is "+c.name, err)
		})
	}
}

// TestCacheDirUnderStickyParentIsUsed is the case of /tmp: others can
// write the parent, but cannot rename or remove what is not theirs.
func TestCacheDirUnderStickyParentIsUsed(t *testing.T) {
	cacheKeyEnv(t)
	p := cacheMkdir(t, filepath.Join(t.TempDir(), "tmp"), 0o777|fs.ModeSticky)
	dir := filepath.Join(p, "cache")
	pl, err := host.LoadBytes(context.Background(), cachedModule(false), host.WithCacheDir(dir))
	if err != nil {
		t.Fatalf("Load under a sticky world-writable parent: %v", err)
	}
	pl.Close(context.Background())
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode() != fs.ModeDir|0o700 {
		t.Fatalf("cache directory %s: %v, mode %v, want drwx------", dir, err, fi.Mode())
	}
}

// TestDefaultCacheDirUnsafeIsNotUsed: the default directory falls back to
// memory rather than fail, and writes nothing where others could swap it.
func TestDefaultCacheDirUnsafeIsNotUsed(t *testing.T) {
	cacheKeyEnv(t)
	for _, c := range []struct {
		name  string
		stage func(xdg string) (look string)
	}{
		{"XDG_CACHE_HOME world-writable", func(xdg string) string {
			cacheMkdir(t, xdg, 0o777)
			return xdg
		}},
		{"llmhost/wazero world-writable", func(xdg string) string {
			cacheMkdir(t, xdg, 0o700)
			cacheMkdir(t, filepath.Join(xdg, "llmhost"), 0o700)
			return cacheMkdir(t, filepath.Join(xdg, "llmhost", "wazero"), 0o777)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			xdg := filepath.Join(t.TempDir(), "xdg")
			look := c.stage(xdg)
			t.Setenv("XDG_CACHE_HOME", xdg)
			before := cacheTree(t, look)
			p, err := host.LoadBytes(context.Background(), cachedModule(false))
			if err != nil {
				t.Fatalf("Load with an unsafe default cache failed, want a fallback to memory: %v", err)
			}
			defer p.Close(context.Background())
			if out, err := tool(t, p, "run", `{}`); err != nil || out != answer {
				t.Fatalf("tool answered %s, %v; want %s", out, err, answer)
			}
			if after := cacheTree(t, look); after != before {
				t.Fatalf("the unsafe default cache was written:\nbefore %s\nafter  %s", before, after)
			}
			outcome(t, "cache", "default cache directory with "+c.name, "not used: compiled in memory, nothing written there")
		})
	}
}

// TestCacheOwnedByAnotherUserIsRefused stages, as root, a cache directory
// and a parent owned by nobody (uid 65534), and a key others can read.
func TestCacheOwnedByAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("staging files owned by another user needs root")
	}
	cacheKeyEnv(t)
	root := t.TempDir()
	theirs := cacheMkdir(t, filepath.Join(root, "theirs"), 0o700)
	parent := cacheMkdir(t, filepath.Join(root, "parent"), 0o755)
	for _, p := range []string{theirs, parent} {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	for dir, culprit := range map[string]string{theirs: theirs, filepath.Join(parent, "cache"): parent} {
		_, err := host.LoadBytes(context.Background(), cachedModule(false), host.WithCacheDir(dir))
		if err == nil {
			t.Fatalf("Load used the cache %s", dir)
		}
		for _, want := range []string{culprit + " is owned by uid 65534", "chown", "WithCacheDir"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		refused(t, "cache", "WithCacheDir on a cache directory (or a parent) owned by another user", err)
	}

	// A key others can read is no secret.
	dir := filepath.Join(t.TempDir(), "cache")
	p, err := host.LoadBytes(context.Background(), cachedModule(false), host.WithCacheDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	p.Close(context.Background())
	key := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "llmhost", "cache.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = host.LoadBytes(context.Background(), cachedModule(false), host.WithCacheDir(filepath.Join(t.TempDir(), "cache")))
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+key) || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Load with a key readable by others: %v, want a refusal saying chmod 600 %s", err, key)
	}
	refused(t, "cache", "cache key readable by group and others", err)
}

// cacheMkdir makes dir with exactly mode, whatever the umask.
func cacheMkdir(t *testing.T, dir string, mode fs.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cacheTree lists what is under dir, names and modes.
func cacheTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %s; ", strings.TrimPrefix(p, dir), fi.Mode())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
