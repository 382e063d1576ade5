package model_test

import (
	"testing"
	"time"

	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/model/modeltest"
)

var sinkTraces model.Page[model.TraceListRow]

// BenchmarkTracesQuery100k measures one frame's query (200×50: 45 rows) of
// the traces table with 100,000 traces stored (800,000 spans, 8 a trace),
// beside the spans table's query on the same store and on a store of
// 100,000 spans, in the same run.
func BenchmarkTracesQuery100k(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(m, 800_000, time.Now().Add(-time.Minute))
	small := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(small, 100_000, time.Now().Add(-time.Minute))
	mid := m.Traces(model.Query{Sort: model.TraceColStart, Limit: 1, Offset: 50_000}).Rows[0].ID
	for _, c := range []struct {
		name string
		q    model.Query
	}{
		{"traces-duration-desc-top", model.Query{Sort: model.TraceColDuration, Desc: true, Limit: 45}},
		{"traces-start-anchored", model.Query{Sort: model.TraceColStart, Limit: 45, Anchor: mid, Row: 20, Move: 1}},
		{"traces-name-top", model.Query{Sort: model.TraceColName, Limit: 45}},
		{"traces-spans-deep", model.Query{Sort: model.TraceColSpans, Desc: true, Limit: 45, Offset: 70_000}},
		{"traces-filter-service", model.Query{Sort: model.TraceColDuration, Desc: true, Limit: 45, Filter: "service=svc-3"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			sinkTraces = m.Traces(c.q) // a change of sort column builds the tree once
			for b.Loop() {
				sinkTraces = m.Traces(c.q)
			}
		})
	}
	for _, c := range []struct {
		name string
		m    *model.Model
		q    model.Query
	}{
		{"spans800k-total-desc-top", m, model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45}},
		{"spans100k-total-desc-top", small, model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45}},
		{"spans100k-total-desc-anchored", small, model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Anchor: 50_000, Row: 20, Move: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			sinkPage = c.m.Tasks(c.q)
			for b.Loop() {
				sinkPage = c.m.Tasks(c.q)
			}
		})
	}
}

// BenchmarkTracesSortChange100k measures a change of the traces table's
// sort column with 100,000 traces stored: the tree on the new column is
// built at once under the write lock (by the writer, or here by the query
// as no writer runs), which is how long ingest waits.
func BenchmarkTracesSortChange100k(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(m, 800_000, time.Now().Add(-time.Minute))
	cols := []model.Column{model.TraceColDuration, model.TraceColName, model.TraceColStart}
	i := 0
	for b.Loop() {
		sinkTraces = m.Traces(model.Query{Sort: cols[i%len(cols)], Limit: 45})
		i++
	}
}
