package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// taskIDs lists the IDs of a tasks page.
func taskIDs(p Page[TaskRow]) []uint64 {
	ids := make([]uint64, len(p.Rows))
	for i, r := range p.Rows {
		ids[i] = r.ID
	}
	return ids
}

// A span finished longer than --linger ago leaves the live table but stays
// stored: its trace's waterfall, its operation's details, a query that
// names its trace and the "all stored" query still have it, until
// --retain removes it.
func TestLingeredSpanLeavesTheLiveTableButStaysStored(t *testing.T) {
	m, clk := newTestModel(Config{Linger: 2 * time.Second, Retain: time.Minute})
	start := clk.Now()
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "checkout", service: "shop", kind: KindServer, start: start, dur: 40 * time.Millisecond},
		spec{trace: 1, span: 2, parent: 1, name: "charge", service: "pay", kind: KindClient, start: start, dur: 30 * time.Millisecond},
	))
	old := m.Tasks(Query{Sort: TaskID, Limit: 10})
	if old.Total != 2 {
		t.Fatalf("fresh spans: %d in the live table, want 2", old.Total)
	}
	oldIDs := taskIDs(old)
	clk.Advance(time.Second)
	m.Apply(m.batch(spec{trace: 2, span: 3, name: "browse", service: "shop", kind: KindServer, start: clk.Now(), dur: time.Millisecond}))
	clk.Advance(1500 * time.Millisecond) // the first two finished 2.5s ago, the third 1.5s ago
	m.Sweep()

	for _, col := range []Column{TaskID, TaskTotal, TaskName, TaskService, TaskState} {
		for _, desc := range []bool{false, true} {
			p := m.Tasks(Query{Sort: col, Desc: desc, Limit: 10})
			if p.Total != 1 || len(p.Rows) != 1 || p.Rows[0].Name != "browse" {
				t.Fatalf("sort %d desc %v: live table %v (total %d), want only the span still lingering", col, desc, taskIDs(p), p.Total)
			}
		}
	}
	if p := m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 10, Filter: "shop"}); p.Total != 1 || p.Stored {
		t.Fatalf("a filter that names no trace lists %v, want the lingering span only", taskIDs(p))
	}
	if p := m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 10, Tree: true}); p.Total != 1 || len(p.Rows) != 1 {
		t.Fatalf("tree mode lists %v (total %d), want the lingering span only", taskIDs(p), p.Total)
	}
	h := m.Header()
	if h.Spans != 3 || h.Shelved != 2 {
		t.Fatalf("header: %d stored, %d lingered out; want 3 and 2", h.Spans, h.Shelved)
	}

	// Still stored: the waterfall, the details, the operation, search.
	tv := m.Trace(TraceQuery{TraceID: traceID(1), Limit: 10})
	if !tv.Found || tv.Spans != 2 || len(tv.Rows) != 2 {
		t.Fatalf("the trace's waterfall: found %v, %d spans, %d rows; want both spans", tv.Found, tv.Spans, len(tv.Rows))
	}
	for _, id := range oldIDs {
		if d, ok := m.Span(id); !ok || d.TraceID != traceID(1) {
			t.Fatalf("span %d: details found %v, want its details", id, ok)
		}
	}
	trace := traceID(1).String()
	for _, f := range []string{"trace=" + trace, trace, "trace=" + trace + " name=charge"} {
		p := m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 10, Filter: f})
		want := 2
		if len(f) > len("trace=")+len(trace) {
			want = 1
		}
		if p.FilterErr != "" || p.Total != want || !p.Stored {
			t.Fatalf("filter %q: %v (total %d, err %q), want %d stored spans of the trace", f, taskIDs(p), p.Total, p.FilterErr, want)
		}
	}
	all := m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 10, Stored: true})
	if all.Total != 3 || !slices.ContainsFunc(all.Rows, func(r TaskRow) bool { return r.Shelved && r.Finished }) {
		t.Fatalf("every stored span: %v (total %d), want 3 with the lingered-out ones marked", taskIDs(all), all.Total)
	}
	ops := m.Operations(Query{Sort: OpName, Limit: 10})
	var charge uint64
	for _, r := range ops.Rows {
		if r.Name == "charge" {
			charge = r.ID
		}
	}
	od, ok := m.Operation(charge, 40)
	if !ok || len(od.Slowest) != 1 || !od.Slowest[0].Stored || od.Latency.Count != 1 {
		t.Fatalf("operation details of charge: ok %v, slowest %+v, count %d; want its span, stored", ok, od.Slowest, od.Latency.Count)
	}

	// After --retain they are gone; the operation still counts them.
	clk.Advance(time.Minute)
	m.Sweep()
	if h := m.Header(); h.Spans != 0 || h.Shelved != 0 {
		t.Fatalf("after retain: %d stored, %d lingered out; want none", h.Spans, h.Shelved)
	}
	if tv := m.Trace(TraceQuery{TraceID: traceID(1), Limit: 10}); tv.Found {
		t.Fatalf("after retain the trace is still stored")
	}
	if _, ok := m.Span(oldIDs[0]); ok {
		t.Fatalf("after retain span %d is still stored", oldIDs[0])
	}
	if p := m.Tasks(Query{Sort: TaskTotal, Limit: 10, Stored: true}); p.Total != 0 {
		t.Fatalf("after retain the stored query lists %v", taskIDs(p))
	}
	od, _ = m.Operation(charge, 40)
	if od.Row.Count != 1 || len(od.Slowest) != 1 || od.Slowest[0].Stored {
		t.Fatalf("after retain the operation shows count %d, slowest %+v; want it counted and marked gone", od.Row.Count, od.Slowest)
	}
}

