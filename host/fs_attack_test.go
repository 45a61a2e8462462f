package host_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/abi"
	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

// The file-system grants under attack: a read-only grant changes nothing,
// through any WASI call, by path or through a descriptor; a writable grant
// keeps the guest inside and leaves no link behind that leads out. Each
// attack is made by a Go guest (the way an ordinary plugin's os calls
// reach WASI) or by a hand-written module calling wasi_snapshot_preview1
// directly with the rights and flags it chooses, and each is checked on
// disk: no content, size, mode or time changed, no entry added or removed,
// inside the grant or next to it.

func fsAttackGuest(t testing.TB) string { return wasmtest.BuildGo(t, "host/testdata/guests/fsattack") }

// loadFS loads the Go attack guest. Its first compile, under -race on a
// busy machine, may take longer than the default load timeout; the later
// loads hit the compile cache.
func loadFS(t *testing.T, opts ...host.Option) *host.Plugin {
	t.Helper()
	return load(t, fsAttackGuest(t), append([]host.Option{host.WithLoadTimeout(10 * time.Minute)}, opts...)...)
}

// tree is a directory to grant, "granted", inside a root that also holds a
// file the guest must never reach.
type tree struct{ root, dir string }

func newTree(t *testing.T) tree {
	t.Helper()
	root := t.TempDir()
	tr := tree{root: root, dir: filepath.Join(root, "granted")}
	must(t, os.WriteFile(filepath.Join(root, "outside.txt"), []byte("outside the grant"), 0o644))
	must(t, os.Mkdir(tr.dir, 0o755))
	must(t, os.WriteFile(filepath.Join(tr.dir, "victim.txt"), []byte("the victim"), 0o644))
	must(t, os.Mkdir(filepath.Join(tr.dir, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(tr.dir, "sub", "inner.txt"), []byte("inner"), 0o644))
	must(t, os.Symlink("victim.txt", filepath.Join(tr.dir, "inner-link")))
	return tr
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot describes every entry under dir without following links: its
// type and mode, size, modification time, and content or link target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		s := fmt.Sprintf("%v size=%d mtime=%d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		switch {
		case fi.Mode().Type() == fs.ModeSymlink:
			dst, _ := os.Readlink(p)
			s += " -> " + dst
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			s += fmt.Sprintf(" sha256=%x", sha256.Sum256(b))
		case fi.IsDir():
			s = fmt.Sprintf("%v", fi.Mode()) // a directory's size and mtime follow its entries, compared one by one
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = s
		return nil
	})
	must(t, err)
	return m
}

// unchanged fails the test if dir differs from before, naming each change.
func unchanged(t *testing.T, attempt string, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if w, ok := after[k]; !ok {
			t.Errorf("%s: %s was removed", attempt, k)
		} else if w != v {
			t.Errorf("%s: %s changed: %s, was %s", attempt, k, w, v)
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s: %s was made (%s)", attempt, k, v)
		}
	}
}

