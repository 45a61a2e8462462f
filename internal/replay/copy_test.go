package replay

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// The repository's copy of the recordings must be the shared original,
// file for file, wherever the original is at hand.
func TestCopyMatchesShared(t *testing.T) {
	shared, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	copyDir, err := filepath.Abs("testdata/recorded")
	if err != nil {
		t.Fatal(err)
	}
	if shared == copyDir {
		t.Log("only the repository's copy is at hand; nothing to compare it with")
		return
	}
	files := 0
	err = filepath.WalkDir(shared, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(shared, p)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(copyDir, rel))
		if err != nil {
			t.Errorf("the copy lacks %s: %v", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("the copy of %s differs from the shared original; copy it again", rel)
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no recordings under %s", shared)
	}
}
