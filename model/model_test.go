package model

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestApplyStoresSpanWithEveryField(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now().Add(-2 * time.Second)
	b := m.batch(spec{trace: 1, span: 2, parent: 3, name: "GET /users", service: "frontend", kind: KindServer,
		start: start, dur: 150 * time.Millisecond, status: StatusError, attrs: map[string]string{"http.route": "/users"}})
	b.Spans[0].Ext = &SpanExt{StatusMessage: "boom", Events: []Event{{Time: start.UnixNano() + 10, Name: "exception"}}}
	m.Apply(b)

	page := m.Tasks(Query{Sort: TaskID, Limit: 10})
	if page.Total != 1 || len(page.Rows) != 1 {
		t.Fatalf("total=%d rows=%d, want 1", page.Total, len(page.Rows))
	}
	r := page.Rows[0]
	if r.ID != 1 || r.Name != "GET /users" || r.Service != "frontend" || r.Kind != KindServer ||
		r.State != StateError || r.Total != 150*time.Millisecond || !r.Finished {
		t.Fatalf("row = %+v", r)
	}
	if len(r.Fields) != 1 || r.Fields[0].Key != "http.route" || r.Fields[0].Value.Str != "/users" {
		t.Fatalf("fields = %+v", r.Fields)
	}
	d, ok := m.Span(r.ID)
	if !ok {
		t.Fatal("Span(1) not found")
	}
	if d.TraceID != traceID(1) || d.SpanID != spanID(2) || d.Parent != spanID(3) || d.StatusMsg != "boom" ||
		len(d.Events) != 1 || d.Events[0].Name != "exception" || d.Duration != 150*time.Millisecond ||
		!d.Start.Equal(start) || d.End.Sub(d.Start) != 150*time.Millisecond || d.TraceSpans != 1 {
		t.Fatalf("detail = %+v", d)
	}
	if len(d.Resource) != 1 || d.Resource[0].Value.Str != "frontend" {
		t.Fatalf("resource = %+v", d.Resource)
	}
	h := m.Header()
	if h.Spans != 1 || h.Errors != 1 || h.Traces != 1 || h.Operations != 1 || h.Services != 1 {
		t.Fatalf("header = %+v", h)
	}
}

func TestSnapshotThenFinalKeepsOneEntry(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now()
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "job", start: start, inflight: true, seq: 1}))
	clk.Advance(400 * time.Millisecond)

	page := m.Tasks(Query{Sort: TaskID, Limit: 10})
	if len(page.Rows) != 1 || page.Rows[0].State != StateRunning || page.Rows[0].Total != 400*time.Millisecond || page.Rows[0].Finished {
		t.Fatalf("running row = %+v", page.Rows)
	}
	if ops := m.Operations(Query{Sort: OpTotal, Limit: 5}); ops.Rows[0].InFlight != 1 || ops.Rows[0].Count != 0 {
		t.Fatalf("op while running = %+v", ops.Rows[0])
	}
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "job", start: start, dur: time.Second}))
	page = m.Tasks(Query{Sort: TaskID, Limit: 10})
	if page.Total != 1 || page.Rows[0].ID != 1 || page.Rows[0].State != StateDone || page.Rows[0].Total != time.Second {
		t.Fatalf("after final = %+v", page.Rows)
	}
	// Late snapshots never overwrite the ended span.
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "job", start: start, inflight: true, seq: 9}))
	if r := m.Tasks(Query{Sort: TaskID, Limit: 10}).Rows[0]; r.State != StateDone {
		t.Fatalf("late snapshot changed the ended span: %+v", r)
	}
	op := m.Operations(Query{Sort: OpTotal, Limit: 5}).Rows[0]
	if op.InFlight != 0 || op.Count != 1 || op.Max != time.Second {
		t.Fatalf("op after final = %+v", op)
	}
}

func TestOlderSnapshotIsIgnoredAndRenameMovesInFlight(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now()
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "a", start: start, inflight: true, seq: 5}))
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "old", start: start, inflight: true, seq: 4}))
	if n := m.Tasks(Query{Limit: 1}).Rows[0].Name; n != "a" {
		t.Fatalf("older snapshot applied: name %q", n)
	}
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "b", start: start, inflight: true, seq: 6}))
	inflight := map[string]int64{}
	for _, r := range m.Operations(Query{Sort: OpName, Limit: 10}).Rows {
		inflight[r.Name] = r.InFlight
	}
	if !reflect.DeepEqual(inflight, map[string]int64{"a": 0, "b": 1}) {
		t.Fatalf("in flight per op = %v", inflight)
	}
}

