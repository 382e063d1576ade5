package ingest

import (
	"strings"
	"testing"

	"github.com/spantop/spantop/internal/depcheck"
)

// ingest is the only package that knows the OTLP wire types (DESIGN.md
// §1): it converts them to model types once. It must not reach the UI or
// the other parts of spantop, and no other package of spantop may import
// the OTLP protobuf types itself (applications like the demo use them
// only through the OTel SDK's exporters; agentlib, a module of its own, is
// an application's side).
func TestDependencies(t *testing.T) {
	depcheck.Check(t, "github.com/spantop/spantop/ingest", depcheck.Rule{
		Forbid: []string{
			"github.com/spantop/spantop/ui",
			"github.com/spantop/spantop/gotrace",
			"github.com/spantop/spantop/cmd",
			"github.com/spantop/spantop/demo",
			"github.com/spantop/spantop/agentlib",
			"charm.land",
			"github.com/charmbracelet",
			"go.opentelemetry.io/otel", // the SDK: ingest reads the wire, it does not trace
		},
	}, "ingest turns OTLP into model records and nothing else (DESIGN.md §1)")

	for _, p := range depcheck.DirectImporters(t, "github.com/spantop/spantop/...", "go.opentelemetry.io/proto/otlp") {
		// ingest's own subpackages (record, forward, replay) read and write
		// the wire; agentlib is the applications' side, a module of its
		// own, and the load generators under scripts/ are clients: they
		// speak OTLP to spantop.
		mod := "github.com/spantop/spantop/"
		if p != mod+"ingest" && !strings.HasPrefix(p, mod+"ingest/") && !strings.HasPrefix(p, mod+"agentlib") && !strings.HasPrefix(p, mod+"scripts/") {
			t.Errorf("%s imports the OTLP wire types: only ingest may (DESIGN.md §1)", p)
		}
	}
}
