// Command fsattack is the test guest of the file-system grant attacks: one
// tool, "fs", that does one file operation through Go's os package, the
// way an ordinary Go plugin would, and returns what it read or the error
// the host's WASI layer gave it.
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/llmhost/llmhost/pdk"
)

type fsArgs struct {
	Op    string   `json:"op"`
	Path  string   `json:"path"`
	To    string   `json:"to,omitempty"`
	Flags []string `json:"flags,omitempty"`
}

var flagBits = map[string]int{
	"rdonly": os.O_RDONLY, "wronly": os.O_WRONLY, "rdwr": os.O_RDWR,
	"create": os.O_CREATE, "excl": os.O_EXCL, "trunc": os.O_TRUNC, "append": os.O_APPEND,
}

func init() {
	pdk.Info("fsattack", "0.1.0")
	pdk.Tool("fs", "Does one file operation and returns what it read, or fails with the error.", func(a fsArgs) (string, error) {
		switch a.Op {
		case "read":
			b, err := os.ReadFile(a.Path)
			return string(b), err
		case "list":
			es, err := os.ReadDir(a.Path)
			s := ""
			for _, e := range es {
				s += e.Name() + " "
			}
			return s, err
		case "open": // open with the flags, then close
			flag := 0
			for _, f := range a.Flags {
				b, ok := flagBits[f]
				if !ok {
					return "", fmt.Errorf("unknown flag %q", f)
				}
				flag |= b
			}
			f, err := os.OpenFile(a.Path, flag, 0o644)
			if err != nil {
				return "", err
			}
			return "opened", f.Close()
		case "write_fd", "truncate_fd", "sync_fd": // through a descriptor opened read-only
			f, err := os.Open(a.Path)
			if err != nil {
				return "", err
			}
			defer f.Close()
			switch a.Op {
			case "write_fd":
				_, err = f.Write([]byte("written by the guest"))
			case "truncate_fd":
				err = f.Truncate(0)
			default:
				err = f.Sync()
			}
			if err != nil {
				return "", err
			}
			return "done", nil
		case "truncate":
			return "done", os.Truncate(a.Path, 0)
		case "chtimes":
			t := time.Unix(1, 0)
			return "done", os.Chtimes(a.Path, t, t)
		case "chmod":
			return "done", os.Chmod(a.Path, 0o777)
		case "mkdir":
			return "done", os.Mkdir(a.Path, 0o755)
		case "remove":
			return "done", os.Remove(a.Path)
		case "rename":
			return "done", os.Rename(a.Path, a.To)
		case "link":
			return "done", os.Link(a.Path, a.To)
		case "symlink": // a link at To whose target is Path
			return "done", os.Symlink(a.Path, a.To)
		}
		return "", errors.New("unknown op " + a.Op)
	})
}

func main() {}