func TestLostAfterThreeHeartbeatsAndBack(t *testing.T) {
	m, clk := newTestModel(Config{Heartbeat: time.Second, Retain: time.Minute})
	start := clk.Now()
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "stuck", start: start, inflight: true, seq: 1}))
	clk.Advance(3 * time.Second)
	m.Sweep()
	if r := m.Tasks(Query{Limit: 1}).Rows[0]; r.State != StateRunning {
		t.Fatalf("lost too early: %+v", r)
	}
	clk.Advance(time.Millisecond)
	m.Sweep()
	r := m.Tasks(Query{Limit: 1}).Rows[0]
	if r.State != StateLost || !r.Finished {
		t.Fatalf("want lost, got %+v", r)
	}
	if h := m.Header(); h.Lost != 1 || h.Running != 0 {
		t.Fatalf("header = %+v", h)
	}
	clk.Advance(10 * time.Second)
	if r := m.Tasks(Query{Limit: 1}).Rows[0]; r.Total != 0 {
		t.Fatalf("lost span's total must freeze at its last sighting: %v", r.Total)
	}
	// A snapshot after all: running again, and not removed by its old retention entry.
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "stuck", start: start, inflight: true, seq: 2}))
	clk.Advance(time.Minute)
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "stuck", start: start, inflight: true, seq: 3}))
	m.Sweep()
	if r := m.Tasks(Query{Limit: 1}).Rows; len(r) != 1 || r[0].State != StateRunning {
		t.Fatalf("revived span = %+v", r)
	}
}

func TestRetentionRemovesFinishedSpansButKeepsAggregates(t *testing.T) {
	m, clk := newTestModel(Config{Retain: 30 * time.Second})
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "old", start: clk.Now(), dur: time.Millisecond}))
	clk.Advance(20 * time.Second)
	m.Apply(m.batch(spec{trace: 2, span: 2, name: "new", start: clk.Now(), dur: time.Millisecond}))
	clk.Advance(10 * time.Second)
	m.Sweep()
	if got := names(m.Tasks(Query{Sort: TaskID, Limit: 10}).Rows); !reflect.DeepEqual(got, []string{"new"}) {
		t.Fatalf("after 30s: %v", got)
	}
	clk.Advance(20 * time.Second)
	m.Sweep()
	if page := m.Tasks(Query{Limit: 10}); page.Total != 0 {
		t.Fatalf("after 50s: %d spans", page.Total)
	}
	ops := m.Operations(Query{Sort: OpName, Limit: 10})
	if ops.Total != 2 || ops.Rows[0].Count != 1 || ops.Rows[1].Count != 1 {
		t.Fatalf("aggregates lost: %+v", ops.Rows)
	}
	if h := m.Header(); h.Traces != 0 || h.Evicted != 0 {
		t.Fatalf("header = %+v (retention is not eviction)", h)
	}
}

func TestMemoryBudgetEvictsOldestFinishedFirst(t *testing.T) {
	budget := int64(4 << 20)
	m, clk := newTestModel(Config{MaxMemory: budget, Retain: time.Hour})
	live := spec{trace: 999_999, span: 999_999, name: "live", start: clk.Now(), inflight: true, seq: 1}
	m.Apply(m.batch(live))
	attrs := map[string]string{"k": "a fairly long attribute value that is not interned because it is long enough"}
	var n uint64
	for n < 40_000 {
		var specs []spec
		for range 500 {
			n++
			specs = append(specs, spec{trace: n, span: n, name: "op", start: clk.Now(), dur: time.Millisecond, attrs: attrs})
		}
		m.Apply(m.batch(specs...))
		clk.Advance(time.Millisecond)
		if used := m.Header().MemoryUsed; used > budget {
			t.Fatalf("memory %d exceeds budget %d after %d spans", used, budget, n)
		}
	}
	h := m.Header()
	if h.Evicted == 0 || int64(h.Spans)+h.Evicted != int64(n)+1 {
		t.Fatalf("spans %d + evicted %d != %d", h.Spans, h.Evicted, n+1)
	}
	// The survivors are the newest, and the live span is never evicted.
	page := m.Tasks(Query{Sort: TaskID, Desc: false, Limit: 2})
	if page.Rows[0].Name != "live" || page.Rows[1].ID != uint64(h.Evicted)+2 {
		t.Fatalf("oldest kept = %+v, evicted %d", page.Rows, h.Evicted)
	}
	if op := m.Operations(Query{Sort: OpName, Limit: 5}).Rows[1]; op.Name != "op" || op.Count != int64(n) {
		t.Fatalf("aggregate after eviction = %+v", op)
	}
}

