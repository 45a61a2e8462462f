// Command report runs llmhost's benchmarks and writes BENCHMARKS.md: it is
// what `make bench` runs. From the bench module's directory:
//
//	go run ./cmd/report [-count 5] [-benchtime 1s] [-out ../BENCHMARKS.md]
//
// It runs, each as its own process:
//
//  1. the benchmarks of package bench (go test -bench), -count times;
//  2. the host's internal BenchmarkPoolAcquire (go test -bench ./host/ in
//     the root module), which times the pool alone;
//  3. cmd/memory, the memory samples;
//
// saves their raw output in -dir, and renders BENCHMARKS.md from it: every
// figure the median of the repetitions, every comparison a ratio of
// figures from this run. -render-only renders again from saved output.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/llmhost/llmhost/bench/internal/guests"
	"github.com/llmhost/llmhost/bench/internal/smallwasm"
)

// Meta is what a run records about itself, for the report's header.
type Meta struct {
	Machine   Machine       `json:"machine"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"duration"`
	Count     int           `json:"count"`
	Benchtime string        `json:"benchtime"`
	Bench     string        `json:"bench"`
	Versions  []string      `json:"versions"` // "module version" of what is measured and compared
	// GuestSizes are the cold-start guests' sizes in bytes, by name.
	GuestSizes map[string]int `json:"guest_sizes"`
	Notes      []string       `json:"notes"` // steps that failed, said in the report
	// LoadBefore and LoadAfter are the 1-minute load average when the run
	// started and ended: a busy machine explains odd figures.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

func main() {
	count := flag.Int("count", 5, "repetitions of every benchmark; each figure is their median")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime for each repetition")
	bench := flag.String("bench", ".", "go test -bench: which benchmarks of package bench to run")
	out := flag.String("out", "", "the report to write (default: BENCHMARKS.md at the repository root)")
	dir := flag.String("dir", "", "where raw output is saved (default: build/bench at the repository root)")
	renderOnly := flag.Bool("render-only", false, "render the report from the output saved in -dir, running nothing")
	flag.StringVar(&goCmd, "go", "go", "the go command that builds and runs the benchmarks")
	flag.Parse()
	if err := run(*count, *benchtime, *bench, *out, *dir, *renderOnly); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(count int, benchtime, bench, out, dir string, renderOnly bool) error {
	root, err := guests.Root()
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(root, "BENCHMARKS.md")
	}
	if dir == "" {
		dir = filepath.Join(root, "build", "bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := struct{ meta, bench, host, memory string }{
		filepath.Join(dir, "meta.json"), filepath.Join(dir, "bench.txt"),
		filepath.Join(dir, "host.txt"), filepath.Join(dir, "memory.json"),
	}
	if !renderOnly {
		meta := Meta{Started: time.Now().UTC(), Count: count, Benchtime: benchtime, Bench: bench, LoadBefore: loadAverage()}
		if meta.Machine, err = describeMachine(); err != nil {
			return err
		}
		meta.Versions = versions(filepath.Join(root, "bench"))
		meta.GuestSizes = map[string]int{"small": len(smallwasm.Module())}
		if w, err := guests.Read("calculator"); err == nil {
			meta.GuestSizes["go"] = len(w)
		}
		benchDir := filepath.Join(root, "bench")

		step("benchmarks of package bench")
		if err := runTo(files.bench, benchDir, goCmd, "test", "-run", "^$", "-bench", bench,
			"-count", fmt.Sprint(count), "-benchtime", benchtime, "-timeout", "2h", "."); err != nil {
			return fmt.Errorf("go test -bench: %w", err)
		}
		step("the host's pool benchmark")
		if err := runTo(files.host, root, goCmd, "test", "-run", "^$", "-bench", "^BenchmarkPoolAcquire$",
			"-count", fmt.Sprint(count), "-benchtime", benchtime, "./host/"); err != nil {
			// Only one line of the report depends on it: say so there.
			meta.Notes = append(meta.Notes, fmt.Sprintf("The host's BenchmarkPoolAcquire did not run (%v).", err))
		}
		step("memory samples")
		if err := runTo(files.memory, benchDir, goCmd, "run", "./cmd/memory"); err != nil {
			return fmt.Errorf("cmd/memory: %w", err)
		}
		meta.Duration = time.Since(meta.Started).Round(time.Second)
		meta.LoadAfter = loadAverage()
		b, _ := json.MarshalIndent(meta, "", "  ")
		if err := os.WriteFile(files.meta, b, 0o644); err != nil {
			return err
		}
	}

	var meta Meta
	if err := readJSON(files.meta, &meta); err != nil {
		return err
	}
	results := Results{}
	for _, f := range []string{files.bench, files.host} {
		fh, err := os.Open(f)
		if err != nil {
			if f == files.host {
				continue // noted in meta
			}
			return err
		}
		err = results.ParseBench(fh)
		fh.Close()
		if err != nil {
			return err
		}
	}
	var mem MemoryResult
	if err := readJSON(files.memory, &mem); err != nil {
		return err
	}
	var buf bytes.Buffer
	render(&buf, meta, results, mem)
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	step("wrote " + out)
	return nil
}

// goCmd is the go command every step runs.
var goCmd = "go"

func step(what string) { fmt.Fprintf(os.Stderr, "==> %s\n", what) }

// runTo runs a command in dir, showing its output as it comes and saving
// its standard output to file.
func runTo(file, dir, name string, args ...string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(f, os.Stderr)
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// versions lists the modules whose versions the figures depend on, as the
// bench module resolves them.
func versions(benchDir string) []string {
	cmd := exec.Command(goCmd, "list", "-m", "-f", "{{.Path}} {{.Version}}",
		"github.com/tetratelabs/wazero", "github.com/extism/go-sdk",
		"github.com/sashabaranov/go-openai", "github.com/tmc/langchaingo")
	cmd.Dir = benchDir
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	return splitLines(string(out))
}

func splitLines(s string) []string {
	var out []string
	for _, l := range bytes.Split([]byte(s), []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 {
			out = append(out, string(t))
		}
	}
	return out
}
