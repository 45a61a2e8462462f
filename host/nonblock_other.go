//go:build !unix

package host

// openNonblock is 0 where the system has no O_NONBLOCK for open (Windows,
// wasip1): there a FIFO cannot be opened by path to block on.
const openNonblock = 0