func TestBudgetFullOfLiveSpansDropsAndCounts(t *testing.T) {
	m, clk := newTestModel(Config{MaxMemory: 1 << 20})
	var specs []spec
	for i := range uint64(20_000) {
		specs = append(specs, spec{trace: i + 1, span: i + 1, name: "live", start: clk.Now(), inflight: true, seq: 1})
	}
	m.Apply(m.batch(specs...))
	h := m.Header()
	if h.Dropped == 0 || int64(h.Spans)+h.Dropped != 20_000 || h.MemoryUsed > h.MemoryBudget {
		t.Fatalf("header = %+v", h)
	}
}

func TestHistogramQuantilesKeepTwoSignificantDigits(t *testing.T) {
	var h Histogram
	for v := int64(1); v <= 100_000; v++ {
		h.Record(v * 1000) // 1µs … 100ms, uniform
	}
	for _, q := range []float64{0.5, 0.95, 0.99, 0.999} {
		want := q * 100_000 * 1000
		got := float64(h.Quantile(q))
		if rel := (got - want) / want; rel > 0.01 || rel < -0.01 {
			t.Errorf("p%v = %v, want %v (±1%%)", q*100, time.Duration(got), time.Duration(want))
		}
	}
	if h.Max() != 100*time.Millisecond || h.Count() != 100_000 {
		t.Fatalf("max %v count %d", h.Max(), h.Count())
	}
}

func TestOperationsFigures(t *testing.T) {
	m, clk := newTestModel(Config{})
	var specs []spec
	for i := range uint64(100) {
		st := StatusOK
		if i%10 == 0 {
			st = StatusError
		}
		specs = append(specs, spec{trace: i + 1, span: i + 1, name: "GET /a", service: "web", kind: KindServer,
			start: clk.Now(), dur: time.Duration(i+1) * time.Millisecond, status: st})
	}
	specs = append(specs, spec{trace: 500, span: 500, name: "cheap", service: "web", start: clk.Now(), dur: time.Microsecond})
	m.Apply(m.batch(specs...))
	clk.Advance(time.Second)
	page := m.Operations(Query{Sort: OpTotal, Desc: true, Limit: 10})
	if page.Total != 2 || page.Rows[0].Name != "GET /a" {
		t.Fatalf("rows = %+v", page.Rows)
	}
	r := page.Rows[0]
	if r.Count != 100 || r.Errors != 10 || r.Max != 100*time.Millisecond || r.Total != 5050*time.Millisecond ||
		r.Rate != 100.0/RateWindow || r.Kind != KindServer || r.Service != "web" {
		t.Fatalf("op = %+v", r)
	}
	near := func(got, want time.Duration) bool { return got >= want*99/100 && got <= want*101/100 }
	if !near(r.P50, 50*time.Millisecond) || !near(r.P95, 95*time.Millisecond) || !near(r.P99, 99*time.Millisecond) {
		t.Fatalf("percentiles p50 %v p95 %v p99 %v", r.P50, r.P95, r.P99)
	}
	if len(r.Spark) != sparkSeconds || r.Spark[len(r.Spark)-1] != 100 {
		t.Fatalf("spark = %v", r.Spark)
	}
	if f := m.Operations(Query{Filter: "cheap", Limit: 10}); f.Total != 1 {
		t.Fatalf("filtered ops = %d", f.Total)
	}
	if f := m.Operations(Query{Filter: "dur>1s", Limit: 10}); f.FilterErr == "" {
		t.Fatal("dur filter on operations should explain it does not apply")
	}
}

