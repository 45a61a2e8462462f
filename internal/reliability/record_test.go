package reliability_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/internal/reliability"
)

func TestWriteSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "RELIABILITY.md")
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// A missing file starts from the skeleton, every section in place.
	if err := reliability.WriteSection(path, reliability.SectionSoak, "soak figures, first run"); err != nil {
		t.Fatal(err)
	}
	doc := read()
	for _, want := range []string{"# Reliability record", "soak figures, first run", "## Fuzzing", "<!-- begin fuzz -->", "## Findings"} {
		if !strings.Contains(doc, want) {
			t.Errorf("new document lacks %q", want)
		}
	}
	// A second run replaces its own section and nothing else, including
	// text someone added by hand.
	os.WriteFile(path, []byte(strings.Replace(doc, "## Fault matrix", "A note by hand.\n\n## Fault matrix", 1)), 0o644)
	if err := reliability.WriteSection(path, reliability.SectionFuzz, "fuzz figures"); err != nil {
		t.Fatal(err)
	}
	if err := reliability.WriteSection(path, reliability.SectionSoak, "soak figures, second run"); err != nil {
		t.Fatal(err)
	}
	doc = read()
	if strings.Contains(doc, "first run") || !strings.Contains(doc, "soak figures, second run") || !strings.Contains(doc, "fuzz figures") || !strings.Contains(doc, "A note by hand.") {
		t.Errorf("after two runs:\n%s", doc)
	}
	// A document that lost a section's markers gets the section appended.
	os.WriteFile(path, []byte("# Someone's rewrite\n"), 0o644)
	if err := reliability.WriteSection(path, reliability.SectionSandbox, "sandbox table"); err != nil {
		t.Fatal(err)
	}
	if doc = read(); !strings.HasPrefix(doc, "# Someone's rewrite\n") || !strings.Contains(doc, "<!-- begin sandbox -->\nsandbox table\n<!-- end sandbox -->") {
		t.Errorf("appended section:\n%s", doc)
	}
}