// A lost span lingers out of the live table like a finished one; when its
// final version arrives after all, it is back in the live table and
// lingers from then (its stale queue entry is void).
func TestLostSpanEndedLateLingersFromItsEnd(t *testing.T) {
	m, clk := newTestModel(Config{Linger: 2 * time.Second, Retain: time.Minute, Heartbeat: time.Second})
	start := clk.Now()
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "slow", start: start, inflight: true, seq: 1}))
	clk.Advance(4 * time.Second)
	m.Sweep() // lost
	clk.Advance(3 * time.Second)
	m.Sweep() // lingered out
	if h := m.Header(); h.Lost != 1 || h.Shelved != 1 {
		t.Fatalf("lost %d, lingered out %d; want 1 and 1", h.Lost, h.Shelved)
	}
	if p := m.Tasks(Query{Sort: TaskTotal, Limit: 10}); p.Total != 0 {
		t.Fatalf("a lost span past linger is still in the live table: %v", taskIDs(p))
	}
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "slow", start: start, dur: 6 * time.Second}))
	if p := m.Tasks(Query{Sort: TaskTotal, Limit: 10}); p.Total != 1 || p.Rows[0].State != StateDone {
		t.Fatalf("its final version: live table %v, want it back, done", taskIDs(p))
	}
	clk.Advance(time.Second)
	m.Sweep()
	if p := m.Tasks(Query{Sort: TaskTotal, Limit: 10}); p.Total != 1 {
		t.Fatalf("a second after it ended it left the live table (it lingered from when it was lost)")
	}
	clk.Advance(1500 * time.Millisecond)
	m.Sweep()
	if p := m.Tasks(Query{Sort: TaskTotal, Limit: 10}); p.Total != 0 {
		t.Fatalf("2.5s after it ended it is still in the live table")
	}
	if h := m.Header(); h.Spans != 1 || h.Shelved != 1 || h.Lost != 0 {
		t.Fatalf("stored %d, lingered out %d, lost %d; want 1, 1, 0", h.Spans, h.Shelved, h.Lost)
	}
}

// The memory budget still evicts the oldest finished spans first, whether
// they have lingered out or not, and counts them; the live table and the
// count of lingered-out spans stay consistent with what is stored.
func TestBudgetEvictsOldestFirstWithLingeredSpans(t *testing.T) {
	m, clk := newTestModel(Config{Linger: time.Second, Retain: time.Hour, MaxMemory: 2 << 20})
	var span uint64
	for round := range 40 {
		var specs []spec
		for range 256 {
			span++
			specs = append(specs, spec{trace: span, span: span, name: "op", start: clk.Now(), dur: time.Millisecond,
				attrs: map[string]string{"round": string(rune('a' + round%26))}})
		}
		m.Apply(m.batch(specs...))
		clk.Advance(500 * time.Millisecond)
		m.Sweep()
	}
	h := m.Header()
	if h.Evicted == 0 {
		t.Fatalf("nothing evicted: the budget is too large for the test (%d stored, %d B used)", h.Spans, h.MemoryUsed)
	}
	if h.MemoryUsed > h.MemoryBudget {
		t.Fatalf("memory %d over the budget %d", h.MemoryUsed, h.MemoryBudget)
	}
	if int64(h.Spans)+h.Evicted != int64(span) {
		t.Fatalf("stored %d + evicted %d != %d received", h.Spans, h.Evicted, span)
	}
	// Oldest first: the spans stored are exactly the newest ones.
	for s := uint64(1); s <= span; s++ {
		tv := m.Trace(TraceQuery{TraceID: traceID(s), Limit: 1})
		if want := s > span-uint64(h.Spans); tv.Found != want {
			t.Fatalf("span %d of %d stored: %v, want %v (%d stored)", s, span, tv.Found, want, h.Spans)
		}
	}
	live := m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 5})
	stored := m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 5, Stored: true})
	if live.Total != h.Spans-h.Shelved || stored.Total != h.Spans || live.Total != 256 {
		t.Fatalf("live table %d, stored %d; header %d stored, %d lingered out; want the last batch live (the one before finished a linger ago)",
			live.Total, stored.Total, h.Spans, h.Shelved)
	}
}

