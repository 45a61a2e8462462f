//go:build unix

package host

import "syscall"

// openNonblock makes the first open of a guest's path non-blocking, so that
// a FIFO in a grant cannot hold open(2) past the call's deadline (see
// confinedFS.OpenFile, which then refuses anything but files and
// directories).
const openNonblock = syscall.O_NONBLOCK
