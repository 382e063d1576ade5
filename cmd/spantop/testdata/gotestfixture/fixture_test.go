// Package gotestfixture is the test run `spantop test`'s end-to-end test
// shows: a passing test whose code makes a span of its own (through
// spantoptest), a failing one, a skipped one, subtests and a slow test.
// It fails on purpose, so it lives under testdata, out of ./... .
package gotestfixture

import (
	"os"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/spantop/spantop/agentlib/spantoptest"
)

func TestMain(m *testing.M) {
	if os.Getenv("SPANTOP_FIXTURE") == "" {
		os.Exit(0) // only spantop test's end-to-end test runs it
	}
	os.Exit(m.Run())
}

func TestPasses(t *testing.T) {
	ctx := spantoptest.Start(t)
	_, s := otel.Tracer("fixture").Start(ctx, "fixture work")
	time.Sleep(20 * time.Millisecond)
	s.End()
}

func TestFails(t *testing.T) {
	spantoptest.Start(t)
	t.Errorf("the answer was %d, want 42", 41)
}

func TestSkipped(t *testing.T) {
	t.Skip("not on this machine")
}

func TestTable(t *testing.T) {
	for _, name := range []string{"small", "large case"} {
		t.Run(name, func(t *testing.T) {
			ctx := spantoptest.Start(t)
			_, s := otel.Tracer("fixture").Start(ctx, "table work "+name)
			s.End()
		})
	}
}

func TestSlow(t *testing.T) {
	time.Sleep(time.Duration(1200) * time.Millisecond)
}