// A selected row that lingers out leaves the selection where it was: on
// its neighbour, not at the top of the table.
func TestSelectionOnALingeredRowStaysInPlace(t *testing.T) {
	m, clk := newTestModel(Config{Linger: 2 * time.Second, Retain: time.Minute})
	for k := range 10 {
		m.Apply(m.batch(spec{trace: uint64(k + 1), span: uint64(k + 1), name: "op", start: clk.Now(), dur: time.Duration(k+1) * time.Millisecond}))
		if k == 4 {
			clk.Advance(time.Second)
		}
	}
	p := m.Tasks(Query{Sort: TaskID, Limit: 10})
	sel := p.Rows[4].ID // the last of the first five
	clk.Advance(1500 * time.Millisecond)
	m.Sweep()
	for _, f := range []string{"", "op"} {
		p = m.Tasks(Query{Sort: TaskID, Limit: 3, Anchor: sel, Row: 1, Filter: f})
		if p.Total != 5 || p.Selected < 0 || p.Rows[p.Selected].ID != sel+1 {
			t.Fatalf("filter %q: after the selected row lingered out the selection is on %v of %v, want %d", f, p.Selected, taskIDs(p), sel+1)
		}
	}
}

// Building the sort index on another column, in one go or in the
// writer's background steps, leaves out the rows that lingered out.
func TestSortIndexRebuildLeavesOutLingeredRows(t *testing.T) {
	m, clk := newTestModel(Config{Linger: time.Second, Retain: time.Hour})
	for k := range 3000 {
		m.Apply(m.batch(spec{trace: uint64(k + 1), span: uint64(k + 1), name: "op" + string(rune('a'+k%26)), start: clk.Now(), dur: time.Millisecond}))
		if k == 1999 {
			clk.Advance(2 * time.Second)
			m.Sweep()
		}
	}
	for _, col := range []Column{TaskName, TaskService, TaskTotal} {
		if p := m.Tasks(Query{Sort: col, Limit: 5}); p.Total != 1000 {
			t.Fatalf("sort %d: %d rows in the live table, want 1000", col, p.Total)
		}
	}
	// In steps, with changes between them (new spans, spans lingering out).
	m.mu.Lock()
	m.startBuild(TaskLocation, make([]item, 0, len(m.store.chunks)*chunkSize))
	m.mu.Unlock()
	for m.build.busy() || m.build.phase == buildSorting {
		if m.build.phase == buildSorting {
			m.sorted(<-m.build.done)
			clk.Advance(2 * time.Second)
			m.Apply(m.batch(spec{trace: 9999, span: 9999, name: "late", start: clk.Now(), dur: time.Millisecond}))
			m.Sweep() // the first 3000 linger out meanwhile
			continue
		}
		m.buildStep()
	}
	if m.idx.col != TaskLocation || m.idx.tree.size != 1 {
		t.Fatalf("index on %d holds %d rows, want 1 (the late span) on the location column", m.idx.col, m.idx.tree.size)
	}
}

// Spans lingering out leave the sort index together (sweepLinger removes
// a sweep's worth by one walk of the leaves when they are many, else
// sorted by sortItems in walks of the tree of up to lingerBatch): after
// every sweep, the live table in index order is the one a filter's scan
// finds, for a number and a string column, also when a burst leaves
// together. The bursts take the walk; a second pass turns it off, so that
// they are sorted by the radix sort and leave in more than one batch.
func TestLingerSweepsKeepTheIndexExact(t *testing.T) {
	defer func(w int) { leaveByWalk = w }(leaveByWalk)
	for _, walk := range []int{leaveByWalk, 0} {
		leaveByWalk = walk
		for _, col := range []Column{TaskTotal, TaskName} {
			lingerSweepsKeepTheIndexExact(t, col)
		}
	}
}

