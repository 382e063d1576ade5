package depcheck

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps the errors instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}

func (r *recorder) Helper() {}

// The checks must be able to fail: the ingest package imports grpc, so a
// rule forbidding grpc, or allowing only the model, reports it.
func TestCheckCatchesAForbiddenImport(t *testing.T) {
	r := &recorder{TB: t}
	Check(r, "github.com/spantop/spantop/ingest", Rule{Forbid: []string{"google.golang.org/grpc"}}, "test")
	if len(r.errs) == 0 {
		t.Error("a forbidden dependency of ingest (grpc) was not reported")
	}
	r = &recorder{TB: t}
	Check(r, "github.com/spantop/spantop/ingest", Rule{Only: []string{"github.com/spantop/spantop/model"}}, "test")
	if len(r.errs) == 0 {
		t.Error("a dependency outside Only was not reported")
	}
	r = &recorder{TB: t}
	Check(r, "github.com/spantop/spantop/model", Rule{Only: []string{"github.com/spantop/spantop/model"}}, "test")
	if len(r.errs) != 0 {
		t.Errorf("model reported against its own Only rule: %v", r.errs)
	}
}

func TestDirectImporters(t *testing.T) {
	got := DirectImporters(t, "github.com/spantop/spantop/...", "github.com/spantop/spantop/model")
	if !strings.Contains(strings.Join(got, " "), "github.com/spantop/spantop/ui") {
		t.Errorf("ui imports model, but DirectImporters gave %v", got)
	}
}

func TestUnder(t *testing.T) {
	for _, c := range []struct {
		path, prefix string
		want         bool
	}{
		{"google.golang.org/grpc", "google.golang.org/grpc", true},
		{"google.golang.org/grpc/codes", "google.golang.org/grpc", true},
		{"google.golang.org/grpcx", "google.golang.org/grpc", false},
		{"charm.land/bubbletea/v2", "charm.land/", true},
	} {
		if got := under(c.path, c.prefix); got != c.want {
			t.Errorf("under(%q, %q) = %v", c.path, c.prefix, got)
		}
	}
}
