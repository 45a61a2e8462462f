package host

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"
)

// A directory grant must keep the guest inside the directory. wazero's own
// directory mount does not (its documentation says so): it resolves the
// guest's paths with the host's file system, so a symbolic link inside the
// directory leads wherever it points, and a guest with a writable grant can
// make one ("x" -> "../../..") and read or write anything the host user
// can. confinedFS resolves every path the guest names inside an os.Root of
// the granted directory, which refuses to leave it through ".." or any
// link; links that stay inside keep working.
//
// Files are still opened through wazero's mount, whose file objects the
// WASI layer needs, but only after the same path was opened through the
// os.Root (which also does any creating or truncating, inside the
// directory), and only if both opens reached the same file: a link swapped
// in between the two is caught there instead of followed.
type confinedFS struct {
	dir  experimentalsys.FS // wazero's mount of the directory, for its file objects
	root *os.Root
}

// grant is one granted directory, opened for the life of the plugin.
type grant struct {
	mount
	root *os.Root
}

// openGrants opens the plugin's granted directories.
func (c *config) openGrants() error {
	for _, m := range c.paths {
		r, err := os.OpenRoot(m.HostPath)
		if err != nil {
			c.closeGrants()
			return err
		}
		c.grants = append(c.grants, grant{mount: m, root: r})
	}
	return nil
}

func (c *config) closeGrants() {
	for _, g := range c.grants {
		g.root.Close()
	}
	c.grants = nil
}

// fsConfig mounts the granted directories, read-only unless granted
// otherwise, each confined to itself.
func (c *config) fsConfig() wazero.FSConfig {
	fsc := wazero.NewFSConfig()
	for _, g := range c.grants {
		var fsys experimentalsys.FS = &confinedFS{dir: sysfs.DirFS(g.HostPath), root: g.root}
		if !g.Writable {
			fsys = &sysfs.ReadFS{FS: fsys}
		}
		fsc = fsc.(sysfs.FSConfig).WithSysFSMount(fsys, g.GuestPath)
	}
	return fsc
}

// rel turns a path of wazero's, relative to the mount, into one for the
// os.Root.
func rel(p string) string {
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return "."
	}
	return p
}

// errno maps an error of the os.Root to the guest's errno. An error that
// carries none is the os.Root refusing a path that leads out of the
// directory: EPERM, as wazero answers a guest path with "..".
func errno(err error) experimentalsys.Errno {
	if err == nil {
		return 0
	}
	var se syscall.Errno
	if errors.As(err, &se) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrPermission) {
		return experimentalsys.UnwrapOSError(err)
	}
	return experimentalsys.EPERM
}

func (c *confinedFS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	osFlag := os.O_RDONLY
	switch flag & (experimentalsys.O_RDONLY | experimentalsys.O_WRONLY | experimentalsys.O_RDWR) {
	case experimentalsys.O_WRONLY:
		osFlag = os.O_WRONLY
	case experimentalsys.O_RDWR:
		osFlag = os.O_RDWR
	}
	if flag&experimentalsys.O_CREAT != 0 {
		osFlag |= os.O_CREATE
	}
	if flag&experimentalsys.O_EXCL != 0 {
		osFlag |= os.O_EXCL
	}
	if flag&experimentalsys.O_TRUNC != 0 {
		osFlag |= os.O_TRUNC
	}
	inside, err := c.root.OpenFile(rel(p), osFlag, perm&fs.ModePerm)
	if err != nil {
		return nil, errno(err)
	}
	defer inside.Close()
	want, err := inside.Stat()
	if err != nil {
		return nil, errno(err)
	}
	// The file exists now, as the guest asked: open it again without
	// creating or truncating anything.
	f, e := c.dir.OpenFile(p, flag&^(experimentalsys.O_CREAT|experimentalsys.O_EXCL|experimentalsys.O_TRUNC), perm)
	if e != 0 {
		return nil, e
	}
	got, e := f.Stat()
	if w := sys.NewStat_t(want); e != 0 || got.Dev != w.Dev || got.Ino != w.Ino {
		f.Close()
		return nil, experimentalsys.EPERM
	}
	return f, 0
}

func (c *confinedFS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := c.root.Lstat(rel(p))
	if err != nil {
		return sys.Stat_t{}, errno(err)
	}
	return sys.NewStat_t(fi), 0
}

func (c *confinedFS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := c.root.Stat(rel(p))
	if err != nil {
		return sys.Stat_t{}, errno(err)
	}
	return sys.NewStat_t(fi), 0
}

func (c *confinedFS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	e := errno(c.root.Mkdir(rel(p), perm&fs.ModePerm))
	if e == experimentalsys.ENOTDIR {
		e = experimentalsys.ENOENT // what wazero's mount answers
	}
	return e
}

func (c *confinedFS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	return errno(c.root.Chmod(rel(p), perm))
}

func (c *confinedFS) Rename(from, to string) experimentalsys.Errno {
	return errno(c.root.Rename(rel(from), rel(to)))
}

func (c *confinedFS) Rmdir(p string) experimentalsys.Errno {
	fi, err := c.root.Lstat(rel(p))
	if err != nil {
		return errno(err)
	}
	if !fi.IsDir() {
		return experimentalsys.ENOTDIR
	}
	return errno(c.root.Remove(rel(p)))
}

func (c *confinedFS) Unlink(p string) experimentalsys.Errno {
	fi, err := c.root.Lstat(rel(p))
	if err != nil {
		return errno(err)
	}
	if fi.IsDir() {
		return experimentalsys.EISDIR
	}
	return errno(c.root.Remove(rel(p)))
}

func (c *confinedFS) Link(oldPath, newPath string) experimentalsys.Errno {
	return errno(c.root.Link(rel(oldPath), rel(newPath)))
}

// Symlink creates a link only if its target lies inside the directory as
// seen from where the link is. The os.Root would refuse to follow any
// other, but the link would stay behind for whatever else uses the
// directory, host programs included.
func (c *confinedFS) Symlink(target, link string) experimentalsys.Errno {
	if path.IsAbs(target) || !fs.ValidPath(path.Join(path.Dir(rel(link)), target)) {
		return experimentalsys.EPERM
	}
	return errno(c.root.Symlink(target, rel(link)))
}

func (c *confinedFS) Readlink(p string) (string, experimentalsys.Errno) {
	dst, err := c.root.Readlink(rel(p))
	if err != nil {
		return "", errno(err)
	}
	return strings.ReplaceAll(dst, string(os.PathSeparator), "/"), 0
}

func (c *confinedFS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	// A zero time.Time leaves that time as it is, which is what
	// UTIME_OMIT asks for.
	at := func(ns int64) time.Time {
		if ns == experimentalsys.UTIME_OMIT {
			return time.Time{}
		}
		return time.Unix(0, ns)
	}
	return errno(c.root.Chtimes(rel(p), at(atim), at(mtim)))
}
