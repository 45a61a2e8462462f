package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Whoever can write into the compilation cache chooses the machine code
// that a later Load runs outside the sandbox. So, as ssh does with its
// files under StrictModes, the cache is used only when nobody else can
// write into it or swap it:
//
//   - the cache directory, each of its wazero-* subdirectories and the
//     directory of the cache key are owned by the current user (or root)
//     and writable by neither group nor others;
//   - every directory above them up to the root is owned by the current
//     user or root, and writable by group or others only if its sticky bit
//     is set (as /tmp is: there nobody can rename or remove what another
//     user owns);
//   - symbolic links on the way are followed, and the directories they
//     lead to are held to the same rules.
//
// Group-writable is refused even for a private group, as ssh refuses it:
// the process cannot tell who else is in the group.

// unsafeDirError reports a cache directory, or a directory above it, that
// others can write. It wraps fs.ErrPermission.
type unsafeDirError struct {
	path string
	why  string // "is writable by group and others (mode drwxrwxrwx)"
	fix  string // "chmod go-w /path"
}

func (e *unsafeDirError) Error() string {
	return fmt.Sprintf("%s %s: whoever can write there could plant machine code that runs outside the sandbox; %s, choose another directory with WithCacheDir, or use WithoutCache", e.path, e.why, e.fix)
}

func (e *unsafeDirError) Unwrap() error { return fs.ErrPermission }

// trustDir checks dir (the cache directory or the key's directory) and
// every directory above it, following symbolic links. Directories that do
// not exist yet pass: they are to be made, 0700, by this process, and
// trustDir is called again once they are.
func trustDir(dir string) error {
	if !unixModes {
		return nil
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := trustChain(dir); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if real != dir {
		return trustChain(real)
	}
	return nil
}

// trustChain checks leaf as the cache's own directory and each directory
// above it as a parent, without following links.
func trustChain(leaf string) error {
	for p, own := leaf, true; ; p, own = filepath.Dir(p), false {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		default:
			if err := trustOne(p, fi, own); err != nil {
				return err
			}
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// trustOne checks one directory: own is true for a directory the cache
// keeps its files in, false for one above it.
func trustOne(p string, fi fs.FileInfo, own bool) error {
	me := os.Geteuid()
	if uid, ok := fileOwner(fi); ok && uid != me && uid != 0 {
		return &unsafeDirError{p,
			fmt.Sprintf("is owned by uid %d, not by you (uid %d) or root", uid, me),
			fmt.Sprintf("chown it to uid %d", me)}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil // its mode means nothing; where it leads is checked
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", p)
	}
	m := fi.Mode()
	if m.Perm()&0o022 == 0 || (!own && m&fs.ModeSticky != 0) {
		return nil
	}
	who := "group"
	switch m.Perm() & 0o022 {
	case 0o002:
		who = "others"
	case 0o022:
		who = "group and others"
	}
	why := fmt.Sprintf("is writable by %s (mode %s)", who, m)
	if !own {
		why = fmt.Sprintf("is writable by %s without the sticky bit (mode %s)", who, m)
	}
	return &unsafeDirError{p, why, "chmod go-w " + p}
}
