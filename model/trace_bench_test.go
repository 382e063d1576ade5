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

// BenchmarkTreeQuery1M measures one tree-mode frame (45 rows) with 1M
// spans stored in traces of 8: at the top, anchored deep inside (past the
// budget for exact positions), at the bottom, and with a filter.
func BenchmarkTreeQuery1M(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(m, 1_000_000, time.Now().Add(-time.Minute))
	for _, c := range []struct {
		name string
		q    model.Query
	}{
		{"total-desc-top", model.Query{Sort: model.TaskTotal, Desc: true, Tree: true, Limit: 45}},
		{"total-desc-anchored", model.Query{Sort: model.TaskTotal, Desc: true, Tree: true, Limit: 45, Anchor: 500_000, Row: 20, Move: 1}},
		{"total-desc-bottom", model.Query{Sort: model.TaskTotal, Desc: true, Tree: true, Limit: 45, Offset: 1 << 30, Row: 44}},
		{"name-anchored-near-top", model.Query{Sort: model.TaskName, Tree: true, Limit: 45, Anchor: 777_777, Row: 10}},
		{"filter-service", model.Query{Sort: model.TaskTotal, Desc: true, Tree: true, Limit: 45, Filter: "service=svc-3"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			sinkPage = m.Tasks(c.q) // a change of sort column rebuilds the index once
			for b.Loop() {
				sinkPage = m.Tasks(c.q)
			}
		})
	}
}
