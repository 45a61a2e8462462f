package host

import (
	"os"
	"path/filepath"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// swapFS swaps a link in before wazero's open, between the os.Root's open
// and wazero's: the race a guest would try to win with a second instance.
type swapFS struct {
	experimentalsys.FS
	swap func()
}

func (s swapFS) OpenFile(p string, flag experimentalsys.Oflag, perm os.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	s.swap()
	return s.FS.OpenFile(p, flag, perm)
}

// The two opens of confinedFS must reach the same file, or the guest gets
// none: a link to outside the grant swapped in between is caught by the
// device and inode check, and nothing outside is read, truncated or
// written. (An internal test, since the race cannot be won on demand from
// a guest; the guest-level attacks are in fs_attack_test.go.)
func TestConfinedOpenCatchesASwappedLink(t *testing.T) {
	for _, c := range []struct {
		name     string
		flag     experimentalsys.Oflag
		writable bool
	}{
		{"read-only open", experimentalsys.O_RDONLY, false},
		{"read-write open with O_TRUNC", experimentalsys.O_RDWR | experimentalsys.O_TRUNC, true},
		{"create", experimentalsys.O_WRONLY | experimentalsys.O_CREAT, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			outside := filepath.Join(root, "outside.txt")
			dir := filepath.Join(root, "granted")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(outside, []byte("outside the grant"), 0o644)
			f := filepath.Join(dir, "f")
			os.WriteFile(f, []byte("inside"), 0o644)
			r, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			swapped := false
			c2 := &confinedFS{root: r, writable: c.writable, dir: swapFS{FS: sysfs.DirFS(dir), swap: func() {
				swapped = true
				os.Remove(f)
				if err := os.Symlink(outside, f); err != nil {
					t.Error(err)
				}
			}}}
			file, e := c2.OpenFile("f", c.flag, 0o644)
			if !swapped {
				t.Fatal("the link was not swapped in")
			}
			if e != experimentalsys.EPERM {
				if file != nil {
					file.Close()
				}
				t.Fatalf("errno %v, want EPERM", e)
			}
			if b, _ := os.ReadFile(outside); string(b) != "outside the grant" {
				t.Errorf("the file outside holds %q", b)
			}
		})
	}
}