func fsOp(t *testing.T, p *host.Plugin, op, path, to string, flags ...string) (string, error) {
	t.Helper()
	a := map[string]any{"op": op, "path": path}
	if to != "" {
		a["to"] = to
	}
	if flags != nil {
		a["flags"] = flags
	}
	b, _ := json.Marshal(a)
	return tool(t, p, "fs", string(b))
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// alive checks the plugin still answers: the attack left the host and the
// grant working.
func alive(t *testing.T, p *host.Plugin, path, want string) {
	t.Helper()
	if got, err := fsOp(t, p, "read", path, ""); err != nil || got != strconvQuote(want) {
		t.Fatalf("control read of %s after the attacks = %s, %v", path, got, err)
	}
}

// A read-only grant allows no change at all. The first attack is the one
// the hostile suite found: os.OpenFile with O_RDONLY|O_TRUNC reached
// path_open with read rights and O_TRUNC, which wazero's read-only wrapper
// let through and the mount carried out.
func TestReadOnlyGrantChangesNothingGoGuest(t *testing.T) {
	tr := newTree(t)
	p := loadFS(t, host.WithAllowedPath(tr.dir, "/data"))
	alive(t, p, "/data/victim.txt", "the victim")
	for _, c := range []struct {
		attempt, op, path, to string
		flags                 []string
		errno                 string
	}{
		{"open a file O_RDONLY|O_TRUNC", "open", "/data/victim.txt", "", []string{"rdonly", "trunc"}, "read-only file system"},
		{"open a new file O_RDONLY|O_CREATE", "open", "/data/new.txt", "", []string{"rdonly", "create"}, "read-only file system"},
		{"open a new file O_RDONLY|O_CREATE|O_EXCL", "open", "/data/new.txt", "", []string{"rdonly", "create", "excl"}, "read-only file system"},
		{"open an existing file O_RDONLY|O_CREATE", "open", "/data/victim.txt", "", []string{"rdonly", "create"}, "read-only file system"},
		{"open a file O_WRONLY", "open", "/data/victim.txt", "", []string{"wronly"}, "read-only file system"},
		{"open a file O_RDWR|O_APPEND", "open", "/data/victim.txt", "", []string{"rdwr", "append"}, "read-only file system"},
		{"open the granted directory itself O_WRONLY", "open", "/data", "", []string{"wronly"}, ""},
		{"write through a descriptor opened read-only", "write_fd", "/data/victim.txt", "", nil, "bad file number"},
		{"truncate through a descriptor opened read-only", "truncate_fd", "/data/victim.txt", "", nil, "bad file number"},
		{"truncate a file by path", "truncate", "/data/victim.txt", "", nil, ""},
		{"set a file's times by path", "chtimes", "/data/victim.txt", "", nil, "read-only file system"},
		{"make a directory", "mkdir", "/data/newdir", "", nil, "read-only file system"},
		{"remove a file", "remove", "/data/victim.txt", "", nil, "read-only file system"},
		{"remove a directory", "remove", "/data/sub/", "", nil, "read-only file system"},
		{"rename a file", "rename", "/data/victim.txt", "/data/moved.txt", nil, "read-only file system"},
		{"hard-link a file", "link", "/data/victim.txt", "/data/hard.txt", nil, "read-only file system"},
		{"make a symbolic link", "symlink", "victim.txt", "/data/made-link", nil, "read-only file system"},
	} {
		before := snapshot(t, tr.root)
		out, err := fsOp(t, p, c.op, c.path, c.to, c.flags...)
		if err == nil {
			t.Errorf("%s: succeeded (%s)", c.attempt, out)
			unchanged(t, c.attempt, before, snapshot(t, tr.root))
			continue
		}
		e := wantError(t, err, host.ReasonGuestError)
		if c.errno != "" && !strings.Contains(strings.ToLower(e.Message), c.errno) {
			t.Errorf("%s: %q, want the error %q", c.attempt, e.Message, c.errno)
		}
		unchanged(t, c.attempt, before, snapshot(t, tr.root))
		refused(t, "files", "Go guest, read-only grant: "+c.attempt, err)
	}
	// WASI has no chmod: Go's os.Chmod only checks the file exists.
	before := snapshot(t, tr.root)
	if out, err := fsOp(t, p, "chmod", "/data/victim.txt", ""); err != nil {
		t.Errorf("chmod: %v", err)
	} else {
		unchanged(t, "chmod", before, snapshot(t, tr.root))
		outcome(t, "files", "Go guest, read-only grant: chmod a file 0777", "nothing changes: WASI has no chmod, and Go's os.Chmod only stats the file: "+out)
	}
	alive(t, p, "/data/victim.txt", "the victim")
	alive(t, p, "/data/sub/inner.txt", "inner")
	outcome(t, "files", "Go guest reads the read-only grant after every attack on it (control)", "allowed: the files read as before")
}

// A writable grant lets the guest make links, but only downward: a target
// that is relative and has no ".." component. The chain the hostile suite
// used (a/b -> "..", then a/b/x -> "../outside.txt") passed a check of the
// target against the link's named parent, and left a link leading out of
// the grant; a link made inside at depth 2 ("d1/d2/l" -> "../../x") led
// out once its directory was renamed to depth 1.
func TestWritableGrantLinksPointDownward(t *testing.T) {
	tr := newTree(t)
	must(t, os.Mkdir(filepath.Join(tr.dir, "hostdir"), 0o755))
	// A link the host made, inside the grant from where it is, outside it
	// from the top of the grant.
	must(t, os.Symlink("../victim.txt", filepath.Join(tr.dir, "hostdir", "up")))
	p := loadFS(t, host.WithWritablePath(tr.dir, "/data"))
	mustTool(t, p, "fs", `{"op":"mkdir","path":"/data/a"}`)
	mustTool(t, p, "fs", `{"op":"mkdir","path":"/data/d1"}`)
	mustTool(t, p, "fs", `{"op":"mkdir","path":"/data/d1/d2"}`)

	for _, c := range []struct{ attempt, op, path, to string }{
		{"link a/b -> .. (first step of a chain out)", "symlink", "..", "/data/a/b"},
		{"link a/b/x -> ../outside.txt (second step)", "symlink", "../outside.txt", "/data/a/b/x"},
		{"link d1/d2/l -> ../../victim.txt, inside until d1/d2 is renamed", "symlink", "../../victim.txt", "/data/d1/d2/l"},
		{"link -> sub/../../outside.txt", "symlink", "sub/../../outside.txt", "/data/l"},
		{"link -> /etc/passwd", "symlink", "/etc/passwd", "/data/l"},
		{"rename a host-made link ../victim.txt up a level, where it leads out", "rename", "/data/hostdir/up", "/data/up"},
		{"hard-link a host-made link ../victim.txt up a level", "link", "/data/hostdir/up", "/data/up"},
	} {
		before := snapshot(t, tr.root)
		_, err := fsOp(t, p, c.op, c.path, c.to)
		if e := wantError(t, err, host.ReasonGuestError); !strings.Contains(strings.ToLower(e.Message), "operation not permitted") {
			t.Errorf("%s: %q, want EPERM", c.attempt, e.Message)
		}
		unchanged(t, c.attempt, before, snapshot(t, tr.root))
		refused(t, "files", "Go guest, writable grant: "+c.attempt, err)
	}

	// Downward links work, and stay inside wherever they are moved.
	mustTool(t, p, "fs", `{"op":"mkdir","path":"/data/d1/d2/s"}`)
	must(t, os.WriteFile(filepath.Join(tr.dir, "d1", "d2", "s", "f"), []byte("deep"), 0o644))
	mustTool(t, p, "fs", `{"op":"symlink","path":"s/f","to":"/data/d1/d2/l"}`)
	mustTool(t, p, "fs", `{"op":"rename","path":"/data/d1/d2","to":"/data/d2"}`)
	alive(t, p, "/data/d2/l", "deep")
	mustTool(t, p, "fs", `{"op":"link","path":"/data/d2/l","to":"/data/top-l"}`)
	if _, err := fsOp(t, p, "read", "/data/top-l", ""); err == nil {
		t.Error("a downward link moved to the top reads a file it should not find")
	}
	if dst, err := os.Readlink(filepath.Join(tr.dir, "top-l")); err != nil || dst != "s/f" {
		t.Errorf("moved link = %q, %v", dst, err)
	}
	outcome(t, "files", "Go guest, writable grant: make d1/d2/l -> s/f, rename d1/d2 to d2, hard-link l to the top (control)", "allowed: the link still reads d2/s/f, and leads below its own directory wherever it is")
	// Hard links reach nothing new: within one grant, only what the guest
	// can already change.
	mustTool(t, p, "fs", `{"op":"link","path":"/data/victim.txt","to":"/data/hard.txt"}`)
	alive(t, p, "/data/hard.txt", "the victim")
	outcome(t, "files", "Go guest, writable grant: hard-link a file of the grant (control)", "allowed: a second name for a file the guest could change anyway")

	// No guest-made link anywhere in the grant leads out of it or up.
	must(t, filepath.WalkDir(tr.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type() == fs.ModeSymlink && !strings.HasPrefix(p, filepath.Join(tr.dir, "hostdir")) {
			dst, _ := os.Readlink(p)
			if filepath.IsAbs(dst) || strings.Contains(dst, "..") {
				t.Errorf("link %s -> %s", p, dst)
			}
		}
		return err
	}))
	if b, _ := os.ReadFile(filepath.Join(tr.root, "outside.txt")); string(b) != "outside the grant" {
		t.Errorf("the file outside the grant holds %q", b)
	}
}

