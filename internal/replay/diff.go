package replay

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// A DiffOption adjusts how [DiffRequest] and [DiffJSON] compare bodies.
type DiffOption func(*diffConfig)

type diffConfig struct {
	fields, ignore    [][]string
	ignoreEmpty       bool
	decodeJSONStrings bool
	collapseText      bool
	cmpOpts           []cmp.Option
}

// Fields limits the body comparison to the given paths. A path is a dotted
// list of object keys and array indexes, where "*" matches any key or
// index: "model", "messages", "generationConfig.temperature",
// "messages.*.content".
func Fields(paths ...string) DiffOption {
	return func(c *diffConfig) { c.fields = append(c.fields, splitPaths(paths)...) }
}

// Ignore leaves the given paths (as in [Fields]) out of the comparison, e.g.
// "messages.*.annotations" or "tools.*.function.strict".
func Ignore(paths ...string) DiffOption {
	return func(c *diffConfig) { c.ignore = append(c.ignore, splitPaths(paths)...) }
}

// IgnoreEmpty treats object members holding "", false, [] or {} as absent,
// as clients that omit zero values do. Numbers are kept: a temperature of 0
// is a setting, not an absence.
func IgnoreEmpty() DiffOption { return func(c *diffConfig) { c.ignoreEmpty = true } }

// DecodeJSONStrings compares strings that hold a JSON object or array (tool
// call arguments, structured answers) by their decoded value, so spacing
// and key order inside them do not count.
func DecodeJSONStrings() DiffOption { return func(c *diffConfig) { c.decodeJSONStrings = true } }

// CollapseTextBlocks treats a content array of one text block,
// [{"type":"text","text":S}], as the plain string S: OpenAI and Anthropic
// accept both forms, and SDKs differ in which they send.
func CollapseTextBlocks() DiffOption { return func(c *diffConfig) { c.collapseText = true } }

// CmpOptions passes options through to [cmp.Diff], for comparisons the
// options above cannot express.
func CmpOptions(opts ...cmp.Option) DiffOption {
	return func(c *diffConfig) { c.cmpOpts = append(c.cmpOpts, opts...) }
}

// wireRequest is what DiffRequest compares; its field names head the diff.
type wireRequest struct {
	Method string
	Path   string
	Query  url.Values
	Body   any
}

// DiffRequest compares the request a client sent with the recorded one and
// returns a readable [cmp.Diff] (-recorded +sent), or "" when they agree.
//
// Method and path are always compared, and the query when one was recorded.
// Bodies are compared as JSON values after normalisation: object members
// holding null count as absent (every provider treats them so), then the
// options apply. Without [Fields] the whole body is compared.
func DiffRequest(want Request, got Received, opts ...DiffOption) string {
	cfg := newDiffConfig(opts)
	u := want.URL()
	w := wireRequest{Method: want.Method, Path: u.Path, Body: cfg.normalize(toAny(want.Body))}
	g := wireRequest{Method: got.Method, Path: got.Path}
	if got.Body != nil || len(got.RawBody) == 0 {
		g.Body = cfg.normalize(toAny(got.Body))
	} else {
		// Not a JSON object: show what was sent rather than nothing.
		g.Body = "non-JSON body: " + string(got.RawBody)
	}
	if u.RawQuery != "" {
		w.Query, g.Query = u.Query(), got.Query
	}
	return cmp.Diff(w, g, cfg.cmpOpts...)
}

// DiffJSON compares two JSON values (as decoded by encoding/json into any)
// with the normalisation of [DiffRequest] and returns a [cmp.Diff]
// (-want +got), or "" when they agree.
func DiffJSON(want, got any, opts ...DiffOption) string {
	cfg := newDiffConfig(opts)
	return cmp.Diff(cfg.normalize(want), cfg.normalize(got), cfg.cmpOpts...)
}

