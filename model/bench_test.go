package model_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/model/modeltest"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkRetainedSpanMemory stores 1M spans with 10 attributes and
// reports the live heap per span and the model's own accounting per span.
func BenchmarkRetainedSpanMemory(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		before := heapInUse()
		m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
		modeltest.Fill(m, n, time.Now())
		after := heapInUse()
		h := m.Header()
		for _, col := range []model.Column{model.TaskTotal, model.TaskName} {
			m.Tasks(model.Query{Sort: col, Limit: 45})
			after = max(after, heapInUse())
			h.MemoryUsed = max(h.MemoryUsed, m.Header().MemoryUsed)
		}
		if h.Spans != n {
			b.Fatalf("stored %d spans", h.Spans)
		}
		b.ReportMetric(float64(after-before)/n, "heap-B/span")
		b.ReportMetric(float64(h.MemoryUsed)/n, "accounted-B/span")
		runtime.KeepAlive(m)
	}
}

var sinkPage model.Page[model.TaskRow]

// BenchmarkTasksQuery1M measures one frame's query (200×50: 45 rows) with
// 1M spans stored, for the default sort and for an anchored selection.
func BenchmarkTasksQuery1M(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(m, 1_000_000, time.Now().Add(-time.Minute))
	for _, c := range []struct {
		name string
		q    model.Query
	}{
		{"total-desc-top", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45}},
		{"total-desc-anchored", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Anchor: 500_000, Row: 20, Move: 1}},
		{"id-top", model.Query{Sort: model.TaskID, Limit: 45}},
		{"name-anchored", model.Query{Sort: model.TaskName, Limit: 45, Anchor: 777_777, Row: 10}},
		{"filter-service", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Filter: "service=svc-3"}},
		{"filter-attr", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Filter: "url.path=/api/users/77"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			sinkPage = m.Tasks(c.q) // a change of sort column rebuilds the index once
			for b.Loop() {
				sinkPage = m.Tasks(c.q)
			}
		})
	}
}

// BenchmarkApply measures the writer's cost per span, 512-span batches of
// spans with 10 attributes, into a model that keeps evicting to stay in budget.
func BenchmarkApply(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 256 << 20, Retain: time.Hour})
	start := time.Now()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		modeltest.Fill(m, 512, start.Add(time.Duration(n)*time.Millisecond))
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*512), "ns/span")
}

// BenchmarkSortChange1M measures the one-off rebuild of the sort index
// when the user picks another column with 1M spans stored.
func BenchmarkSortChange1M(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(m, 1_000_000, time.Now().Add(-time.Minute))
	cols := []model.Column{model.TaskTotal, model.TaskName}
	k := 0
	for b.Loop() {
		sinkPage = m.Tasks(model.Query{Sort: cols[k%2], Limit: 45})
		k++
	}
}

// BenchmarkApplySteady measures the writer alone, per span, once the store
// is full and every new span evicts an old one: pre-built 512-span batches
// of 10-attribute spans, as ingest hands them over.
func BenchmarkApplySteady(b *testing.B) {
	m2 := model.New(model.Config{MaxMemory: 128 << 20, Retain: time.Hour})
	batches := modeltest.Batches(m2.Symbols(), 2_000_000, time.Now())
	k := 0
	for m2.Header().Evicted == 0 {
		m2.Apply(batches[k%len(batches)])
		k++
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		m2.Apply(batches[k%len(batches)])
		k++
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*512), "ns/span")
}

// BenchmarkTasksQueryLingered1M is BenchmarkTasksQuery1M with 990k of the
// 1M spans finished longer than --linger ago (stored, out of the live
// table) and 10k lingering: the live table's query must cost what it
// costs with 10k spans in the index, not scan the stored ones. The
// "stored" cases list every stored span (the `a` key), a scan.
func BenchmarkTasksQueryLingered1M(b *testing.B) {
	now := time.Now()
	m := model.New(model.Config{MaxMemory: 4 << 30, Linger: 30 * time.Second, Retain: time.Hour,
		Clock: func() time.Time { return now }})
	modeltest.Fill(m, 990_000, now.Add(-time.Minute))
	now = now.Add(time.Minute)
	for _, batch := range modeltest.BatchesFrom(m.Symbols(), 990_000, 10_000, now.Add(-time.Second)) {
		m.Apply(batch)
	}
	m.Sweep()
	if h := m.Header(); h.Spans != 1_000_000 || h.Shelved != 990_000 {
		b.Fatalf("stored %d, lingered out %d", h.Spans, h.Shelved)
	}
	for _, c := range []struct {
		name string
		q    model.Query
	}{
		{"total-desc-top", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45}},
		{"total-desc-anchored", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Anchor: 995_000, Row: 20, Move: 1}},
		{"id-top", model.Query{Sort: model.TaskID, Limit: 45}},
		{"name-anchored", model.Query{Sort: model.TaskName, Limit: 45, Anchor: 997_777, Row: 10}},
		{"anchor-lingered-out", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Anchor: 500_000, Row: 20}},
		{"filter-service", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Filter: "service=svc-3"}},
		{"stored-total-desc-top", model.Query{Sort: model.TaskTotal, Desc: true, Limit: 45, Stored: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			sinkPage = m.Tasks(c.q)
			if c.q.Filter == "" && !c.q.Stored && sinkPage.Total != 10_000 {
				b.Fatalf("live table of %d spans, want 10000", sinkPage.Total)
			}
			for b.Loop() {
				sinkPage = m.Tasks(c.q)
			}
		})
	}
}