func TestSelectionFollowsIDWhenRowsMove(t *testing.T) {
	m, clk := newTestModel(Config{})
	for i := range uint64(50) {
		m.Apply(m.batch(spec{trace: i + 1, span: i + 1, name: fmt.Sprintf("s%02d", i), start: clk.Now(), dur: time.Duration(i) * time.Millisecond}))
	}
	q := Query{Sort: TaskTotal, Desc: true, Limit: 10, Anchor: 40, Row: 3}
	page := m.Tasks(q)
	if page.Rows[page.Selected].ID != 40 || page.Selected != 3 {
		t.Fatalf("selected %d = %+v", page.Selected, page.Rows[page.Selected])
	}
	// Ten longer spans arrive: the anchor keeps its row, the window moves.
	for i := range uint64(10) {
		m.Apply(m.batch(spec{trace: 100 + i, span: 100 + i, name: "long", start: clk.Now(), dur: time.Second}))
	}
	page = m.Tasks(q)
	if page.Rows[page.Selected].ID != 40 || page.Selected != 3 || page.Offset != 17 {
		t.Fatalf("after reorder: selected %d offset %d", page.Selected, page.Offset)
	}
	// Moving the selection: one down, then a page up.
	page = m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 10, Anchor: 40, Row: 3, Move: 1})
	if page.Rows[page.Selected].ID != 39 {
		t.Fatalf("move down selected %+v", page.Rows[page.Selected])
	}
	page = m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 10, Anchor: 40, Row: 3, Move: -10})
	if page.Rows[page.Selected].ID != 50 && page.Rows[page.Selected].Name != "s49" {
		t.Fatalf("page up selected %+v", page.Rows[page.Selected])
	}
}

func TestFilters(t *testing.T) {
	m, clk := newTestModel(Config{})
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "GET /users", service: "frontend", kind: KindServer, start: clk.Now(), dur: 200 * time.Millisecond, attrs: map[string]string{"http.route": "/users"}},
		spec{trace: 1, span: 2, name: "SELECT users", service: "db", kind: KindClient, start: clk.Now(), dur: 50 * time.Millisecond, status: StatusError},
		spec{trace: 2, span: 3, name: "work", service: "worker", start: clk.Now(), inflight: true, seq: 1},
	))
	clk.Advance(time.Second)
	cases := []struct {
		filter string
		want   []string
	}{
		{"", []string{"GET /users", "SELECT users", "work"}},
		{"users", []string{"GET /users", "SELECT users"}},
		{"USERS", []string{"GET /users", "SELECT users"}},
		{"service=db", []string{"SELECT users"}},
		{"service!=db", []string{"GET /users", "work"}},
		{"service~end", []string{"GET /users"}},
		{"kind=server", []string{"GET /users"}},
		{"status=error", []string{"SELECT users"}},
		{"state=running", []string{"work"}},
		{"dur>100ms", []string{"GET /users", "work"}},
		{"dur<=50ms", []string{"SELECT users"}},
		{"http.route=/users", []string{"GET /users"}},
		{`name="GET /users"`, []string{"GET /users"}},
		{"users kind=client", []string{"SELECT users"}},
		{"id=2", []string{"SELECT users"}},
		{"trace=" + traceID(2).String(), []string{"work"}},
		// A prefix common to traces 1 and 2 (their IDs differ only in the last digit).
		{"trace=" + traceID(2).String()[:31], []string{"GET /users", "SELECT users", "work"}},
		{"trace=ff", nil},
	}
	for _, c := range cases {
		page := m.Tasks(Query{Sort: TaskID, Filter: c.filter, Limit: 10})
		if page.FilterErr != "" {
			t.Errorf("%q: error %s", c.filter, page.FilterErr)
		}
		if got := names(page.Rows); !reflect.DeepEqual(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%q: got %v, want %v", c.filter, got, c.want)
		}
	}
	for _, bad := range []string{"dur>fast", "kind=sever", `name="open`, "status>ok", "id=x"} {
		if page := m.Tasks(Query{Filter: bad, Limit: 10}); page.FilterErr == "" {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestSkewedClockNeverNegative(t *testing.T) {
	m, clk := newTestModel(Config{})
	future := clk.Now().Add(time.Hour)
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "future", start: future, inflight: true, seq: 1}))
	rec := m.rec(spec{trace: 2, span: 2, name: "backwards", start: clk.Now()})
	rec.End = rec.Start - int64(time.Second)
	m.Apply(&Batch{Resources: []Resource{{}}, Spans: []SpanRec{rec}})
	for _, row := range m.Tasks(Query{Limit: 10}).Rows {
		if row.Total < 0 {
			t.Fatalf("negative total: %+v", row)
		}
	}
}