func newDiffConfig(opts []DiffOption) *diffConfig {
	cfg := &diffConfig{}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// toAny keeps a nil map a nil interface, so an absent body and {} differ.
func toAny(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func splitPaths(paths []string) [][]string {
	out := make([][]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, strings.Split(p, "."))
	}
	return out
}

// normalize returns a normalised copy of v; v itself is never modified,
// since recorded bodies are shared with the cassette.
func (c *diffConfig) normalize(v any) any {
	if c.decodeJSONStrings {
		v = decodeJSONStrings(v)
	}
	v = dropNulls(v)
	if len(c.ignore) > 0 {
		v = dropPaths(v, c.ignore)
	}
	if c.collapseText {
		v = collapseTextBlocks(v)
	}
	if len(c.fields) > 0 {
		v = keepPaths(v, c.fields)
	}
	if c.ignoreEmpty {
		v = dropEmpty(v)
	}
	return v
}

// mapChildren copies v, replacing each child by f(key, child); f returns
// ok=false to leave the child out (object members and array elements alike).
func mapChildren(v any, f func(key string, child any) (any, bool)) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, child := range x {
			if nv, ok := f(k, child); ok {
				out[k] = nv
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for i, child := range x {
			if nv, ok := f(strconv.Itoa(i), child); ok {
				out = append(out, nv)
			}
		}
		return out
	}
	return v
}

func decodeJSONStrings(v any) any {
	if s, ok := v.(string); ok {
		t := strings.TrimSpace(s)
		if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			var decoded any
			if json.Unmarshal([]byte(t), &decoded) == nil {
				return decodeJSONStrings(decoded)
			}
		}
		return s
	}
	return mapChildren(v, func(_ string, child any) (any, bool) { return decodeJSONStrings(child), true })
}

func dropNulls(v any) any {
	_, isObject := v.(map[string]any)
	return mapChildren(v, func(_ string, child any) (any, bool) {
		// Only object members go: a null inside an array holds a place.
		if child == nil && isObject {
			return nil, false
		}
		return dropNulls(child), true
	})
}

func dropEmpty(v any) any {
	_, isObject := v.(map[string]any)
	return mapChildren(v, func(_ string, child any) (any, bool) {
		child = dropEmpty(child)
		return child, !isObject || !isEmpty(child)
	})
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// matchPaths returns, for the child named key, the remaining paths to
// follow below it, and whether some path ends exactly at it.
func matchPaths(paths [][]string, key string) (rest [][]string, whole bool) {
	for _, p := range paths {
		if p[0] != "*" && p[0] != key {
			continue
		}
		if len(p) == 1 {
			whole = true
		} else {
			rest = append(rest, p[1:])
		}
	}
	return rest, whole
}

func dropPaths(v any, paths [][]string) any {
	return mapChildren(v, func(key string, child any) (any, bool) {
		rest, whole := matchPaths(paths, key)
		switch {
		case whole:
			return nil, false
		case len(rest) > 0:
			return dropPaths(child, rest), true
		}
		return child, true
	})
}

func keepPaths(v any, paths [][]string) any {
	switch v.(type) {
	case map[string]any, []any:
	default:
		// A path reaching below a scalar keeps the scalar: comparing more
		// is safer than comparing nothing.
		return v
	}
	return mapChildren(v, func(key string, child any) (any, bool) {
		rest, whole := matchPaths(paths, key)
		switch {
		case whole:
			return child, true
		case len(rest) > 0:
			return keepPaths(child, rest), true
		}
		return nil, false
	})
}

func collapseTextBlocks(v any) any {
	if blocks, ok := v.([]any); ok && len(blocks) == 1 {
		if b, ok := blocks[0].(map[string]any); ok && len(b) == 2 && b["type"] == "text" {
			if text, ok := b["text"].(string); ok {
				return text
			}
		}
	}
	return mapChildren(v, func(_ string, child any) (any, bool) { return collapseTextBlocks(child), true })
}
