package host

import (
	"fmt"
	"strings"

	"github.com/gobwas/glob"
)

// checkHostPatterns validates the patterns of WithAllowedHosts at Load, so
// that a bad one is a clear load error rather than a trap at the guest's
// first request.
func checkHostPatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := compileHostPattern(p); err != nil {
			return err
		}
	}
	return nil
}

// compileHostPattern compiles one allowed host: a host name ("api.example.com",
// "127.0.0.1", "::1") or a glob of one ("*.example.com", "api-?.example.com",
// "{a,b}.example.com"), matched against the host name of each request and
// redirect, as the Extism manifest's allowed_hosts are. What could never
// match a host name is refused, since a grant that grants nothing is a
// mistake: an empty pattern, a URL (scheme or path) and a port.
func compileHostPattern(p string) (glob.Glob, error) {
	bad := func(why string) error {
		return fmt.Errorf("allowed host %q: %s (WithAllowedHosts and --allow-host take a host name or a glob of one, such as api.example.com or *.example.com)", p, why)
	}
	switch {
	case strings.TrimSpace(p) == "":
		return nil, bad("the pattern is empty")
	case strings.Contains(p, "://") || strings.Contains(p, "/"):
		return nil, bad("a URL is not a host: give the host name alone, without scheme or path")
	case strings.Count(p, ":") == 1:
		return nil, bad("ports are not part of a grant: give the host name alone")
	case strings.ContainsAny(p, " \t\r\n"):
		return nil, bad("a host name has no spaces")
	}
	g, err := glob.Compile(strings.ToLower(p))
	if err != nil {
		return nil, bad(fmt.Sprintf("not a valid glob: %v", err))
	}
	return g, nil
}