// A hard link or rename from a read-only grant into a writable one would
// give the guest a changeable name for a file it may only read. wazero
// refuses both across mounts.
func TestGrantsDoNotMixGoGuest(t *testing.T) {
	ro, rw := newTree(t), newTree(t)
	p := loadFS(t, host.WithAllowedPath(ro.dir, "/ro"), host.WithWritablePath(rw.dir, "/rw"))
	for _, c := range []struct{ attempt, op string }{
		{"hard-link a file of the read-only grant into the writable one", "link"},
		{"rename a file of the read-only grant into the writable one", "rename"},
	} {
		b1, b2 := snapshot(t, ro.root), snapshot(t, rw.root)
		_, err := fsOp(t, p, c.op, "/ro/victim.txt", "/rw/got.txt")
		wantError(t, err, host.ReasonGuestError)
		unchanged(t, c.attempt, b1, snapshot(t, ro.root))
		unchanged(t, c.attempt, b2, snapshot(t, rw.root))
		refused(t, "files", "Go guest: "+c.attempt, err)
	}
	alive(t, p, "/ro/victim.txt", "the victim")
	alive(t, p, "/rw/victim.txt", "the victim")
}

// The WASI numbers of the errors the raw attacks expect.
const (
	wEACCES      = 2
	wEBADF       = 8
	wEINVAL      = 28
	wEISDIR      = 31
	wELOOP       = 32
	wENAMETOOLNG = 37
	wENOENT      = 44
	wENOSYS      = 52
	wENOTDIR     = 54
	wENOTSUP     = 58
	wEPERM       = 63
	wEROFS       = 69
)

