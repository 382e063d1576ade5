package model

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// fill1M stores n finished spans with 10 attributes each, in traces of 8
// spans over 6 services and 40 operations, as a busy app would send them.
func fillSpans(b testing.TB, m *Model, n int, start time.Time) {
	syms := m.Symbols()
	w := NewAttrWriter(syms)
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	routes := []string{"/api/users/{id}", "/api/orders", "/api/cart/{id}/items", "/healthz", "/api/search"}
	var res []Resource
	for s := range 6 {
		rw := NewAttrWriter(syms)
		rw.String([]byte("service.name"), []byte(fmt.Sprint("svc-", s)))
		rw.String([]byte("service.instance.id"), []byte(fmt.Sprint("i-", s)))
		res = append(res, Resource{ServiceName: syms.InternString(fmt.Sprint("svc-", s)), Attrs: rw.Blob()})
	}
	const per = 512
	for done := 0; done < n; {
		batch := &Batch{Resources: res, Spans: make([]SpanRec, 0, per)}
		for j := 0; j < per && done < n; j++ {
			i := uint64(done)
			w.Reset()
			w.String([]byte("http.request.method"), []byte(methods[i%4]))
			w.String([]byte("http.route"), []byte(routes[i%5]))
			w.Int([]byte("http.response.status_code"), int64(200+(i%7)*50))
			w.String([]byte("server.address"), []byte("api.internal"))
			w.String([]byte("url.path"), []byte("/api/users/"+strconv.FormatUint(i%100_000, 10)))
			w.String([]byte("user.id"), []byte("u-"+strconv.FormatUint(i*7919%1_000_000, 10)))
			w.String([]byte("db.system"), []byte("postgresql"))
			w.Int([]byte("net.peer.port"), 5432)
			w.Bool([]byte("cache.hit"), i%3 == 0)
			w.Double([]byte("sample.ratio"), 0.25)
			st := start.Add(time.Duration(i) * time.Microsecond).UnixNano()
			batch.Spans = append(batch.Spans, SpanRec{
				TraceID: traceID(i/8 + 1), SpanID: spanID(i + 1), Parent: spanID(i/8*8 + 1),
				Start: st, End: st + int64(i%1000)*int64(time.Millisecond)/10,
				Name: syms.InternString(fmt.Sprint("op-", i%40)), Res: uint32(i % 6), Kind: SpanKind(1 + i%5),
				Attrs: w.Blob(), NumAttrs: 10,
			})
			done++
		}
		m.Apply(batch)
	}
}

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
		m := New(Config{MaxMemory: 4 << 30, Retain: time.Hour})
		fillSpans(b, m, n, time.Now())
		after := heapInUse()
		h := m.Header()
		for _, col := range []Column{TaskTotal, TaskName} {
			m.Tasks(Query{Sort: col, Limit: 45})
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

var sinkPage Page[TaskRow]

// BenchmarkTasksQuery1M measures one frame's query (200×50: 45 rows) with
// 1M spans stored, for the default sort and for an anchored selection.
func BenchmarkTasksQuery1M(b *testing.B) {
	m := New(Config{MaxMemory: 4 << 30, Retain: time.Hour})
	fillSpans(b, m, 1_000_000, time.Now().Add(-time.Minute))
	for _, c := range []struct {
		name string
		q    Query
	}{
		{"total-desc-top", Query{Sort: TaskTotal, Desc: true, Limit: 45}},
		{"total-desc-anchored", Query{Sort: TaskTotal, Desc: true, Limit: 45, Anchor: 500_000, Row: 20, Move: 1}},
		{"id-top", Query{Sort: TaskID, Limit: 45}},
		{"name-anchored", Query{Sort: TaskName, Limit: 45, Anchor: 777_777, Row: 10}},
		{"filter-service", Query{Sort: TaskTotal, Desc: true, Limit: 45, Filter: "service=svc-3"}},
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
	m := New(Config{MaxMemory: 256 << 20, Retain: time.Hour})
	start := time.Now()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		fillSpans(b, m, 512, start.Add(time.Duration(n)*time.Millisecond))
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*512), "ns/span")
}

// BenchmarkSortChange1M measures the one-off rebuild of the sort index
// when the user picks another column with 1M spans stored.
func BenchmarkSortChange1M(b *testing.B) {
	m := New(Config{MaxMemory: 4 << 30, Retain: time.Hour})
	fillSpans(b, m, 1_000_000, time.Now().Add(-time.Minute))
	cols := []Column{TaskTotal, TaskName}
	k := 0
	for b.Loop() {
		sinkPage = m.Tasks(Query{Sort: cols[k%2], Limit: 45})
		k++
	}
}
