//go:build !unix

package host

import "io/fs"

// fileOwner reports no owner: this system has no Unix owners.
func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }

// fileStamp reports no stamp, so every cache entry is hashed whenever it is
// checked.
func fileStamp(fs.FileInfo) (stamp [5]uint64, ok bool) { return stamp, false }

// unixModes is false: permission bits here are synthesized (Windows reports
// every directory as 0777), so the directory checks of cachetrust.go, which
// rest on them, are not made; entries are still authenticated.
const unixModes = false
