package host

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/tetratelabs/wazero"
)

// DefaultCacheDir returns where compiled plugins are cached unless
// WithCacheDir or WithoutCache says otherwise:
// os.UserCacheDir()/llmhost/wazero.
//
// The cache holds machine code that runs outside the sandbox, so it is
// trusted only as far as it is private: a directory (or one above it) that
// group or others can write, or that another user owns, is not used (see
// cachetrust.go), and every entry is authenticated with a key of the
// user's before it may run (see cacheauth.go).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "llmhost", "wazero"), nil
}

// caches holds one diskCache per directory for the life of the process.
// Sharing it is what makes a second Load of the same module in one process
// free: runtimes that share a cache share its compiler engine and the
// machine code it holds in memory.
var caches struct {
	sync.Mutex
	byDir   map[string]*diskCache
	pending map[*config]*diskCache  // Loads between compilationCache and sealCache
	memory  wazero.CompilationCache // when there is no usable directory
}

// diskCache is a wazero cache in a directory, with the key that
// authenticates its entries.
type diskCache struct {
	dir string
	cc  wazero.CompilationCache
	key []byte
	// keyFile is the key's file, which no grant may let a guest read
	// (see grantcheck.go).
	keyPath string
	keyFile os.FileInfo

	mu        sync.Mutex // serializes prune and seal
	compiling int        // Loads of this process between prune and seal; guarded by caches
}

// compilationCache returns the cache Load should use, and whether the
// caller owns it (must close it with the plugin).
//
// With a directory, it first removes the entries no record vouches for, so
// the CompileModule that follows never maps unauthenticated machine code;
// Load must then call sealCache once it has compiled (deferred, so that it
// runs on every path), so that the entries wazero wrote are authenticated.
//
// A directory given with WithCacheDir that is unsafe or unusable fails the
// Load, with the reason and the fix. The default directory falls back to a
// cache in memory, shared within the process, rather than fail a Load for
// want of a cache.
func (c *config) compilationCache() (cache wazero.CompilationCache, owned bool, err error) {
	if c.noCache {
		return wazero.NewCompilationCache(), true, nil
	}
	dir := c.cacheDir
	if dir == "" {
		if dir, err = DefaultCacheDir(); err != nil {
			// No home directory (a service account, a sandbox): compile in
			// memory and share within the process rather than fail.
			return processMemoryCache(), false, nil
		}
	}
	d, err := openDiskCache(dir)
	if err == nil {
		err = d.prune(c)
	}
	if err != nil {
		if c.cacheDir != "" {
			return nil, false, fmt.Errorf("compilation cache %s: %w", dir, err)
		}
		return processMemoryCache(), false, nil
	}
	return d.cc, false, nil
}

// sealCache authenticates the cache entries written since
// compilationCache; see there.
func (c *config) sealCache() {
	caches.Lock()
	d := caches.pending[c]
	delete(caches.pending, c)
	if d != nil {
		d.compiling--
	}
	caches.Unlock()
	if d != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.seal()
	}
}

// openDiskCache returns the process's cache in dir, making it (and dir,
// 0700) if need be, once dir has passed the checks of cachetrust.go.
func openDiskCache(dir string) (*diskCache, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	caches.Lock()
	defer caches.Unlock()
	if d, ok := caches.byDir[dir]; ok {
		return d, nil
	}
	if err := trustDir(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := trustDir(dir); err != nil {
		return nil, err
	}
	key, keyPath, keyFile, err := loadCacheKey(dir)
	if err != nil {
		return nil, err
	}
	cc, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, err
	}
	d := &diskCache{dir: dir, cc: cc, key: key, keyPath: keyPath, keyFile: keyFile}
	if caches.byDir == nil {
		caches.byDir = map[string]*diskCache{}
	}
	caches.byDir[dir] = d
	return d, nil
}

// prune checks the directories again (a mode may have changed since the
// cache was opened), removes the entries no record vouches for, and notes
// Load c as compiling until its sealCache.
func (d *diskCache) prune(c *config) error {
	if err := trustDir(d.dir); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	caches.Lock()
	keep := d.compiling > 0
	caches.Unlock()
	if err := d.pruneEntries(keep); err != nil {
		return err
	}
	caches.Lock()
	if caches.pending == nil {
		caches.pending = map[*config]*diskCache{}
	}
	if caches.pending[c] == nil {
		caches.pending[c] = d
		d.compiling++
	}
	caches.Unlock()
	return nil
}

// pendingCache returns the disk cache Load c is using, nil if it uses none.
func (c *config) pendingCache() *diskCache {
	caches.Lock()
	defer caches.Unlock()
	return caches.pending[c]
}

func processMemoryCache() wazero.CompilationCache {
	caches.Lock()
	defer caches.Unlock()
	if caches.memory == nil {
		caches.memory = wazero.NewCompilationCache()
	}
	return caches.memory
}
