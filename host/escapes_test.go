package host_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llmhost/llmhost/host"
	"github.com/llmhost/llmhost/internal/reliability"
)

// The sandbox record. The tests of this package that try a way out of the
// sandbox (files, environment, network, memory, time, output, stack, ...)
// note each attempt with what the host did, right after asserting it; when
// the package's tests pass and reliability.EnvFile names a file, TestMain
// writes the notes as the sandbox table of RELIABILITY.md. The table thus
// holds what was observed, and only what a test holds to.

// escapeAreas orders the table.
var escapeAreas = []string{"files", "environment", "network", "memory", "time", "output", "input", "stack", "exit", "traps", "exports", "loading", "schemas", "cache", "concurrency"}

type escape struct{ area, attempt, result, test string }

var escapes struct {
	sync.Mutex
	list []escape
}

// refused notes an escape that the host stopped, with err, the error it
// stopped it with.
func refused(t testing.TB, area, attempt string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("escape %q: no error to record", attempt)
	}
	var e *host.Error
	var result string
	if errors.As(err, &e) {
		result = fmt.Sprintf("refused: `%s`, %q", e.Reason, shorten(e.Message))
	} else {
		result = fmt.Sprintf("refused: %q", shorten(err.Error()))
	}
	note(t, area, attempt, result)
}

// outcome notes an attempt whose call succeeded, with what the guest got.
func outcome(t testing.TB, area, attempt, result string) {
	t.Helper()
	note(t, area, attempt, result)
}

func note(t testing.TB, area, attempt, result string) {
	if !slices.Contains(escapeAreas, area) {
		t.Fatalf("escape area %q is not one of %v", area, escapeAreas)
	}
	escapes.Lock()
	escapes.list = append(escapes.list, escape{area, attempt, result, t.Name()})
	escapes.Unlock()
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 110 {
		s = string(r[:110]) + "…"
	}
	return s
}

// recordEscapes writes the sandbox table, if asked to.
func recordEscapes() error {
	path, ok := reliability.Target()
	if !ok {
		return nil
	}
	escapes.Lock()
	list := slices.Clone(escapes.list)
	escapes.Unlock()
	slices.SortStableFunc(list, func(a, b escape) int {
		return slices.Index(escapeAreas, a.area) - slices.Index(escapeAreas, b.area)
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", reliability.Environment())
	fmt.Fprintf(&b, "%d escapes tried by the tests of `host/`, each asserted by the test named beside it; the result is what that run observed. "+
		"Guests: `host/testdata/guests/native` (a Go guest of llmhost/1), `host/testdata/guests/extism` (a Go guest of the Extism ABI), "+
		"Go guests written for one attack each (`host/testdata/guests/*`), and modules written in WebAssembly text (compiled by `wat2wasm` in the test, `wasmtest.WAT`) or byte by byte (`wasmtest.Module`) that misbehave with no language runtime in the way: raw WASI calls with chosen flags, tables, compile bombs. "+
		"Defaults unless the attempt says otherwise: 64 MiB of memory, 10 s per tool call, 8 MiB of input and output, 64 KiB of stderr, no files, no network, no environment.\n\n", len(list))
	b.WriteString("| area | escape tried | what the host did | test |\n|---|---|---|---|\n")
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	for _, e := range list {
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", e.area, esc.Replace(e.attempt), esc.Replace(e.result), e.test)
	}
	return reliability.WriteSection(path, reliability.SectionSandbox, b.String())
}
