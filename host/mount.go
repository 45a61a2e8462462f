package host

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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
// os.Root (which also does any creating, inside the directory), and only
// if both opens reached the same file: a link swapped in between the two
// is caught there instead of followed. Truncating waits until then, and
// goes through the os.Root's descriptor of the file both opens agreed on.
//
// A read-only grant changes nothing: confinedFS refuses every open that
// asks to write, create or truncate (EROFS), and sysfs.ReadFS around it
// refuses every other change by path (EROFS) and, on its descriptors,
// writing, resizing and setting times (EBADF). wazero's ReadFS alone is not
// enough: it lets through an open with read rights that also asks
// O_TRUNC or O_CREAT, which a guest can make (Go's os.OpenFile(name,
// os.O_RDONLY|os.O_TRUNC, 0) does).
//
// A writable grant lets the guest make symbolic links only downward (see
// downward), so none it leaves behind leads out of the directory, however
// it is later moved.
type confinedFS struct {
	dir      experimentalsys.FS // wazero's mount of the directory, for its file objects
	root     *os.Root
	writable bool
	hidden   os.FileInfo // the cache key, which no open may reach (see grantcheck.go); nil: none
}

// readOnlyFS is wazero's read-only wrapper, answering an open that asks for
// any change with EROFS, as a read-only file system does, rather than
// ReadFS's ENOSYS.
type readOnlyFS struct{ *sysfs.ReadFS }

func (r readOnlyFS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if changes(flag) {
		return nil, experimentalsys.EROFS
	}
	return r.ReadFS.OpenFile(p, flag, perm)
}

// changes reports whether an open with flag may change the file system:
// write access, creating or truncating.
func changes(flag experimentalsys.Oflag) bool {
	return flag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR|experimentalsys.O_CREAT|experimentalsys.O_TRUNC) != 0
}

// grant is one granted directory, opened for the life of the plugin.
type grant struct {
	mount
	root *os.Root
}