// WASI flags and rights.
const (
	lookupFollow = 1
	oCreat       = 1
	oDirectory   = 2
	oExcl        = 4
	oTrunc       = 8
	fdAppend     = 1
	rightRead    = 2
	rightWrite   = 64
	stAtim       = 1
	stMtim       = 4
)

// wasiCalls are the calls the raw module can make, each with its WASI
// parameter types: i for i32, I for i64.
var wasiCalls = []struct{ name, params string }{
	{"path_open", "iiiiiIIii"},
	{"fd_write", "iiii"},
	{"fd_pwrite", "iiiIi"},
	{"fd_filestat_set_size", "iI"},
	{"fd_filestat_set_times", "iIIi"},
	{"path_filestat_set_times", "iiiiIIi"},
	{"fd_allocate", "iII"},
	{"fd_fdstat_set_flags", "ii"},
	{"path_create_directory", "iii"},
	{"path_remove_directory", "iii"},
	{"path_unlink_file", "iii"},
	{"path_rename", "iiiiii"},
	{"path_link", "iiiiiii"},
	{"path_symlink", "iiiii"},
	{"fd_close", "i"},
	{"fd_renumber", "ii"},
	{"fd_read", "iiii"},
}

// Where the raw module keeps things: its allocator always answers
// rawInput, so the test knows every address in advance.
const (
	rawInput  = 1024
	rawMaxOps = 64
	rawOpSize = 80                                 // an op is its code and up to 9 arguments, 8 bytes each
	rawData   = rawInput + 8 + rawMaxOps*rawOpSize // strings and iovecs, after the ops
	rawErrnos = 32768                              // errno of op i at rawErrnos+4i
	rawOuts   = rawErrnos + 4*rawMaxOps            // result (fd, count) of op i at rawOuts+4i
)

// rawFSModule is an llmhost/1 module that exports "fs": it runs a program
// of WASI calls, given as its input, and replies with each call's errno
// and result. No language runtime sits between the test and WASI.
func rawFSModule(t *testing.T) []byte {
	d, _ := json.Marshal(abi.Describe{ABI: abi.Version, Name: "rawfs", Version: "0",
		Tools: []abi.Tool{{Name: "run", Description: "unused", Parameters: json.RawMessage(`{"type":"object"}`)}}})
	var w strings.Builder
	w.WriteString("(module\n")
	for _, c := range wasiCalls {
		ps := strings.NewReplacer("i", " i32", "I", " i64").Replace(c.params)
		fmt.Fprintf(&w, "(import \"wasi_snapshot_preview1\" %q (func $%s (param%s) (result i32)))\n", c.name, c.name, ps)
	}
	fmt.Fprintf(&w, `(memory (export "memory") 1)
(func (export "llmhost_abi_v1"))
(func (export "llmhost_alloc") (param i32) (result i32) (i32.const %d))
(func (export "describe") (param i32 i32) (result i64) (i64.const %d))
(func (export "call") (param i32 i32) (result i64) (unreachable))
(data (i32.const 256) "%s")
(func $a (param $x i32) (param $k i32) (result i64) (i64.load (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 3)))))
(func $i (param $x i32) (param $k i32) (result i32) (i32.wrap_i64 (call $a (local.get $x) (local.get $k))))
(func (export "fs") (param $p i32) (param $n i32) (result i64)
  (local $cnt i32) (local $idx i32) (local $op i32)
  (local.set $cnt (i32.load (local.get $p)))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $idx) (local.get $cnt)))
    (local.set $op (i32.add (i32.add (local.get $p) (i32.const 8)) (i32.mul (local.get $idx) (i32.const %d))))
    (i32.store (i32.add (i32.const %d) (i32.shl (local.get $idx) (i32.const 2)))
      (call $dispatch (i32.wrap_i64 (i64.load (local.get $op))) (i32.add (local.get $op) (i32.const 8))))
    (local.set $idx (i32.add (local.get $idx) (i32.const 1)))
    (br $next)))
  (i64.const %d))
(func $dispatch (param $code i32) (param $x i32) (result i32)
`, rawInput, int64(abi.Pack(256, uint32(len(d)), false)), hexEscape(d), rawOpSize, rawErrnos, int64(abi.Pack(rawErrnos, 8*rawMaxOps, false)))
	for i := len(wasiCalls); i >= 0; i-- {
		fmt.Fprintf(&w, "(block $b%d ", i)
	}
	w.WriteString("(br_table")
	for i := range wasiCalls {
		fmt.Fprintf(&w, " $b%d", i)
	}
	fmt.Fprintf(&w, " $b%d (local.get $code)))\n", len(wasiCalls))
	for i, c := range wasiCalls {
		fmt.Fprintf(&w, "(return (call $%s", c.name)
		for k, ty := range c.params {
			if ty == 'i' {
				fmt.Fprintf(&w, " (call $i (local.get $x) (i32.const %d))", k)
			} else {
				fmt.Fprintf(&w, " (call $a (local.get $x) (i32.const %d))", k)
			}
		}
		fmt.Fprintf(&w, ")))\n")
		_ = i
	}
	w.WriteString("(i32.const -1)))\n")
	return wasmtest.WAT(t, w.String())
}

