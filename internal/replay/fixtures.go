package replay

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// EnvFixtures names the environment variable that, when set, overrides where
// the recorded fixtures are looked for.
const EnvFixtures = "LLMHOST_FIXTURES"

// fixturesRel is where the recordings sit relative to the directory that
// holds the repository: they are a sibling of the module root, not inside it.
const fixturesRel = "shared/fixtures/recorded"

// copyRel is the repository's own copy of the recordings, relative to the
// module root, so that a clone tests the same on a machine without ../shared.
// TestCopyMatchesShared keeps it identical to the shared original.
const copyRel = "internal/replay/testdata/recorded"

// Dir returns the directory holding the recorded fixtures.
//
// It honours $LLMHOST_FIXTURES first. Otherwise it walks up from the working
// directory (a package directory under `go test`) and takes the first
// ancestor A for which A/shared/fixtures/recorded exists; for a repository at
// /work/main that is /work/shared/fixtures/recorded, i.e.
// ../shared/fixtures/recorded relative to the module root. Failing that, it
// takes the repository's own copy, internal/replay/testdata/recorded.
//
// When nothing is found the error names every place it looked, so a test
// that calls t.Fatal(err) says what to fix.
func Dir() (string, error) {
	if dir := os.Getenv(EnvFixtures); dir != "" {
		if isDir(dir) {
			return filepath.Abs(dir)
		}
		return "", fmt.Errorf("replay: $%s=%q is not a directory", EnvFixtures, dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("replay: locating fixtures: %w", err)
	}
	var tried []string
	for _, rel := range []string{fixturesRel, copyRel} {
		for dir := wd; ; {
			candidate := filepath.Join(dir, filepath.FromSlash(rel))
			if isDir(candidate) {
				return candidate, nil
			}
			tried = append(tried, candidate)
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("replay: recorded fixtures not found; set $%s or place them at ../%s relative to the module root; looked in:\n\t%s",
		EnvFixtures, fixturesRel, strings.Join(tried, "\n\t"))
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// A Recording is one fixture file, described by its place in the tree
// <family>/[<mode>/]<provider>_<model>/<kind>.json.
type Recording struct {
	// Path is the file's absolute path.
	Path string
	// Name is the path relative to [Dir], slash-separated, e.g.
	// "test_structured_output/json/openai_gpt_4o_completions/stream.json".
	Name string
	// Family is the test family, e.g. "test_call".
	Family string
	// Mode is the structured-output mode ("json", "strict", "tool"), or ""
	// when the family has no mode level.
	Mode string
	// Provider is the first word of the provider directory: "openai",
	// "anthropic", "google", "ollama" or "openrouter".
	Provider string
	// Model is the rest of the provider directory, as the recorder spelled
	// it ("gpt_4o_completions", "claude_sonnet_4_0"). The model id sent on
	// the wire is [Interaction.Model].
	Model string
	// Kind is the file name without .json: "sync" or "stream". The
	// OpenRouter stream recordings are named sync.json although they
	// stream; [Interaction.Streamed] tells what the wire carried.
	Kind string
}

// String returns r.Name.
func (r Recording) String() string { return r.Name }

// Load reads the recording's cassette.
func (r Recording) Load() (*Cassette, error) { return Load(r.Path) }

// All lists every recording under [Dir], sorted by name.
func All() ([]Recording, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	var recs []Recording
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".json" {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rec, err := parseRecording(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		rec.Path = p
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replay: listing %s: %w", dir, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("replay: no recordings under %s", dir)
	}
	slices.SortFunc(recs, func(a, b Recording) int { return strings.Compare(a.Name, b.Name) })
	return recs, nil
}

// Glob lists the recordings whose Name matches pattern, in the syntax of
// [path.Match] ('*' does not cross '/'), e.g. "test_call/*/stream.json" or
// "test_structured_output/*/openai_*/sync.json".
//
// Matching nothing is an error: a test that meant to cover some recordings
// must not pass by covering none.
func Glob(pattern string) ([]Recording, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("replay: bad pattern %q: %w", pattern, err)
	}
	all, err := All()
	if err != nil {
		return nil, err
	}
	var recs []Recording
	for _, r := range all {
		if ok, _ := path.Match(pattern, r.Name); ok {
			recs = append(recs, r)
		}
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("replay: no recording matches %q", pattern)
	}
	return recs, nil
}

// parseRecording reads family, mode, provider, model and kind from a name
// relative to the fixtures directory.
func parseRecording(name string) (Recording, error) {
	parts := strings.Split(name, "/")
	r := Recording{Name: name}
	switch len(parts) {
	case 3:
		r.Family = parts[0]
	case 4:
		r.Family, r.Mode = parts[0], parts[1]
	default:
		return r, fmt.Errorf("replay: %s: want <family>/[<mode>/]<provider>_<model>/<kind>.json", name)
	}
	provDir := parts[len(parts)-2]
	prov, model, ok := strings.Cut(provDir, "_")
	if !ok || prov == "" || model == "" {
		return r, fmt.Errorf("replay: %s: directory %q is not <provider>_<model>", name, provDir)
	}
	r.Provider, r.Model = prov, model
	r.Kind = strings.TrimSuffix(parts[len(parts)-1], ".json")
	if r.Kind != "sync" && r.Kind != "stream" {
		return r, errors.New("replay: " + name + ": file is neither sync.json nor stream.json")
	}
	return r, nil
}