// openGrants opens the plugin's granted directories, once the compilation
// cache is chosen: no writable grant may reach the cache, and no grant
// lets the guest read its key (see grantcheck.go).
func (c *config) openGrants() error {
	if d := c.pendingCache(); d != nil {
		if err := c.checkCacheGrants(d); err != nil {
			return err
		}
		c.hidden = d.keyFile
	}
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
		var fsys experimentalsys.FS = &confinedFS{dir: sysfs.DirFS(g.HostPath), root: g.root, writable: g.Writable, hidden: c.hidden}
		if !g.Writable {
			fsys = readOnlyFS{&sysfs.ReadFS{FS: fsys}}
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
	if !c.writable && changes(flag) {
		return nil, experimentalsys.EROFS
	}
	trunc := flag&experimentalsys.O_TRUNC != 0
	osFlag := os.O_RDONLY
	switch flag & (experimentalsys.O_RDONLY | experimentalsys.O_WRONLY | experimentalsys.O_RDWR) {
	case experimentalsys.O_WRONLY:
		osFlag = os.O_WRONLY
	case experimentalsys.O_RDWR:
		osFlag = os.O_RDWR
	default:
		if trunc {
			// Truncating needs a descriptor that may write; the open
			// fails on a directory, as open(2) with O_TRUNC does.
			osFlag = os.O_RDWR
		}
	}
	if flag&experimentalsys.O_CREAT != 0 {
		osFlag |= os.O_CREATE
	}
	if flag&experimentalsys.O_EXCL != 0 {
		osFlag |= os.O_EXCL
	}
	// Non-blocking, so that opening a FIFO does not wait for a writer
	// beyond the call's deadline (open(2) cannot be interrupted); the
	// type is checked below.
	inside, err := c.root.OpenFile(rel(p), osFlag|openNonblock, perm&fs.ModePerm)
	if errors.Is(err, syscall.ENXIO) {
		return nil, experimentalsys.EACCES // a FIFO opened to write, with no reader
	} else if err != nil {
		return nil, errno(err)
	}
	defer inside.Close()
	want, err := inside.Stat()
	if err != nil {
		return nil, errno(err)
	}
	if c.hidden != nil && os.SameFile(want, c.hidden) {
		return nil, experimentalsys.EACCES
	}
	if !want.Mode().IsRegular() && !want.IsDir() {
		// A FIFO, socket or device the host left in the directory: its
		// open and reads may block past every deadline (a FIFO waits for
		// a writer), or never end (/dev/zero). Only files and
		// directories are granted.
		return nil, experimentalsys.EACCES
	}
	// The file exists now, as the guest asked: open it again without
	// creating or truncating anything. This open also applies what the
	// os.Root's does not: O_DIRECTORY, O_NOFOLLOW, the descriptor flags.
	f, e := c.dir.OpenFile(p, flag&^(experimentalsys.O_CREAT|experimentalsys.O_EXCL|experimentalsys.O_TRUNC), perm)
	if e != 0 {
		return nil, e
	}
	got, e := f.Stat()
	if w := sys.NewStat_t(want); e != 0 || got.Dev != w.Dev || got.Ino != w.Ino {
		f.Close()
		return nil, experimentalsys.EPERM
	}
	if trunc && want.Mode().IsRegular() {
		if err := inside.Truncate(0); err != nil {
			f.Close()
			return nil, errno(err)
		}
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
	// Only the permission bits: a guest has no business making a
	// set-user-ID file for whoever runs things from the directory later.
	return errno(c.root.Chmod(rel(p), perm&fs.ModePerm))
}

// Rename refuses to move a symbolic link that does not point downward (a
// link the guest did not make; see downward): moved elsewhere, it could
// lead out of the directory.
func (c *confinedFS) Rename(from, to string) experimentalsys.Errno {
	if e := c.movable(from); e != 0 {
		return e
	}
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

// Link makes a hard link inside the directory. Both names resolve in the
// os.Root, and wazero refuses a link between two mounts (ENOSYS), so the
// guest gains no file it could not already reach and change through the
// old name. A hard link to a symbolic link is a second name for that link,
// so it is refused as a rename of the link would be.
func (c *confinedFS) Link(oldPath, newPath string) experimentalsys.Errno {
	if e := c.movable(oldPath); e != 0 {
		return e
	}
	return errno(c.root.Link(rel(oldPath), rel(newPath)))
}

// Symlink makes a link only if it points downward. The os.Root would
// refuse to follow any other out of the directory, but the link would stay
// behind for whatever else uses the directory, host programs included.
func (c *confinedFS) Symlink(target, link string) experimentalsys.Errno {
	if !downward(target) {
		return experimentalsys.EPERM
	}
	return errno(c.root.Symlink(target, rel(link)))
}

// downward reports whether a link target is relative and has no ".."
// component: such a link leads into the directory that holds it, or below,
// wherever that directory is moved. That is the rule for the links a guest
// makes, and it is rename-proof because it does not depend on where the
// link is. A rule that checks the target against the link's place (is
// "a/b/../../x" still inside?) breaks as soon as a directory on the way is
// itself a link, or is renamed.
//
// A chain of downward links stays downward: each one leads below its own
// directory, which lies below the first link's.
func downward(target string) bool {
	if target == "" || path.IsAbs(target) || filepath.IsAbs(target) || filepath.VolumeName(target) != "" {
		return false
	}
	for _, part := range strings.FieldsFunc(target, func(r rune) bool { return r == '/' || os.IsPathSeparator(uint8(r)) }) {
		if part == ".." {
			return false
		}
	}
	return true
}

// movable refuses (EPERM) to give a new name, by rename or hard link, to a
// symbolic link that does not point downward: one the host made, since the
// guest can make no other. "../x" is inside the directory from "d/l" and
// outside it from "l". Anything else may move.
func (c *confinedFS) movable(p string) experimentalsys.Errno {
	fi, err := c.root.Lstat(rel(p))
	if err != nil || fi.Mode().Type() != fs.ModeSymlink {
		return 0 // the operation itself reports a missing name
	}
	target, err := c.root.Readlink(rel(p))
	if err != nil {
		return errno(err)
	}
	if !downward(target) {
		return experimentalsys.EPERM
	}
	return 0
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
