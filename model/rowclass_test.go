package model

import (
	"slices"
	"testing"
	"time"
)

// Spans and goroutines are two tables: every query path (the sort index,
// a filtered scan, tree mode, each sort column and direction) lists one
// class only, and kind=span matches spans, not goroutines.
func TestSpansAndGoroutinesAreTwoTables(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now().UnixNano()
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "GET /a", service: "api", start: clk.Now().Add(-time.Second), dur: 10 * time.Millisecond},
		spec{trace: 1, span: 2, parent: 1, name: "db", service: "api", start: clk.Now().Add(-time.Second), dur: 5 * time.Millisecond},
		spec{trace: 2, span: 3, name: "live", service: "api", start: clk.Now().Add(-2 * time.Second), inflight: true},
	))
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: m.svcResource("api"), Session: 1, Start: now - 1e9, End: now,
		Goroutines: []GoroutineRec{
			{ID: 5, StartFunc: "main.loop", Created: now - int64(3*time.Second), State: GoWaiting, Wait: WaitChanRecv, Resource: -1},
			{ID: 6, StartFunc: "main.a", Created: now - int64(time.Second), State: GoRunning, Busy: 1e6, Resource: -1},
		}}})
	spans := []string{"GET /a", "db", "live"}
	gos := []string{"main.a", "main.loop"}
	for col := range TaskColumns {
		for _, desc := range []bool{false, true} {
			for _, tree := range []bool{false, true} {
				for _, filter := range []string{"", "service=api"} {
					q := Query{Sort: col, Desc: desc, Tree: tree, Filter: filter, Limit: 10}
					got := names(m.Tasks(q).Rows)
					slices.Sort(got)
					if !slices.Equal(got, spans) {
						t.Errorf("spans %+v = %q", q, got)
					}
					q.Goroutines = true
					p := m.Tasks(q)
					got = names(p.Rows)
					slices.Sort(got)
					if !slices.Equal(got, gos) || p.Total != 2 {
						t.Errorf("goroutines %+v = %q (total %d)", q, got, p.Total)
					}
				}
			}
		}
	}
	// An anchor of the other class is not followed into the wrong table.
	g := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 10})
	if p := m.Tasks(Query{Sort: TaskID, Limit: 10, Anchor: g.Rows[0].ID}); len(p.Rows) != 3 {
		t.Errorf("spans anchored at a goroutine = %q", names(p.Rows))
	}
	for filter, want := range map[string]int{"kind=span": 3, "kind!=span": 0, "kind=goroutine": 0} {
		if p := m.Tasks(Query{Sort: TaskID, Limit: 10, Filter: filter}); p.Total != want || p.FilterErr != "" {
			t.Errorf("spans %q: %d rows (%s), want %d", filter, p.Total, p.FilterErr, want)
		}
	}
	if p := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 10, Filter: "kind=span"}); p.Total != 0 {
		t.Errorf("kind=span matches %d goroutines", p.Total)
	}
}
