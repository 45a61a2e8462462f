// Command files is the bundled plugin that shows the sandbox's grants: it
// lists and reads files, but only in directories the user granted (llmhost's
// WithAllowedPath; `--allow-path`). Without a grant every call fails with
// the guest's own error, and the host is untouched.
//
// Paths are as the guest sees them: a grant of ./docs at /docs makes
// ./docs/a.md readable as /docs/a.md. The configuration key "root" (default
// "/") is joined to relative paths.
package main

import (
	"errors"
	"io"
	"os"
	"path"
	"sort"

	"github.com/llmhost/llmhost/pdk"
)

type listArgs struct {
	Path string `json:"path" jsonschema:"description=Directory to list, e.g. /data"`
}

type readArgs struct {
	Path     string `json:"path" jsonschema:"description=File to read, e.g. /data/notes.txt"`
	MaxBytes int    `json:"max_bytes,omitempty" jsonschema:"description=Read at most this many bytes (default 65536)"`
}

// Entry is one item of a directory listing.
type Entry struct {
	Name string `json:"name"`
	Dir  bool   `json:"dir"`
	Size int64  `json:"size"`
}

func init() {
	pdk.Info("files", "1.0.0")
	pdk.Tool("list", "Lists a directory the user granted access to.", list)
	pdk.Tool("read", "Reads a text file in a directory the user granted access to.", read)
}

func resolve(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	root, ok := pdk.Config("root")
	if !ok {
		root = "/"
	}
	return path.Join(root, p)
}

func list(a listArgs) ([]Entry, error) {
	des, err := os.ReadDir(resolve(a.Path))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, d := range des {
		e := Entry{Name: d.Name(), Dir: d.IsDir()}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			e.Size = info.Size()
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func read(a readArgs) (string, error) {
	limit := a.MaxBytes
	if limit <= 0 {
		limit = 64 << 10
	}
	f, err := os.Open(resolve(a.Path))
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)))
	if err != nil {
		return "", err
	}
	if len(b) == limit {
		if n, _ := f.Read(make([]byte, 1)); n > 0 {
			return string(b), errors.New("file larger than max_bytes; only the start was read")
		}
	}
	return string(b), nil
}

func main() {}
