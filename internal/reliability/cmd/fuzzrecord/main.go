// Command fuzzrecord runs every fuzz target of the module, one after the
// other, for a fixed time each, and records in RELIABILITY.md how many
// inputs each tried and what it found. It is `make fuzz`:
//
//	go run ./internal/reliability/cmd/fuzzrecord -fuzztime 60s -md RELIABILITY.md
//
// Targets are found with `go test -list '^Fuzz'`, so a new one is run and
// recorded without being named here. A target that fails is a finding: the
// fuzzer has written the input to the package's testdata/fuzz/<Target>/,
// where it stays as a regression seed once the bug is fixed. The command
// runs the remaining targets, records the findings and exits with status 1.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/llmhost/llmhost/internal/reliability"
)

// about says what each target fuzzes, for the record. A target missing
// here is recorded all the same, without the description.
var about = map[string]string{
	"abi.FuzzDescribe":                        "ABI message decoding: the describe reply (`abi.Describe` unmarshal, `Validate`, `Kinds`, round trip)",
	"abi.FuzzMessages":                        "ABI message decoding: every other message (tool call, parse request and result, decide request, decision, error, MCP call and result, config)",
	"host.FuzzDescribe":                       "plugin `describe` handling in the host: decoding, validation, tool schemas compiled, then tool arguments checked against them and the call, parse and decide replies decoded",
	"host.FuzzReply":                          "a native guest's replies read out of its memory: the packed pointer/length/error flag (lies included), error replies, typed replies",
	"llm.FuzzExtractJSON":                     "JSON extraction from prose and fences (`llm.ExtractJSON`), checked against its plain definition, then schema validation and the retry message",
	"llm.FuzzValidCandidates":                 "the one-pass verdict on every bracketed candidate of an answer (`ExtractJSON` at any depth), checked against `json.Valid` on each",
	"abi/schema.FuzzDecisionAgreesWithSchema": "a decide reply: the host's decoding and validation against `abi/schema/decision.json`, which must agree on every input",
	"host/internal/wasmbin.FuzzScanCode":      "the instruction scanner that measures a module's code for `host.ModuleLimits` before wazero decodes it, on any bytes: no panic, and what it accepts has instructions and a depth",
	"providers/openai.FuzzStream":             "the SSE stream of chat completions through the OpenAI provider (go-openai, the SSE filter) and the engine",
	"providers/anthropic.FuzzStream":          "the SSE stream of the Messages API through the Anthropic provider (official SDK) and the engine",
	"providers/google.FuzzStream":             "the SSE stream of streamGenerateContent through the Google provider (genai SDK) and the engine",
}

type target struct {
	pkg  string // import path
	dir  string // relative to the module root
	name string
}

func (t target) key() string {
	return strings.TrimPrefix(t.pkg, modulePath+"/") + "." + t.name
}

const modulePath = "github.com/llmhost/llmhost"

type result struct {
	target
	seeds     int // committed corpus files
	found     []string
	execs     int64
	elapsed   time.Duration
	newInputs int
	finding   string // the failing input and why, when the target failed
}

func main() {
	fuzztime := flag.Duration("fuzztime", 60*time.Second, "how long to fuzz each target")
	minimize := flag.Duration("minimize", 10*time.Second, "the fuzzer's -fuzzminimizetime: how long it may shrink an input")
	md := flag.String("md", "RELIABILITY.md", "the markdown file whose fuzz section to write; empty for none")
	goTool := flag.String("go", "go", "the go command")
	run := flag.String("run", "", "only the targets whose package.Name matches this regexp")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("fuzzrecord: ")

	targets, err := list(*goTool)
	if err != nil {
		log.Fatal(err)
	}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			log.Fatal(err)
		}
		var keep []target
		for _, t := range targets {
			if re.MatchString(t.key()) {
				keep = append(keep, t)
			}
		}
		targets = keep
	}
	if len(targets) == 0 {
		log.Fatal("no fuzz targets")
	}

	var results []result
	failed := false
	for _, t := range targets {
		log.Printf("%s for %s", t.key(), *fuzztime)
		r := fuzz(*goTool, t, *fuzztime, *minimize)
		if r.finding != "" {
			failed = true
			log.Printf("%s: FINDING\n%s", t.key(), r.finding)
		}
		results = append(results, r)
	}
	if *md != "" {
		if err := reliability.WriteSection(*md, reliability.SectionFuzz, report(results, *fuzztime)); err != nil {
			log.Fatal(err)
		}
		log.Printf("recorded in %s", *md)
	}
	if failed {
		os.Exit(1)
	}
}

