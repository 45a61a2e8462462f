//go:build !unix

package host

import "io/fs"

// fileOwner reports no owner: this system has no Unix owners.
func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }

// unixModes is false: permission bits here are synthesized (Windows reports
// every directory as 0777), so the directory checks of cachetrust.go, which
// rest on them, are not made; entries are still authenticated.
const unixModes = false
