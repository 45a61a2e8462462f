package host

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Authenticated cache entries.
//
// wazero keeps one file per compiled module in a versioned subdirectory of
// the cache directory (wazero-VERSION-ARCH-OS/KEY, KEY being 64 hex digits
// of a hash of the module and the CPU's features), and on a cache hit maps
// the machine code in that file as executable without further ado: its
// CRC-32 detects accidents, not an attacker, who fixes it. So llmhost
// keeps beside each entry a record, KEY.mac, holding an HMAC-SHA256 of the
// entry's name and bytes under a secret key of the user's, and:
//
//   - before a Load compiles (cfg.compilationCache), every entry that has no
//     valid record is removed, so that wazero compiles the module afresh
//     rather than run code nobody vouched for;
//   - after it compiled (cfg.sealCache), every entry that appeared meanwhile
//     gets its record.
//
// The entry's name is under the HMAC, so a valid entry moved to another
// module's name does not pass. Hashing a Go guest's 14 MB entry on every
// Load would cost several milliseconds, so the record also holds the
// entry's file stamp (device, inode, size, mtime, ctime; see fileStamp),
// itself under the HMAC: an entry whose stamp is unchanged is not read
// again. An entry that fails is removed with its record; wazero then
// compiles the module afresh and writes a new entry, which is sealed.
//
// What this defends against: anyone who can write the cache's files but
// cannot read the key (kept apart from the cache, see cacheKeyPath): a
// cache directory restored from a shared CI cache, copied from another
// machine, or mounted into a container; a plugin granted write access to
// the cache directory; another user (who is kept out in the first place by
// the directory checks of cachetrust.go). What it does not: an attacker
// running as the same user (who can read the key, or edit the program),
// root, or one writing into the directory while a Load runs, between the
// check and wazero's own read (the directory checks leave no one but the
// user able to do that). Two processes sharing the directory cannot make
// an unauthenticated entry run; at worst one removes an entry the other
// just wrote and has not sealed yet, which costs a recompilation.

const (
	recordSuffix = ".mac"
	recordMagic  = "llmhost1"
	recordSize   = len(recordMagic) + 5*8 + 2*sha256.Size
	keySize      = 32
)

// cacheKeyPath is where the secret key of the cache in dir lives:
// os.UserConfigDir()/llmhost/cache.key, apart from the cache, so that
// whoever gets the cache directory (restores it, mounts it, is granted it)
// does not get the key with it. Without a configuration directory (no
// home), the key lives in the cache directory as llmhost-cache.key.
func cacheKeyPath(dir string) string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "llmhost", "cache.key")
	}
	return filepath.Join(dir, "llmhost-cache.key")
}

// loadCacheKey returns the user's cache key, making it (32 random bytes,
// mode 0600) if there is none, with the path and the file it is in.
func loadCacheKey(dir string) (key []byte, path string, file os.FileInfo, err error) {
	p := cacheKeyPath(dir)
	kdir := filepath.Dir(p)
	if err := trustDir(kdir); err != nil {
		return nil, "", nil, fmt.Errorf("cache key: %w", err)
	}
	if err := os.MkdirAll(kdir, 0o700); err != nil {
		// A read-only home: keep the key with the cache instead.
		p = filepath.Join(dir, "llmhost-cache.key")
		kdir = dir
	}
	if err := trustDir(kdir); err != nil {
		return nil, "", nil, fmt.Errorf("cache key: %w", err)
	}
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		if err := makeCacheKey(p); err != nil {
			return nil, "", nil, fmt.Errorf("cache key: %w", err)
		}
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, "", nil, fmt.Errorf("cache key: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != keySize {
		return nil, "", nil, fmt.Errorf("cache key %s is not a regular file of %d bytes (mode %s, %d bytes): remove it and a new key is made", p, keySize, fi.Mode(), fi.Size())
	}
	if unixModes {
		me := os.Geteuid()
		if uid, ok := fileOwner(fi); ok && uid != me {
			return nil, "", nil, fmt.Errorf("cache key %s is owned by uid %d, not you (uid %d): remove it and a new key is made: %w", p, uid, me, fs.ErrPermission)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, "", nil, fmt.Errorf("cache key %s can be read or written by others (mode %s): chmod 600 %s: %w", p, fi.Mode(), p, fs.ErrPermission)
		}
	}
	key, err = os.ReadFile(p)
	if err != nil {
		return nil, "", nil, fmt.Errorf("cache key: %w", err)
	}
	if len(key) != keySize {
		return nil, "", nil, fmt.Errorf("cache key %s holds %d bytes, not %d: remove it and a new key is made", p, len(key), keySize)
	}
	return key, p, fi, nil
}

