package model_test

import (
	"testing"
	"time"

	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/model/modeltest"
)

var sinkTrace model.TraceView

// BenchmarkTraceQuery10k measures one frame's waterfall query (45 rows)
// on a trace of 10,000 spans: arranging the tree, the critical path and
// copying out the window, at the top and anchored deep inside.
func BenchmarkTraceQuery10k(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 1 << 30, Retain: time.Hour})
	tid := modeltest.BigTrace(m, 10_000, time.Now().Add(-time.Minute))
	if v := m.Trace(model.TraceQuery{TraceID: tid, Limit: 45}); v.Spans != 10_000 {
		b.Fatalf("stored %d spans", v.Spans)
	}
	for _, c := range []struct {
		name string
		q    model.TraceQuery
	}{
		{"top", model.TraceQuery{TraceID: tid, Limit: 45}},
		{"anchored", model.TraceQuery{TraceID: tid, Limit: 45, Anchor: 7_777, Row: 20, Move: 1}},
		{"collapsed", model.TraceQuery{TraceID: tid, Limit: 45, Collapsed: []uint64{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkTrace = m.Trace(c.q)
			}
		})
	}
}
