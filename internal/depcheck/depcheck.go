// Package depcheck lets a package's tests enforce the import rules of
// DESIGN.md §1 with `go list`, so that a forbidden import fails `make test`
// rather than waiting for a review.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Rule says what a package may depend on, directly or not. Paths are
// import path prefixes matched at a path boundary ("google.golang.org/grpc"
// matches google.golang.org/grpc/codes, not google.golang.org/grpcx).
type Rule struct {
	// Only, when not empty, is every non-standard path allowed; anything
	// else is an error.
	Only []string
	// Forbid are paths that must not appear among the dependencies.
	Forbid []string
}

// Check lists the non-standard packages pkg depends on (not its tests)
// and reports each that breaks rule, with why as the rule's reason.
func Check(t testing.TB, pkg string, rule Rule, why string) {
	t.Helper()
	deps := list(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
	if len(deps) == 0 {
		t.Fatalf("go list %s printed no packages", pkg)
	}
	for _, d := range deps {
		if len(rule.Only) > 0 && !matchAny(d, rule.Only) {
			t.Errorf("%s depends on %s, which is not among %v: %s", pkg, d, rule.Only, why)
		}
		if matchAny(d, rule.Forbid) {
			t.Errorf("%s depends on %s (forbidden): %s", pkg, d, why)
		}
	}
}

// DirectImporters returns the packages matching pattern (not their tests)
// that import a path under prefix themselves.
func DirectImporters(t testing.TB, pattern, prefix string) []string {
	t.Helper()
	var out []string
	for _, line := range list(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", pattern) {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if under(imp, prefix) {
				out = append(out, f[0])
				break
			}
		}
	}
	return out
}

func list(t testing.TB, args ...string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goBin, append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func matchAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if under(path, p) {
			return true
		}
	}
	return false
}

// under reports whether path is prefix or a package below it.
func under(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}
