//go:build unix

package host_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/llmhost/llmhost/host"
)

// A FIFO the host left in a granted directory: open(2) of it waits for a
// writer, in a system call no deadline interrupts, so the guest could
// outlive its timeout and Close. Opening it fails at once with EACCES, for
// reading and for writing, and the rest of the grant still works.
func TestFIFOInAGrantDoesNotBlock(t *testing.T) {
	tr := newTree(t)
	must(t, syscall.Mkfifo(filepath.Join(tr.dir, "fifo"), 0o644))
	for _, c := range []struct {
		name  string
		grant host.Option
	}{
		{"read-only", host.WithAllowedPath(tr.dir, "/data")},
		{"writable", host.WithWritablePath(tr.dir, "/data")},
	} {
		pl := loadBytes(t, rawFSModule(t), c.grant, host.WithToolTimeout(toolTimeout))
		const pre = 3
		var p prog
		var at []rawAttack
		at = append(at, rawAttack{"path_open of a FIFO for reading", p.open(pre, lookupFollow, "fifo", 0, rightRead, 0), wEACCES})
		if c.name == "writable" {
			at = append(at, rawAttack{"path_open of a FIFO for writing", p.open(pre, lookupFollow, "fifo", 0, rightWrite, 0), wEACCES})
		}
		other := p.open(pre, lookupFollow, "victim.txt", 0, rightRead, 0)
		var errnos []uint32
		within(t, c.name+" grant: path_open of a FIFO", func() error { errnos, _ = p.run(t, pl); return nil })
		if errnos[other] != 0 {
			t.Errorf("%s grant: control open of victim.txt: errno %d", c.name, errnos[other])
		}
		check(t, "raw WASI, "+c.name+" grant: ", at, errnos)
	}
}
