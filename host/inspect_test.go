package host_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmhost/llmhost/host"
)

func TestInfo(t *testing.T) {
	p := load(t, nativeGuest(t))
	b, err := json.Marshal(p.Info())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Name    string   `json:"name"`
		Version string   `json:"version"`
		ABI     string   `json:"abi"`
		SHA256  string   `json:"sha256"`
		Kinds   []string `json:"kinds"`
		Tools   []struct {
			Name       string          `json:"name"`
			Parameters json.RawMessage `json:"parameters"`
		} `json:"tools"`
		Parsers []struct{ Name string } `json:"parsers"`
		Retry   bool                    `json:"retry"`
		Exports []host.Function         `json:"exports"`
		Imports []host.Function         `json:"imports"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != "native" || got.Version != "0.1.0" || got.ABI != "llmhost/1" || len(got.SHA256) != 64 || !got.Retry {
		t.Errorf("info %s", b)
	}
	if !cmp.Equal(got.Kinds, []string{"tool", "parser", "retry"}) {
		t.Errorf("kinds %v", got.Kinds)
	}
	if len(got.Tools) < 10 || got.Tools[0].Name != "tag" || len(got.Tools[0].Parameters) == 0 {
		t.Errorf("tools %s", b)
	}
	exports := map[string]string{}
	for _, e := range got.Exports {
		exports[e.Name] = e.Kind
	}
	for _, name := range []string{"memory", "llmhost_abi_v1", "llmhost_alloc", "describe", "call", "parse", "decide", "echo", "_initialize"} {
		if exports[name] == "" {
			t.Errorf("exports lack %s: %v", name, exports)
		}
	}
	if exports["memory"] != "memory" || exports["call"] != "function" {
		t.Errorf("export kinds %v", exports)
	}
	wasi := false
	for _, i := range got.Imports {
		wasi = wasi || i.Module == "wasi_snapshot_preview1"
	}
	if !wasi {
		t.Errorf("imports %v lack WASI", got.Imports)
	}
}

func TestSHA256Pinning(t *testing.T) {
	path := nativeGuest(t)
	digest := load(t, path).Info().SHA256
	load(t, path, host.WithSHA256(digest))
	load(t, path, host.WithSHA256("sha256:"+digest))
}

func TestCompilationCacheOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wasm, err := os.ReadFile(sdkPlugin(t, "count_vowels.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := host.LoadBytes(ctx, wasm, host.WithCacheDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	p.Close(ctx)
	var files int
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Error("nothing was cached on disk")
	}
	// Without a cache, nothing is written, and the plugin still works.
	p, err = host.LoadBytes(ctx, wasm, host.WithoutCache())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if out, err := p.Call(ctx, "count_vowels", []byte("aei")); err != nil || len(out) == 0 {
		t.Errorf("count_vowels = %s, %v", out, err)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg")
	t.Setenv("HOME", "/tmp/home")
	d, err := host.DefaultCacheDir()
	if err != nil || filepath.Base(d) != "wazero" || filepath.Base(filepath.Dir(d)) != "llmhost" {
		t.Errorf("DefaultCacheDir = %s, %v", d, err)
	}
}

func TestInspect(t *testing.T) {
	info, err := host.Inspect(context.Background(), sdkPlugin(t, "count_vowels.wasm"), host.WithCacheDir(cacheDir(t)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(info)
	want := `"abi":"extism"`
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), `"kinds":[]`) || !strings.Contains(string(b), `"name":"count_vowels"`) {
		t.Errorf("info %s", b)
	}
}