func hexEscape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "\\%02x", c)
	}
	return s.String()
}

// prog is a program for rawFSModule.
type prog struct {
	ops  [][]uint64
	data []byte
}

// str places s in the input and returns its address and length.
func (p *prog) str(s string) (uint64, uint64) {
	at := rawData + len(p.data)
	p.data = append(p.data, s...)
	return uint64(at), uint64(len(s))
}

// iovec places one iovec of s and returns its address.
func (p *prog) iovec(s string) uint64 {
	ptr, n := p.str(s)
	for len(p.data)%4 != 0 {
		p.data = append(p.data, 0)
	}
	at := rawData + len(p.data)
	p.data = binary.LittleEndian.AppendUint32(p.data, uint32(ptr))
	p.data = binary.LittleEndian.AppendUint32(p.data, uint32(n))
	return uint64(at)
}

// out is the address of the result of the op about to be added.
func (p *prog) out() uint64 { return uint64(rawOuts + 4*len(p.ops)) }

// call adds a call of the WASI function name; it returns the op's index.
func (p *prog) call(name string, args ...uint64) int {
	for code, c := range wasiCalls {
		if c.name == name {
			if len(args) != len(c.params) {
				panic(fmt.Sprintf("%s takes %d arguments, not %d", name, len(c.params), len(args)))
			}
			p.ops = append(p.ops, append([]uint64{uint64(code)}, args...))
			return len(p.ops) - 1
		}
	}
	panic("no WASI call " + name)
}

// open adds a path_open of path from fd with the given lookup flags,
// oflags, rights and fdflags.
func (p *prog) open(fd uint64, lookup uint64, path string, oflags, rights, fdflags uint64) int {
	ptr, n := p.str(path)
	return p.call("path_open", fd, lookup, ptr, n, oflags, rights, 0, fdflags, p.out())
}

// pathCall adds a call of a path function that takes (fd, path, len).
func (p *prog) pathCall(name string, fd uint64, path string) int {
	ptr, n := p.str(path)
	return p.call(name, fd, ptr, n)
}

func (p *prog) encode() []byte {
	if len(p.ops) > rawMaxOps {
		panic("too many ops")
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(p.ops)))
	for _, op := range p.ops {
		for _, a := range append(op, make([]uint64, rawOpSize/8-len(op))...) {
			b = binary.LittleEndian.AppendUint64(b, a)
		}
	}
	b = append(b, make([]byte, rawData-rawInput-len(b))...)
	return append(b, p.data...)
}

// run runs the program and returns each op's errno and result.
func (p *prog) run(t *testing.T, pl *host.Plugin) (errnos, outs []uint32) {
	t.Helper()
	reply, err := pl.Call(context.Background(), "fs", p.encode())
	if err != nil {
		t.Fatalf("the raw module failed: %v", err)
	}
	for i := range p.ops {
		errnos = append(errnos, binary.LittleEndian.Uint32(reply[4*i:]))
		outs = append(outs, binary.LittleEndian.Uint32(reply[4*rawMaxOps+4*i:]))
	}
	return errnos, outs
}