// list finds the fuzz targets of every package of the module.
func list(goTool string) ([]target, error) {
	cmd := exec.Command(goTool, "test", "-list", "^Fuzz", "./...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go test -list: %w", err)
	}
	// Each package prints its names, then a line "ok  <path> <time>".
	var names []string
	var targets []target
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 1 && strings.HasPrefix(fields[0], "Fuzz"):
			names = append(names, fields[0])
		case len(fields) >= 2 && fields[0] == "ok":
			dir := strings.TrimPrefix(strings.TrimPrefix(fields[1], modulePath), "/")
			for _, n := range names {
				targets = append(targets, target{pkg: fields[1], dir: dir, name: n})
			}
			names = nil
		}
	}
	return targets, nil
}

var (
	progress = regexp.MustCompile(`fuzz: elapsed: (\S+), execs: (\d+) \(\d+/sec\), new interesting: (\d+)`)
	// fuzzerNamed matches the names the fuzzer gives the inputs it writes
	// to testdata, which it does only for inputs that fail; seeds written
	// by hand are named for what they are.
	fuzzerNamed = regexp.MustCompile(`^[0-9a-f]{16}$`)
	written     = regexp.MustCompile(`(?:Failing input written to|failure while testing seed corpus entry:) (\S+)`)
)

// fuzz runs one target and reads its figures off the fuzzer's output,
// which it also passes through.
func fuzz(goTool string, t target, fuzztime, minimize time.Duration) result {
	r := result{target: t}
	corpus := filepath.Join(t.dir, "testdata", "fuzz", t.name)
	if entries, err := os.ReadDir(corpus); err == nil {
		for _, e := range entries {
			r.seeds++
			if fuzzerNamed.MatchString(e.Name()) {
				// Named by the fuzzer: an input that once failed.
				r.found = append(r.found, e.Name())
			}
		}
	}
	cmd := exec.Command(goTool, "test", "-run", "^$", "-fuzz", "^"+t.name+"$",
		"-fuzztime", fuzztime.String(), "-fuzzminimizetime", minimize.String(), "./"+t.dir)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = cmd.Stdout
	err := cmd.Run()

	var failure []string
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	inFailure := false
	for sc.Scan() {
		line := sc.Text()
		if m := progress.FindStringSubmatch(line); m != nil {
			r.elapsed, _ = time.ParseDuration(m[1])
			r.execs, _ = strconv.ParseInt(m[2], 10, 64)
			r.newInputs, _ = strconv.Atoi(m[3])
		}
		if strings.HasPrefix(line, "--- FAIL") {
			inFailure = true
		}
		if inFailure && len(failure) < 12 {
			failure = append(failure, strings.TrimSpace(line))
		}
		if m := written.FindStringSubmatch(line); m != nil {
			failure = append(failure, "input: "+filepath.Join(t.dir, m[1]))
		}
	}
	if err != nil {
		if len(failure) == 0 {
			failure = []string{err.Error()}
		}
		r.finding = strings.Join(failure, "\n")
	}
	return r
}

func report(results []result, fuzztime time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", reliability.Environment())
	var total int64
	findings := 0
	for _, r := range results {
		total += r.execs
		if r.finding != "" {
			findings++
		}
	}
	fmt.Fprintf(&b, "%d targets, %s each (`go test -fuzz`, %s), %s executions in all; **%d findings in this run**.\n\n",
		len(results), fuzztime, "workers = GOMAXPROCS", thousands(total), findings)
	b.WriteString("| target | what it fuzzes | committed seeds | executions | per second | new coverage | result |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		rate := "–"
		if s := r.elapsed.Seconds(); s > 0 {
			rate = thousands(int64(float64(r.execs) / s))
		}
		res := "no failure"
		if r.finding != "" {
			res = "**FAILED**: " + strings.NewReplacer("\n", " ", "|", `\|`).Replace(firstLines(r.finding, 3))
		}
		if len(r.found) > 0 {
			res += fmt.Sprintf("; earlier crasher kept as a seed: `%s`", strings.Join(r.found, "`, `"))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d | %s | %s | %d | %s |\n",
			r.key(), about[r.key()], r.seeds, thousands(r.execs), rate, r.newInputs, res)
	}
	b.WriteString("\nCommitted seeds are the files under each package's `testdata/fuzz/<target>/` (`recorded-*`: bodies and answers recorded from the real APIs; `plugin-*`: messages of the bundled plugins; 16 hex digits: an input the fuzzer once failed on), on top of the `f.Add` seeds in the code. `go test` runs all of them as ordinary tests. New coverage counts the inputs the fuzzer kept for widening coverage in this run (in the Go build cache, not committed).\n")
	return b.String()
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func thousands[N int | int64](n N) string {
	s := strconv.FormatInt(int64(n), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