func TestSymbolsValuesAreBounded(t *testing.T) {
	s := NewSymbols()
	for i := range maxValueSymbols + 10 {
		s.tryIntern([]byte(fmt.Sprint("v", i)))
	}
	if s.Len() > maxValueSymbols {
		t.Fatalf("value symbols grew to %d", s.Len())
	}
	if _, ok := s.tryIntern([]byte("another")); ok {
		t.Fatal("tryIntern accepted a value into a full table")
	}
	if id := s.InternString("a key"); s.String(id) != "a key" {
		t.Fatal("keys must still intern when values are full")
	}
}

func TestAttrBlobRoundTrip(t *testing.T) {
	s := NewSymbols()
	w := NewAttrWriter(s)
	w.String([]byte("s"), []byte("short"))
	w.String([]byte("long"), []byte(string(make([]byte, 100))))
	w.Int([]byte("i"), -42)
	w.Double([]byte("d"), 2.5)
	w.Bool([]byte("b"), true)
	w.Bytes([]byte("x"), []byte{0xde, 0xad})
	got := DecodeAttrs(w.Blob(), s)
	want := []Attr{
		{"s", Value{Type: ValueString, Str: "short"}},
		{"long", Value{Type: ValueString, Str: string(make([]byte, 100))}},
		{"i", Value{Type: ValueInt, Int: -42}},
		{"d", Value{Type: ValueDouble, Float: 2.5}},
		{"b", Value{Type: ValueBool, Bool: true}},
		{"x", Value{Type: ValueBytes, Str: "\xde\xad"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	for _, a := range want { // each found past the values of every kind before it
		tm := term{key: a.Key}
		if v, ok := tm.lookupAttr(w.Blob(), s); !ok || !reflect.DeepEqual(v, a.Value) {
			t.Fatalf("lookup %s = %v %v, want %v", a.Key, v, ok, a.Value)
		}
	}
	if tm := (term{key: "absent"}); func() bool { _, ok := tm.lookupAttr(w.Blob(), s); return ok }() {
		t.Fatal("found a key never interned")
	}
}

func TestOneEntryPerSpanWhateverTheOrder(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now()
	// An export sent twice keeps one entry.
	final := spec{trace: 1, span: 1, name: "twice", start: start, dur: time.Millisecond}
	m.Apply(m.batch(final))
	m.Apply(m.batch(final))
	// A snapshot arriving after its ended span (two exporters, no order
	// between them) changes nothing.
	m.Apply(m.batch(spec{trace: 2, span: 2, name: "ended", start: start, dur: time.Second}))
	m.Apply(m.batch(spec{trace: 2, span: 2, name: "ended", start: start, inflight: true, seq: 3}))
	// A span in flight while its trace fills with hundreds of newer spans
	// is still replaced by its ended version.
	m.Apply(m.batch(spec{trace: 3, span: 3, name: "long", start: start, inflight: true, seq: 1}))
	for i := range uint64(300) {
		m.Apply(m.batch(spec{trace: 3, span: 1000 + i, parent: 3, name: "child", start: start, dur: time.Millisecond}))
	}
	m.Apply(m.batch(spec{trace: 3, span: 3, name: "long", start: start, dur: 2 * time.Second}))

	page := m.Tasks(Query{Sort: TaskID, Filter: "name!=child", Limit: 10})
	if got := names(page.Rows); !reflect.DeepEqual(got, []string{"twice", "ended", "long"}) {
		t.Fatalf("rows = %v", got)
	}
	for _, r := range page.Rows {
		if r.State != StateDone {
			t.Errorf("%s: state %v", r.Name, r.State)
		}
	}
	if h := m.Header(); h.Spans != 303 || h.Running != 0 {
		t.Fatalf("header = %+v", h)
	}
	if op := m.Operations(Query{Sort: OpName, Filter: "long", Limit: 1}).Rows[0]; op.Count != 1 || op.InFlight != 0 {
		t.Fatalf("op = %+v", op)
	}
}