// rawAttack is one WASI call and the errno it must get.
type rawAttack struct {
	attempt string
	op      int
	want    uint32
}

// check asserts each attack's errno and records it.
func check(t *testing.T, prefix string, attacks []rawAttack, errnos []uint32) {
	t.Helper()
	for _, a := range attacks {
		got := errnos[a.op]
		if got != a.want {
			t.Errorf("%s: errno %d, want %d", a.attempt, got, a.want)
			continue
		}
		refused(t, "files", prefix+a.attempt, fmt.Errorf("WASI errno %d (%s)", got, errnoName[got]))
	}
}

var errnoName = map[uint32]string{wEACCES: "EACCES", wEBADF: "EBADF", wEINVAL: "EINVAL", wEISDIR: "EISDIR", wELOOP: "ELOOP",
	wENAMETOOLNG: "ENAMETOOLONG", wENOENT: "ENOENT", wENOSYS: "ENOSYS", wENOTDIR: "ENOTDIR", wENOTSUP: "ENOTSUP", wEPERM: "EPERM", wEROFS: "EROFS"}

// Raw WASI against a read-only grant: every call that would change
// something, with the rights and flags an attacker picks (wazero reads only
// the read and write rights, and O_TRUNC or O_CREAT with read rights was
// the hole), by path and through descriptors, the preopen included.
func TestReadOnlyGrantChangesNothingRawWASI(t *testing.T) {
	tr := newTree(t)
	pl := loadBytes(t, rawFSModule(t), host.WithAllowedPath(tr.dir, "/data"))
	const pre = 3 // the grant's preopened descriptor
	var p prog
	var at []rawAttack
	add := func(attempt string, op int, want uint32) { at = append(at, rawAttack{attempt, op, want}) }
	add("path_open O_TRUNC with read rights only", p.open(pre, lookupFollow, "victim.txt", oTrunc, rightRead, 0), wEROFS)
	add("path_open O_TRUNC with no rights", p.open(pre, lookupFollow, "victim.txt", oTrunc, 0, 0), wEROFS)
	add("path_open O_CREAT with read rights only", p.open(pre, lookupFollow, "new.txt", oCreat, rightRead, 0), wEROFS)
	add("path_open O_CREAT|O_EXCL with read rights only", p.open(pre, lookupFollow, "new.txt", oCreat|oExcl, rightRead, 0), wEROFS)
	add("path_open O_DIRECTORY|O_TRUNC of the grant's own \".\"", p.open(pre, lookupFollow, ".", oDirectory|oTrunc, rightRead, 0), wEROFS)
	add("path_open \".\" with write rights", p.open(pre, lookupFollow, ".", 0, rightWrite, 0), wEROFS)
	add("path_open with write rights", p.open(pre, lookupFollow, "victim.txt", 0, rightWrite, 0), wEROFS)
	add("path_open with the append fdflag and no rights", p.open(pre, lookupFollow, "victim.txt", 0, 0, fdAppend), wEROFS)
	add("path_open O_TRUNC through a link inside, not following it", p.open(pre, 0, "inner-link", oTrunc, rightRead, 0), wEROFS)
	// A descriptor opened read-only; it is 4, the lowest free.
	ro := p.open(pre, lookupFollow, "victim.txt", 0, rightRead, 0)
	const fd = 4
	add("fd_write on a descriptor opened read-only", p.call("fd_write", fd, p.iovec("written by the guest"), 1, p.out()), wEBADF)
	add("fd_pwrite on a descriptor opened read-only", p.call("fd_pwrite", fd, p.iovec("written"), 1, 0, p.out()), wEBADF)
	add("fd_filestat_set_size to 0 on a descriptor opened read-only", p.call("fd_filestat_set_size", fd, 0), wEBADF)
	add("fd_filestat_set_size to 1 MiB on a descriptor opened read-only", p.call("fd_filestat_set_size", fd, 1<<20), wEBADF)
	add("fd_allocate 1 MiB on a descriptor opened read-only", p.call("fd_allocate", fd, 0, 1<<20), wEBADF)
	add("fd_filestat_set_times on a descriptor opened read-only", p.call("fd_filestat_set_times", fd, 1, 1, stAtim|stMtim), wEBADF)
	setAppend := p.call("fd_fdstat_set_flags", fd, fdAppend)
	add("fd_write after setting the append flag on the descriptor", p.call("fd_write", fd, p.iovec("appended"), 1, p.out()), wEBADF)
	add("fd_filestat_set_times on the preopened directory", p.call("fd_filestat_set_times", pre, 1, 1, stAtim|stMtim), wEBADF)
	add("fd_filestat_set_size on the preopened directory", p.call("fd_filestat_set_size", pre, 0), wEISDIR)
	add("fd_write on the preopened directory", p.call("fd_write", pre, p.iovec("x"), 1, p.out()), wEISDIR)
	vp, vn := p.str("victim.txt")
	add("path_filestat_set_times of a file", p.call("path_filestat_set_times", pre, lookupFollow, vp, vn, 1, 1, stAtim|stMtim), wEROFS)
	dp, dn := p.str(".")
	add("path_filestat_set_times of the grant itself", p.call("path_filestat_set_times", pre, lookupFollow, dp, dn, 1, 1, stAtim|stMtim), wEROFS)
	add("path_create_directory", p.pathCall("path_create_directory", pre, "newdir"), wEROFS)
	add("path_remove_directory", p.pathCall("path_remove_directory", pre, "sub"), wEROFS)
	add("path_unlink_file", p.pathCall("path_unlink_file", pre, "victim.txt"), wEROFS)
	add("path_unlink_file of a link", p.pathCall("path_unlink_file", pre, "inner-link"), wEROFS)
	np, nn := p.str("moved.txt")
	add("path_rename", p.call("path_rename", pre, vp, vn, pre, np, nn), wEROFS)
	add("path_link", p.call("path_link", pre, 0, vp, vn, pre, np, nn), wEROFS)
	add("path_symlink", p.call("path_symlink", vp, vn, pre, np, nn), wEROFS)
	add("fd_renumber of the preopen", p.call("fd_renumber", pre, 9), wENOTSUP)
	add("fd_renumber of a file onto the preopen", p.call("fd_renumber", fd, pre), wENOTSUP)
	add("path_open of a path with a NUL byte", p.open(pre, lookupFollow, "victim.txt\x00x", oTrunc, rightRead, 0), wEROFS)
	add("path_open of a path with a NUL byte, read-only", p.open(pre, lookupFollow, "victim.txt\x00x", 0, rightRead, 0), wEINVAL)
	add("path_open of a 20 KiB path", p.open(pre, lookupFollow, strings.Repeat("sub/", 5000)+"inner.txt", oTrunc, rightRead, 0), wEROFS)
	add("path_open of a 20 KiB path, read-only", p.open(pre, lookupFollow, strings.Repeat("sub/", 5000)+"inner.txt", 0, rightRead, 0), wENOENT)
	add("path_open of a 300-byte name", p.open(pre, lookupFollow, strings.Repeat("n", 300), 0, rightRead, 0), wENAMETOOLNG)
	add("path_open of ../granted/victim.txt", p.open(pre, lookupFollow, "../granted/victim.txt", 0, rightRead, 0), wEPERM)
	read := p.call("fd_read", fd, p.iovec(strings.Repeat(" ", 10)), 1, p.out())
	closeFD := p.call("fd_close", fd)
	closePre := p.call("fd_close", pre)
	add("path_open from the preopen after the guest closed it", p.open(pre, lookupFollow, "victim.txt", oTrunc, rightRead, 0), wEBADF)

	before := snapshot(t, tr.root)
	errnos, outs := p.run(t, pl)
	unchanged(t, "raw WASI against a read-only grant", before, snapshot(t, tr.root))
	for _, c := range []struct {
		what string
		op   int
	}{{"open read-only", ro}, {"set the append flag", setAppend}, {"read", read}, {"close the file", closeFD}, {"close the preopen", closePre}} {
		if errnos[c.op] != 0 {
			t.Errorf("%s: errno %d", c.what, errnos[c.op])
		}
	}
	if outs[ro] != fd || outs[read] != 10 {
		t.Errorf("the read-only descriptor is %d and read %d bytes; want %d and 10", outs[ro], outs[read], fd)
	}
	check(t, "raw WASI, read-only grant: ", at, errnos)
	outcome(t, "files", "raw WASI, read-only grant: open a file read-only, read it, set its append flag, close it, close the preopen (control)",
		"allowed: the reads work; closing the preopen only loses it for this instance")

	// The host is alive and the grant works in a fresh program.
	var q prog
	o := q.open(pre, lookupFollow, "victim.txt", 0, rightRead, 0)
	e2, _ := q.run(t, pl)
	if e2[o] != 0 && e2[o] != wEBADF { // wEBADF: the same instance, whose preopen the guest closed
		t.Errorf("open after the attacks: errno %d", e2[o])
	}
}

