package model

import (
	"testing"
	"time"
)

// A model made from a pool that a recycled model filled shows exactly its
// own spans, with none of the old one's attributes, warnings or runtime
// columns, and the pool keeps no more than the largest model it was given.
func TestRecycledSpanMemoryStartsClean(t *testing.T) {
	pool := NewSpanPool()
	old, clk := newTestModel(Config{Pool: pool})
	start := clk.Now()
	var specs []spec
	for i := range uint64(3000) {
		specs = append(specs, spec{trace: i/4 + 1, span: i + 1, name: "old op", service: "old",
			start: start, dur: time.Millisecond, status: StatusError, attrs: map[string]string{"k": "old value"}})
	}
	old.Apply(old.batch(specs...))
	chunks := len(old.store.chunks)
	old.Recycle()
	if got := len(pool.chunks); got != chunks {
		t.Fatalf("pool holds %d chunks, want the %d given", got, chunks)
	}

	m, clk := newTestModel(Config{Pool: pool})
	start = clk.Now()
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "GET /new", service: "new", start: start, dur: 2 * time.Millisecond},
		spec{trace: 1, span: 2, parent: 1, name: "SELECT", service: "new", start: start, dur: time.Millisecond, attrs: map[string]string{"db": "pg"}},
	))
	if got := len(pool.chunks); got != chunks-1 {
		t.Fatalf("pool holds %d chunks after a new model took one, want %d", got, chunks-1)
	}
	p := m.Tasks(Query{Sort: TaskID, Limit: 100})
	if p.Total != 2 || names(p.Rows)[0] != "GET /new" || names(p.Rows)[1] != "SELECT" {
		t.Fatalf("rows = %v (total %d), want the two new spans", names(p.Rows), p.Total)
	}
	for _, r := range p.Rows {
		d, ok := m.Span(r.ID)
		if !ok || d.Status != StatusUnset || r.Warnings != 0 || r.Busy != 0 {
			t.Fatalf("span %s: %+v / %+v", r.Name, r, d)
		}
		for _, a := range d.Attrs {
			if a.Value.Str == "old value" {
				t.Fatalf("span %s shows the old model's attribute", r.Name)
			}
		}
	}
	// A sort index built now scans the chunks: no slot of the old model's may look taken.
	if p := m.Tasks(Query{Sort: TaskName, Limit: 100}); p.Total != 2 || len(p.Rows) != 2 {
		t.Fatalf("sorted by name: %v (total %d), want the two new spans", names(p.Rows), p.Total)
	}
	if h := m.Header(); h.Spans != 2 || h.Errors != 0 {
		t.Fatalf("header = %+v", h)
	}

	// A second, smaller model does not make the pool grow past the first's size.
	m.Recycle()
	if got := len(pool.chunks); got != chunks {
		t.Fatalf("pool holds %d chunks, want at most %d", got, chunks)
	}
}

// Fill readies as many chunks as a model holds, once, and a model made
// from the pool takes them before any fresh memory.
func TestFillReadiesAModelsWorthOfChunks(t *testing.T) {
	pool := NewSpanPool()
	m, clk := newTestModel(Config{Pool: pool})
	var specs []spec
	for i := range uint64(2500) {
		specs = append(specs, spec{trace: i + 1, span: i + 1, name: "op", service: "svc", start: clk.Now(), dur: time.Millisecond})
	}
	m.Apply(m.batch(specs...))
	want := len(m.store.chunks)
	pool.Fill(m)
	pool.Fill(m) // already full: nothing more
	if got := len(pool.chunks); got != want {
		t.Fatalf("pool holds %d chunks after Fill, want %d", got, want)
	}
	next, _ := newTestModel(Config{Pool: pool})
	next.Apply(next.batch(specs[:1500]...))
	if got := len(pool.chunks); got != want-len(next.store.chunks) {
		t.Fatalf("pool holds %d chunks after a model took %d, want %d", got, len(next.store.chunks), want-len(next.store.chunks))
	}
}
