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
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "llmhost", "wazero"), nil
}

// caches holds one wazero.CompilationCache per directory for the life of
// the process. Sharing it is what makes a second Load of the same module in
// one process free: runtimes that share a cache share its compiler engine
// and the machine code it holds in memory.
var caches struct {
	sync.Mutex
	byDir  map[string]wazero.CompilationCache
	memory wazero.CompilationCache // when there is no usable directory
}

// compilationCache returns the cache Load should use, and whether the
// caller owns it (must close it with the plugin).
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
	caches.Lock()
	defer caches.Unlock()
	if cc, ok := caches.byDir[dir]; ok {
		return cc, false, nil
	}
	cc, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		if c.cacheDir != "" {
			return nil, false, fmt.Errorf("compilation cache %s: %w", dir, err)
		}
		return processMemoryCacheLocked(), false, nil
	}
	if caches.byDir == nil {
		caches.byDir = map[string]wazero.CompilationCache{}
	}
	caches.byDir[dir] = cc
	return cc, false, nil
}

func processMemoryCache() wazero.CompilationCache {
	caches.Lock()
	defer caches.Unlock()
	return processMemoryCacheLocked()
}

func processMemoryCacheLocked() wazero.CompilationCache {
	if caches.memory == nil {
		caches.memory = wazero.NewCompilationCache()
	}
	return caches.memory
}