func lingerSweepsKeepTheIndexExact(t *testing.T, col Column) {
	m, clk := newTestModel(Config{Linger: 3 * time.Second, Retain: time.Minute})
	rng := rand.New(rand.NewPCG(uint64(col), 11))
	m.Tasks(Query{Sort: col, Limit: 10})
	span := uint64(0)
	for round := range 40 {
		var specs []spec
		n := 200
		if round%10 == 5 {
			n = lingerBatch + 900 // a burst
		}
		for range n {
			span++
			specs = append(specs, spec{trace: span/8 + 1, span: span, name: fmt.Sprintf("op-%d", rng.IntN(30)),
				service: "svc", start: clk.Now().Add(-time.Second), dur: time.Duration(rng.IntN(40)+1) * time.Millisecond,
				inflight: rng.IntN(20) == 0})
		}
		m.Apply(m.batch(specs...))
		clk.Advance(time.Duration(rng.IntN(700)+100) * time.Millisecond)
		m.Sweep()
		for _, desc := range []bool{false, true} {
			idx := m.Tasks(Query{Sort: col, Desc: desc, Limit: 100_000})
			scan := m.Tasks(Query{Sort: col, Desc: desc, Limit: 100_000, Filter: "dur>=0s"})
			if !slices.Equal(taskIDs(idx), taskIDs(scan)) {
				t.Fatalf("leaveByWalk %d column %d round %d desc %v: the index lists %d rows, a scan %d, or in another order",
					leaveByWalk, col, round, desc, idx.Total, scan.Total)
			}
		}
		if h := m.Header(); h.Shelved == 0 && round > 10 {
			t.Fatalf("round %d: nothing lingered out", round)
		}
	}
}

// While batches arrive a finished span leaves the live table at its
// linger; idle it may stay a fifth of the linger longer, then leaves with
// every span due by then.
func TestIdleSpansLingerOutInSteps(t *testing.T) {
	const linger = 10 * time.Second
	slack := linger / idleLingerSlack
	shown := func(m *Model) int { return m.Tasks(Query{Sort: TaskID, Limit: 10}).Total }

	// Busy: a batch every second, the last one just before the sweep.
	m, clk := newTestModel(Config{Linger: linger, Retain: time.Hour})
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "old", service: "a", start: clk.Now(), dur: time.Millisecond}))
	for i := range 10 {
		clk.Advance(time.Second)
		m.Apply(m.batch(spec{trace: uint64(10 + i), span: uint64(10 + i), name: "new", service: "a", start: clk.Now(), dur: time.Millisecond}))
	}
	clk.Advance(100 * time.Millisecond) // the first span finished 10.1 s ago
	m.Sweep()
	if n := shown(m); n != 10 {
		t.Fatalf("busy, past its linger: %d spans shown, want the first gone and 10 left", n)
	}

	// Idle: the first span stays through its slack; then it leaves with
	// the second, whose linger ended meanwhile, and the third, not yet
	// due, stays.
	m, clk = newTestModel(Config{Linger: linger, Retain: time.Hour})
	first := clk.Now().UnixNano()
	for i, after := range []time.Duration{0, slack / 2, slack + slack/2} {
		clk.Advance(time.Duration(first + int64(after) - clk.Now().UnixNano()))
		m.Apply(m.batch(spec{trace: uint64(1 + i), span: uint64(1 + i), name: "s", service: "a", start: clk.Now(), dur: time.Millisecond}))
	}
	clk.Advance(time.Duration(first + int64(linger) + int64(time.Millisecond) - clk.Now().UnixNano()))
	m.Sweep()
	if n := shown(m); n != 3 {
		t.Fatalf("idle, the first just past its linger: %d spans shown, want 3", n)
	}
	if want := first + int64(linger+slack); m.sweepDue != want {
		t.Fatalf("idle: next sweep in %v, want at the end of the first span's slack, in %v",
			time.Duration(m.sweepDue-clk.Now().UnixNano()), time.Duration(want-clk.Now().UnixNano()))
	}
	clk.Advance(time.Duration(m.sweepDue - clk.Now().UnixNano()))
	m.Sweep()
	if n := shown(m); n != 1 {
		t.Fatalf("idle, at the end of the first span's slack: %d spans shown, want the third only", n)
	}
}
