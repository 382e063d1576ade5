package ui

import (
	"testing"

	"github.com/spantop/spantop/internal/depcheck"
)

// The UI reads the model only through its query API (DESIGN.md §1): it
// imports no other part of spantop, nothing of the wire (gRPC, protobuf,
// OTLP, the OTel SDK), and not the model's test helpers.
func TestDependencies(t *testing.T) {
	depcheck.Check(t, "github.com/spantop/spantop/ui", depcheck.Rule{
		Forbid: []string{
			"github.com/spantop/spantop/ingest",
			"github.com/spantop/spantop/gotrace",
			"github.com/spantop/spantop/cmd",
			"github.com/spantop/spantop/demo",
			"github.com/spantop/spantop/agentlib",
			"github.com/spantop/spantop/model/modeltest",
			"google.golang.org/grpc",
			"google.golang.org/protobuf",
			"go.opentelemetry.io",
		},
	}, "the UI reads the model through its query API only (DESIGN.md §1)")
	for _, p := range depcheck.DirectImporters(t, "github.com/spantop/spantop/...", "charm.land/bubbletea") {
		if p != "github.com/spantop/spantop/ui" && p != "github.com/spantop/spantop/cmd/spantop" {
			t.Errorf("%s imports bubbletea: the terminal belongs to ui (DESIGN.md §1)", p)
		}
	}
}
