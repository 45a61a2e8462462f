// Package reliability keeps RELIABILITY.md, the record of how llmhost
// behaves under faults: the soak of the plugin host, the fault matrix of
// the engine, the sandbox escapes tried and the fuzzing. Each part is
// written by the run that measured it (`make soak`, `make fuzz`) into a
// section of its own, so that one run never erases another's figures.
//
// The measuring is done by tests: this package's TestSoak and
// TestFaultMatrix, the host package's sandbox tests, and the fuzz targets
// that cmd/fuzzrecord runs. A test writes its section only when the
// environment variable EnvFile names the file; under `go test ./...` it
// just asserts.
package reliability

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// EnvFile is the environment variable naming the markdown file that tests
// write their sections into. Unset, they write nothing.
const EnvFile = "LLMHOST_RELIABILITY_MD"

// The sections of the record, in the order of the document.
const (
	SectionSoak    = "soak"
	SectionFaults  = "faults"
	SectionSandbox = "sandbox"
	SectionFuzz    = "fuzz"
)

// Target returns the file named by EnvFile, if any.
func Target() (string, bool) {
	p := os.Getenv(EnvFile)
	return p, p != ""
}

func begin(name string) string { return "<!-- begin " + name + " -->" }
func end(name string) string   { return "<!-- end " + name + " -->" }

// skeleton is the document before any run has filled it in: the prose that
// does not depend on measurements, and an empty slot per section.
const skeleton = `# Reliability record

What llmhost does when things go wrong, measured rather than claimed. Every
figure below was written by the command that measured it, on the machine
named beside it; rerun the commands to check them.

| section | command | what it runs |
|---|---|---|
| Soak | ` + "`make soak`" + ` | ` + "`TestSoak`" + ` (internal/reliability) with ` + "`SOAK_CALLS`" + ` calls |
| Fault matrix | ` + "`make soak`" + ` | ` + "`TestFaultMatrix`" + ` (internal/reliability) |
| Sandbox | ` + "`make soak`" + ` | the sandbox tests of host/ |
| Fuzzing | ` + "`make fuzz`" + ` | every ` + "`Fuzz*`" + ` target for ` + "`FUZZTIME`" + ` each |

Short versions run in ` + "`make test`" + `: a 500-call soak, the whole fault
matrix, the sandbox tests and every fuzz target's seed corpus.

## Soak

` + "<!-- begin soak -->\n_Not yet run: `make soak`._\n<!-- end soak -->" + `

## Fault matrix

` + "<!-- begin faults -->\n_Not yet run: `make soak`._\n<!-- end faults -->" + `

## Sandbox

` + "<!-- begin sandbox -->\n_Not yet run: `make soak`._\n<!-- end sandbox -->" + `

## Fuzzing

` + "<!-- begin fuzz -->\n_Not yet run: `make fuzz`._\n<!-- end fuzz -->" + `

## Findings

Bugs these runs found, each fixed with a test that fails without the fix:

1. **Sandbox escape through symbolic links (host).** wazero's directory
   mount, which the host used for granted directories (and the Extism SDK
   for its allowed paths), follows links wherever they point. A guest with
   a read-only grant read any file a link in the directory led to, and a
   guest with a writable grant could make the link itself
   (` + "`x -> ../../..`" + `) and then read or write anything the host user can.
   Granted directories are now confined to themselves through an os.Root
   (` + "`host/mount.go`" + `), for native and Extism guests alike; links that stay
   inside still work. Test: ` + "`TestGrantedDirectoryKeepsTheGuestInside`" + `.
2. **A malformed Gemini response crashed the program (providers/google).**
   The genai SDK converts responses with unchecked type assertions, so a
   body or stream event such as ` + "`{\"candidates\":{}}`" + ` made it panic, and
   the panic reached the caller of ` + "`llm.Call`" + ` or the stream's reader.
   Found by ` + "`FuzzStream`" + ` (its crasher stays in the seed corpus); the
   provider now turns such a panic into a ` + "`response_validation`" + ` error.
   Test: ` + "`TestUnexpectedShape`" + `.
3. **JSON extraction was quadratic (llm).** ` + "`llm.ExtractJSON`" + ` scanned
   afresh from every bracket of an answer: 64 KiB of "{" took 8.7 s and
   256 KiB two minutes, on every structured call. Brackets are now scanned
   one by one only while that stays cheap, then all at once in linear time
   (1 MiB: about 10 ms). Tests: ` + "`TestExtractJSONManyBrackets`" + `, and
   ` + "`FuzzExtractJSON`" + ` checks the result against the plain definition.

Not fixed: ` + "`llm.ExtractJSON`" + ` still checks each balanced candidate with
` + "`json.Valid`" + `, so deeply nested brackets with an error in the middle (32,768
"[", then "1 2", then 32,768 "]": 64 KiB) still cost about 10 s, each nested
candidate being read up to encoding/json's depth limit of 10,000. Linear
time there would need a validator that reuses the verdicts of the inner
groups. The bundled jsonextract parser plugin decodes from every bracket
too, but it runs in the sandbox, where the 1 s parser timeout stops it.
`

// WriteSection replaces the body of section name in the markdown file at
// path, creating the file from the skeleton if it does not exist. Text
// outside the section is kept as it is. A file that lost the section's
// markers gets the section appended.
func WriteSection(path, name, body string) error {
	doc, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		doc, err = []byte(skeleton), nil
	}
	if err != nil {
		return err
	}
	b, e := begin(name), end(name)
	body = strings.TrimRight(body, "\n") + "\n"
	i := bytes.Index(doc, []byte(b))
	j := bytes.Index(doc, []byte(e))
	var out []byte
	if i < 0 || j < i {
		out = append(bytes.TrimRight(doc, "\n"), fmt.Sprintf("\n\n%s\n%s%s\n", b, body, e)...)
	} else {
		out = append(out, doc[:i+len(b)]...)
		out = append(out, '\n')
		out = append(out, body...)
		out = append(out, doc[j:]...)
	}
	// Write beside and rename, so that an interrupted run never leaves a
	// half-written record.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".reliability-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Environment describes where and when a measurement was made, as one
// markdown line: date, Go version, OS and architecture, CPU, cores, memory.
func Environment() string {
	parts := []string{
		time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		runtime.Version(),
		runtime.GOOS + "/" + runtime.GOARCH,
	}
	if cpu := procField("/proc/cpuinfo", "model name"); cpu != "" {
		parts = append(parts, cpu)
	}
	parts = append(parts, fmt.Sprintf("%d cores (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0)))
	if mem := procField("/proc/meminfo", "MemTotal"); mem != "" {
		var kb int64
		if _, err := fmt.Sscanf(mem, "%d kB", &kb); err == nil {
			parts = append(parts, fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20)))
		}
	}
	return "Measured " + strings.Join(parts, ", ") + "."
}

// procField returns the value of the first "key: value" line of a /proc
// file, or "" where there is none (other systems than Linux).
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
