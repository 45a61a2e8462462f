//go:build unix && !linux

package host

import (
	"io/fs"
	"syscall"
)

// fileOwner returns the uid that owns the file fi describes.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// fileStamp reports no stamp: the change time is not read portably on this
// system, so every cache entry is hashed whenever it is checked.
func fileStamp(fs.FileInfo) (stamp [5]uint64, ok bool) { return stamp, false }

// unixModes says that permission bits and owners mean what they say here.
const unixModes = true
