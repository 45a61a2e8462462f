// Command extismsleeper is a test guest of the Extism ABI that waits in
// WASI (Go's time.Sleep ends in poll_oneoff): in an export, and in its
// runtime's start-up (the _initialize the SDK runs before the first call)
// when configured with sleep_init=1. The host must stop each wait at the
// call's deadline. The kernel imports are declared by hand, as in the
// extism test guest.
package main

func main() {}
