package host

import (
	"fmt"
	"os"
	"path/filepath"
)

// Each grant is confined to its own directory, but two grants can name the
// same files: a read-only grant of /data/docs next to a writable grant of
// /data lets the guest change, through /data, the very files the read-only
// grant promises it cannot. And a writable grant that reaches the
// compilation cache would let the guest put there what later runs outside
// the sandbox; one that reaches the cache key would let it read the secret
// that authenticates the cache's entries. So, at Load:
//
//   - a writable grant may not contain, or lie inside, a read-only one
//     (nor be the same directory by another name or mount): the read-only
//     promise would not hold. Two read-only grants, or two writable ones,
//     may overlap: neither promises anything the other breaks;
//   - a writable grant may not contain, or lie inside, the cache directory
//     or the key's directory;
//   - any grant may contain the key's file (a read-only grant of the home
//     directory, say), but the guest cannot open it: the open fails with
//     EACCES, whatever name or hard link it uses (see confinedFS.hidden).
//
// Directories are compared by identity (device and inode) up the real
// path of each, so a symbolic link or a bind mount to the same directory
// is the same directory.

// checkOverlap refuses a writable grant that overlaps a read-only one.
func (c *config) checkOverlap() error {
	for i, w := range c.paths {
		if !w.Writable {
			continue
		}
		for j, r := range c.paths {
			if i == j || r.Writable {
				continue
			}
			if overlap(w.HostPath, r.HostPath) {
				return fmt.Errorf("WithWritablePath(%q, %q) and WithAllowedPath(%q, %q) overlap: one directory is, or holds, the other, so the guest could change through %s what %s grants read-only; grant directories that do not contain each other, or make both read-only",
					w.HostPath, w.GuestPath, r.HostPath, r.GuestPath, w.GuestPath, r.GuestPath)
			}
		}
	}
	return nil
}

// checkCacheGrants refuses a writable grant that overlaps the cache
// directory d or its key's directory, and hides the key in every grant.
func (c *config) checkCacheGrants(d *diskCache) error {
	for _, w := range c.paths {
		if !w.Writable {
			continue
		}
		for _, dir := range []string{d.dir, filepath.Dir(d.keyPath)} {
			if overlap(w.HostPath, dir) {
				return fmt.Errorf("WithWritablePath(%q, %q) overlaps the compilation cache (%s): a guest that can write there could plant machine code that a later Load runs outside the sandbox; grant another directory, move the cache with WithCacheDir, or use WithoutCache",
					w.HostPath, w.GuestPath, dir)
			}
		}
	}
	return nil
}

// overlap reports whether directory a is b, holds b, or lies inside b.
func overlap(a, b string) bool {
	return holds(a, b) || holds(b, a)
}

// holds reports whether directory outer is inner or one of the directories
// above inner's real path.
func holds(outer, inner string) bool {
	fo, err := os.Stat(outer)
	if err != nil {
		return false
	}
	p, err := filepath.Abs(inner)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	for {
		if fi, err := os.Stat(p); err == nil && os.SameFile(fo, fi) {
			return true
		}
		up := filepath.Dir(p)
		if up == p {
			return false
		}
		p = up
	}
}
