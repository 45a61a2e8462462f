package reliability_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/reliability"
	"github.com/llmhost/llmhost/internal/wasmtest"
)

func TestMain(m *testing.M) { os.Exit(wasmtest.Main(m)) }

// record writes a section of the reliability record when the run was asked
// to (see reliability.EnvFile); an ordinary test run only asserts.
func record(t *testing.T, section, body string) {
	t.Helper()
	path, ok := reliability.Target()
	if !ok {
		return
	}
	if t.Failed() {
		t.Logf("not recording %s: the test failed", section)
		return
	}
	if err := reliability.WriteSection(path, section, body); err != nil {
		t.Fatalf("recording %s: %v", section, err)
	}
	t.Logf("recorded %s in %s", section, path)
}

// envInt and envDuration read the size of a run from the environment, so
// that `make soak` runs the long version of a test that `make test` runs
// short.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration", name, s)
	}
	return d
}
