package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/host"
)

// Second red-team pass on the grants: two grants that name the same files,
// and grants that reach the compilation cache or its key.

// A read-only grant inside a writable one (or around it, or the same
// directory by another name) would let the guest change through the
// writable mount what the read-only one promises it cannot: Load refuses
// the pair, naming both grants and the fix.
func TestOverlappingReadOnlyAndWritableGrantsAreRefused(t *testing.T) {
	tr := newTree(t)
	alias := filepath.Join(t.TempDir(), "alias")
	must(t, os.Symlink(tr.dir, alias))
	for _, c := range []struct {
		name   string
		rw, ro string
	}{
		{"a read-only grant inside a writable one", tr.root, tr.dir},
		{"a writable grant inside a read-only one", filepath.Join(tr.dir, "sub"), tr.dir},
		{"the same directory granted writable and read-only", tr.dir, tr.dir},
		{"the same directory, writable through a symbolic link to it", alias, tr.dir},
		{"a read-only grant inside a writable one named through a link", alias, filepath.Join(tr.dir, "sub")},
	} {
		before := snapshot(t, tr.root)
		_, err := host.LoadBytes(context.Background(), rawFSModule(t), host.WithCacheDir(cacheDir(t)),
			host.WithAllowedPath(c.ro, "/ro"), host.WithWritablePath(c.rw, "/rw"))
		if err == nil {
			t.Errorf("%s: Load succeeded", c.name)
			continue
		}
		for _, want := range []string{"overlap", "WithWritablePath", "WithAllowedPath", c.rw, c.ro, "/rw", "/ro"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %q", c.name, err, want)
			}
		}
		unchanged(t, c.name, before, snapshot(t, tr.root))
		refused(t, "files", "grants: "+c.name, err)
	}

	// Overlaps that promise nothing the other breaks stay allowed.
	loadBytes(t, rawFSModule(t), host.WithAllowedPath(tr.root, "/a"), host.WithAllowedPath(tr.dir, "/b"))
	loadBytes(t, rawFSModule(t), host.WithWritablePath(tr.root, "/a"), host.WithWritablePath(tr.dir, "/b"))
	outcome(t, "files", "grants: two read-only grants, or two writable ones, one inside the other (control)", "allowed: neither promises what the other breaks")
}

// red2Cache is a private cache directory and key directory for one test.
type red2Cache struct{ base, cache, config, key string }

func newRed2Cache(t *testing.T) red2Cache {
	t.Helper()
	base := t.TempDir()
	c := red2Cache{base: base, cache: filepath.Join(base, "cache"), config: filepath.Join(base, "config")}
	c.key = filepath.Join(c.config, "llmhost", "cache.key")
	t.Setenv("XDG_CONFIG_HOME", c.config)
	return c
}

// A writable grant that reaches the compilation cache, or the directory of
// its key, would let the guest plant machine code that a later Load runs
// outside the sandbox (or read and replace the key that authenticates it).
func TestWritableGrantOfTheCacheIsRefused(t *testing.T) {
	ct := newRed2Cache(t)
	// The first Load makes the cache and the key.
	loadBytes(t, rawFSModule(t), host.WithCacheDir(ct.cache))
	for _, c := range []struct{ name, dir string }{
		{"the cache directory", ct.cache},
		{"the directory above the cache", ct.base},
		{"a version directory inside the cache", mustGlob(t, filepath.Join(ct.cache, "wazero-*"))},
		{"the key's directory", filepath.Dir(ct.key)},
		{"the configuration directory holding the key's", ct.config},
	} {
		_, err := host.LoadBytes(context.Background(), rawFSModule(t), host.WithCacheDir(ct.cache), host.WithWritablePath(c.dir, "/w"))
		wantErrorText(t, err, c.name, "WithWritablePath", c.dir, "compilation cache", "WithCacheDir", "WithoutCache")
		refused(t, "files", "writable grant of "+c.name, err)
	}
	// Without a cache on disk there is nothing to reach.
	p, err := host.LoadBytes(context.Background(), rawFSModule(t), host.WithoutCache(), host.WithWritablePath(ct.cache, "/w"))
	if err != nil {
		t.Fatalf("WithoutCache and a writable grant of the old cache directory: %v", err)
	}
	p.Close(context.Background())
	outcome(t, "files", "writable grant of the old cache directory under WithoutCache (control)", "allowed: no cache on disk")
}

// A read-only grant that holds the cache key (of the home or configuration
// directory, say) must not let the guest read it: with the key, whoever
// gets the cache directory could forge entries. The open fails with
// EACCES, by its name and by a hard link to it; the rest of the grant reads.
func TestCacheKeyIsHiddenFromGrants(t *testing.T) {
	ct := newRed2Cache(t)
	loadBytes(t, rawFSModule(t), host.WithCacheDir(ct.cache))
	must(t, os.WriteFile(filepath.Join(ct.config, "other.txt"), []byte("other"), 0o600))
	linked := filepath.Join(ct.config, "key-link")
	must(t, os.Link(ct.key, linked))
	pl := loadBytes(t, rawFSModule(t), host.WithCacheDir(ct.cache), host.WithAllowedPath(ct.config, "/cfg"))
	const pre = 3
	var p prog
	var at []rawAttack
	add := func(attempt string, op int, want uint32) { at = append(at, rawAttack{attempt, op, want}) }
	add("open the cache key", p.open(pre, lookupFollow, "llmhost/cache.key", 0, rightRead, 0), wEACCES)
	add("open a hard link to the cache key", p.open(pre, lookupFollow, "key-link", 0, rightRead, 0), wEACCES)
	other := p.open(pre, lookupFollow, "other.txt", 0, rightRead, 0)
	errnos, _ := p.run(t, pl)
	if errnos[other] != 0 {
		t.Errorf("control: open of another file of the grant: errno %d", errnos[other])
	}
	check(t, "read-only grant holding the cache key: ", at, errnos)
}

func mustGlob(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v %v", pattern, m, err)
	}
	return m[0]
}

// wantErrorText fails unless err is an error naming each of want.
func wantErrorText(t *testing.T, err error, what string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not name %q", what, err, w)
		}
	}
}
