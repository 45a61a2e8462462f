// Package examples_test builds every program under examples/ and runs it
// offline, the way a reader of the README would.
package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/internal/scenario"
)

func TestEveryExampleRunsOffline(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "./...")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/...: %v\n%s", err, out)
	}
	for _, sc := range scenario.All {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command(filepath.Join(bin, sc.Name)).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", sc.Name, err, out)
			}
			if !strings.HasPrefix(string(out), sc.Title) {
				t.Errorf("output does not start with the title %q:\n%s", sc.Title, out)
			}
		})
	}
	dirs, _ := filepath.Glob("*/main.go")
	if len(dirs) != len(scenario.All) {
		t.Errorf("%d example programs for %d scenarios", len(dirs), len(scenario.All))
	}
}
