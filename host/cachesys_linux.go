package host

import (
	"io/fs"
	"syscall"
)

// fileStamp identifies one version of a file's content without reading it:
// device, inode, size, modification and change time. The change time (ctime)
// is what makes it a safe shortcut: any write or rename sets it to the
// current time, and no unprivileged call sets it back, so a file whose stamp
// is the one recorded when its content was authenticated still has that
// content. Other systems name the field differently or lack it; there every
// entry is hashed on every check (see cachesys_nostamp.go).
func fileStamp(fi fs.FileInfo) (stamp [5]uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp, false
	}
	return [5]uint64{
		uint64(st.Dev), uint64(st.Ino), uint64(st.Size),
		uint64(st.Mtim.Nano()), uint64(st.Ctim.Nano()),
	}, true
}