// Raw WASI against a writable grant: what it may do it does inside, and
// what asks for something else (not following a link, a directory) fails
// before anything is truncated.
func TestWritableGrantRawWASI(t *testing.T) {
	tr := newTree(t)
	pl := loadBytes(t, rawFSModule(t), host.WithWritablePath(tr.dir, "/data"))
	const pre = 3
	var p prog
	var at []rawAttack
	add := func(attempt string, op int, want uint32) { at = append(at, rawAttack{attempt, op, want}) }
	add("path_open O_TRUNC of a link inside, not following it (the link's target must keep its bytes)", p.open(pre, 0, "inner-link", oTrunc, rightRead|rightWrite, 0), wELOOP)
	add("path_open O_DIRECTORY|O_TRUNC of a file (which must keep its bytes)", p.open(pre, lookupFollow, "victim.txt", oDirectory|oTrunc, rightRead, 0), wENOTDIR)
	add("path_open \".\" with write rights", p.open(pre, lookupFollow, ".", 0, rightWrite, 0), wEISDIR)
	add("path_open O_TRUNC of the grant's own \".\"", p.open(pre, lookupFollow, ".", oTrunc, rightRead, 0), wEISDIR)
	add("path_open of ../outside.txt with O_TRUNC", p.open(pre, lookupFollow, "../outside.txt", oTrunc, rightWrite, 0), wEPERM)
	add("path_create_directory ../made", p.pathCall("path_create_directory", pre, "../made"), wEPERM)
	mk := p.pathCall("path_create_directory", pre, "a")
	dotdot, n2 := p.str("..")
	ab, n3 := p.str("a/b")
	add("path_symlink a/b -> ..", p.call("path_symlink", dotdot, n2, pre, ab, n3), wEPERM)
	etc, n4 := p.str("/etc")
	add("path_symlink l -> /etc", p.call("path_symlink", etc, n4, pre, ab, n3), wEPERM)
	ro := p.open(pre, lookupFollow, "victim.txt", 0, rightRead, 0)
	const fd = 4
	add("fd_write on a descriptor opened read-only", p.call("fd_write", fd, p.iovec("written by the guest"), 1, p.out()), wEBADF)
	add("fd_filestat_set_size on a descriptor opened read-only", p.call("fd_filestat_set_size", fd, 0), wEINVAL)
	p.call("fd_close", fd)

	before := snapshot(t, tr.root)
	errnos, outs := p.run(t, pl)
	after := snapshot(t, tr.root)
	if errnos[mk] != 0 || errnos[ro] != 0 || outs[ro] != fd {
		t.Fatalf("controls: mkdir errno %d, open errno %d fd %d", errnos[mk], errnos[ro], outs[ro])
	}
	delete(after, "granted/a") // the one change asked for
	unchanged(t, "raw WASI against a writable grant", before, after)
	check(t, "raw WASI, writable grant: ", at, errnos)
	outcome(t, "files", "raw WASI, writable grant: make a directory, open a file read-only (control)", "allowed: done inside the grant")
}

// An Extism guest gets the same mounts: a raw path_open O_TRUNC with read
// rights against a read-only grant is refused there too.
func TestReadOnlyGrantExtismRawWASI(t *testing.T) {
	tr := newTree(t)
	wasm := wasmtest.WAT(t, `(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "victim.txt")
  ;; returns path_open's errno as the plugin's return code
  (func (export "truncate") (result i32)
    (call $open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 10) (i32.const 8) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
  (func (export "open") (result i32)
    (call $open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 10) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64))))`)
	p := loadBytes(t, wasm, host.WithAllowedPath(tr.dir, "/data"))
	before := snapshot(t, tr.root)
	_, err := p.Call(context.Background(), "truncate", nil)
	unchanged(t, "Extism raw path_open O_TRUNC", before, snapshot(t, tr.root))
	wantError(t, err, host.ReasonGuestError, fmt.Sprint(wEROFS))
	refused(t, "files", "Extism guest, read-only grant: raw path_open O_TRUNC with read rights only", err)
	if _, err := p.Call(context.Background(), "open", nil); err != nil {
		t.Errorf("Extism open read-only after the attack: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(tr.dir, "victim.txt")); !bytes.Equal(b, []byte("the victim")) {
		t.Errorf("victim holds %q", b)
	}
}
