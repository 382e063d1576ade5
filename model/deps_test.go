package model

import (
	"testing"

	"github.com/spantop/spantop/internal/depcheck"
)

// The model is plain Go (DESIGN.md §1): no gRPC, protobuf, OTLP types or
// bubbletea, nothing outside the standard library but its own packages, so
// that it is testable with an injected clock and free of the wire.
func TestDependencies(t *testing.T) {
	depcheck.Check(t, "github.com/spantop/spantop/model", depcheck.Rule{
		Only: []string{"github.com/spantop/spantop/model"},
	}, "the model imports only the standard library (DESIGN.md §1)")
}
