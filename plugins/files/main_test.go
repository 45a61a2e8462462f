package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListAndRead(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("bee"), 0o644)
	os.Mkdir(filepath.Join(dir, "a"), 0o755)
	got, err := list(listArgs{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{Name: "a", Dir: true}, {Name: "b.txt", Size: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if s, err := read(readArgs{Path: filepath.Join(dir, "b.txt")}); err != nil || s != "bee" {
		t.Errorf("read = %q, %v", s, err)
	}
	if s, err := read(readArgs{Path: filepath.Join(dir, "b.txt"), MaxBytes: 2}); err == nil || s != "be" {
		t.Errorf("read truncated = %q, %v", s, err)
	}
	if _, err := read(readArgs{Path: filepath.Join(dir, "nope")}); err == nil {
		t.Error("missing file: no error")
	}
}