// makeCacheKey writes a new key at p, unless another process does first:
// the key is written aside and linked into place, which fails rather than
// replace a key already there.
func makeCacheKey(p string) error {
	key := make([]byte, keySize)
	rand.Read(key)
	f, err := os.CreateTemp(filepath.Dir(p), ".cache.key-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	err = os.Link(f.Name(), p)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return nil
	}
	// No hard links here (some FUSE and FAT file systems): create it in
	// place, still never replacing one.
	k, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	} else if err != nil {
		return err
	}
	_, err = k.Write(key)
	if cerr := k.Close(); err == nil {
		err = cerr
	}
	return err
}

// entryState is what checking an entry found.
type entryState int

const (
	entrySealed   entryState = iota // its record vouches for its bytes
	entryUnsealed                   // it has no record
	entryForged                     // its record is invalid, or does not match
)

// versionDirs lists the wazero-* subdirectories of the cache, where
// wazero keeps its entries, after checking each as cachetrust.go says.
func (d *diskCache) versionDirs() ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(d.dir, "wazero-*"))
	if err != nil {
		return nil, err
	}
	for _, v := range dirs {
		fi, err := os.Lstat(v)
		if err != nil {
			return nil, err
		}
		if err := trustOne(v, fi, true); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// isEntryName reports whether name is that of a wazero cache entry.
func isEntryName(name string) bool {
	if len(name) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil
}

// pruneEntries removes every entry that no record vouches for, and records left
// without their entry. Entries without a record are kept while another
// Load of this process is compiling (keep), since that Load may have just
// written them.
func (d *diskCache) pruneEntries(keep bool) error {
	dirs, err := d.versionDirs()
	if err != nil {
		return err
	}
	for _, v := range dirs {
		ents, err := os.ReadDir(v)
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := e.Name()
			if base, ok := strings.CutSuffix(name, recordSuffix); ok && isEntryName(base) {
				if _, err := os.Lstat(filepath.Join(v, base)); errors.Is(err, fs.ErrNotExist) && !keep {
					os.Remove(filepath.Join(v, name))
				}
				continue
			}
			if !isEntryName(name) {
				continue // wazero's temporary files, ours
			}
			switch d.check(v, name) {
			case entrySealed:
			case entryUnsealed:
				if !keep {
					if err := removeEntry(v, name); err != nil {
						return err
					}
				}
			case entryForged:
				if err := removeEntry(v, name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// seal records every entry that has no record yet. An entry whose record
// is invalid is removed instead: it changed after the check before this
// Load compiled, and nothing says who changed it.
func (d *diskCache) seal() {
	dirs, err := d.versionDirs()
	if err != nil {
		return
	}
	for _, v := range dirs {
		ents, err := os.ReadDir(v)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if !isEntryName(name) {
				continue
			}
			switch d.check(v, name) {
			case entryUnsealed:
				mac, stamp, err := d.hashEntry(v, name)
				if err != nil {
					removeEntry(v, name)
					continue
				}
				d.writeRecord(v, name, mac, stamp)
			case entryForged:
				removeEntry(v, name)
			}
		}
	}
}

func removeEntry(v, name string) error {
	err := os.Remove(filepath.Join(v, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the unauthenticated cache entry %s: %w", filepath.Join(v, name), err)
	}
	os.Remove(filepath.Join(v, name+recordSuffix))
	return nil
}

// check says whether the record of entry name in v vouches for it,
// reading the entry only when its stamp changed since it was recorded.
func (d *diskCache) check(v, name string) entryState {
	p := filepath.Join(v, name)
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return entryForged
	}
	if unixModes {
		if uid, ok := fileOwner(fi); (ok && uid != os.Geteuid() && uid != 0) || fi.Mode().Perm()&0o022 != 0 {
			return entryForged
		}
	}
	// The record is looked at before it is read: a record that is a FIFO
	// or a gigabyte long must not hang or swamp the Load.
	rfi, err := os.Lstat(p + recordSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return entryUnsealed
	}
	if err != nil || !rfi.Mode().IsRegular() || rfi.Size() != int64(recordSize) {
		return entryForged
	}
	rec, err := os.ReadFile(p + recordSuffix)
	if err != nil || len(rec) != recordSize || !bytes.HasPrefix(rec, []byte(recordMagic)) {
		return entryForged
	}
	body, sum := rec[:recordSize-sha256.Size], rec[recordSize-sha256.Size:]
	if !hmac.Equal(sum, d.recordMAC(v, name, body)) {
		return entryForged
	}
	var stamp [5]uint64
	for i := range stamp {
		stamp[i] = binary.LittleEndian.Uint64(body[len(recordMagic)+8*i:])
	}
	content := body[len(recordMagic)+5*8:]
	if now, ok := fileStamp(fi); ok && now == stamp && stamp != [5]uint64{} {
		return entrySealed
	}
	mac, now, err := d.hashEntry(v, name)
	if err != nil || !hmac.Equal(mac, content) {
		return entryForged
	}
	// Same bytes, new stamp: copied, restored, touched. Record the new one.
	d.writeRecord(v, name, mac, now)
	return entrySealed
}

// hashEntry returns the HMAC of entry name in v, and its stamp when the
// file did not change while it was read (else a zero stamp, which makes
// the next check read it again).
func (d *diskCache) hashEntry(v, name string) (mac []byte, stamp [5]uint64, err error) {
	f, err := os.Open(filepath.Join(v, name))
	if err != nil {
		return nil, stamp, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, stamp, err
	}
	h := d.entryHash(v, name)
	if _, err := io.Copy(h, f); err != nil {
		return nil, stamp, err
	}
	after, err := f.Stat()
	if err != nil {
		return nil, stamp, err
	}
	s1, ok1 := fileStamp(before)
	s2, ok2 := fileStamp(after)
	if ok1 && ok2 && s1 == s2 {
		stamp = s1
	}
	return h.Sum(nil), stamp, nil
}

// entryHash starts the HMAC of an entry's bytes, bound to its place.
func (d *diskCache) entryHash(v, name string) hash.Hash {
	h := hmac.New(sha256.New, d.key)
	fmt.Fprintf(h, "llmhost cache entry v1\x00%s/%s\x00", filepath.Base(v), name)
	return h
}

// recordMAC authenticates a record's body (magic, stamp, entry HMAC).
func (d *diskCache) recordMAC(v, name string, body []byte) []byte {
	h := hmac.New(sha256.New, d.key)
	fmt.Fprintf(h, "llmhost cache record v1\x00%s/%s\x00", filepath.Base(v), name)
	h.Write(body)
	return h.Sum(nil)
}

// writeRecord writes the record of entry name in v, aside and renamed into
// place so that no reader sees half of one. Failing to is no error: the
// entry is then removed by the next check and compiled again.
func (d *diskCache) writeRecord(v, name string, mac []byte, stamp [5]uint64) {
	body := make([]byte, 0, recordSize)
	body = append(body, recordMagic...)
	for _, s := range stamp {
		body = binary.LittleEndian.AppendUint64(body, s)
	}
	body = append(body, mac...)
	rec := append(body, d.recordMAC(v, name, body)...)
	f, err := os.CreateTemp(v, "."+name+recordSuffix+"-*") // mode 0600
	if err != nil {
		return
	}
	_, err = f.Write(rec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(v, name+recordSuffix))
	}
	if err != nil {
		os.Remove(f.Name())
	}
}
