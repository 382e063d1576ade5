package model

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// traceRows returns the whole traces table in one query.
func traceRows(m *Model, col Column, desc bool, filter string) Page[TraceListRow] {
	return m.Traces(Query{Sort: col, Desc: desc, Filter: filter, Limit: 1000})
}

func rowNames(rows []TraceListRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Name
	}
	return out
}

// threeTraces stores: A (2 services, 3 spans, 1 error, 300ms), B (1 span,
// 50ms, the latest start), C (root in flight with one finished child).
func threeTraces(m *Model, t0 time.Time) {
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "GET /a", service: "front", start: t0, dur: 300 * time.Millisecond},
		spec{trace: 1, span: 2, parent: 1, name: "query", service: "db", start: t0.Add(10 * time.Millisecond), dur: 100 * time.Millisecond, status: StatusError},
		spec{trace: 1, span: 3, parent: 1, name: "render", service: "front", start: t0.Add(200 * time.Millisecond), dur: 50 * time.Millisecond},
		spec{trace: 2, span: 4, name: "cron", service: "batch", start: t0.Add(2 * time.Second), dur: 50 * time.Millisecond},
		spec{trace: 3, span: 5, name: "POST /b", service: "front", start: t0.Add(time.Second), inflight: true},
		spec{trace: 3, span: 6, parent: 5, name: "call", service: "front", start: t0.Add(time.Second), dur: 20 * time.Millisecond},
	))
}

func TestTracesRowFields(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-10 * time.Second)
	threeTraces(m, t0)
	p := traceRows(m, TraceColStart, false, "")
	if p.Total != 3 || len(p.Rows) != 3 {
		t.Fatalf("total %d rows %d, want 3", p.Total, len(p.Rows))
	}
	a, c, b := p.Rows[0], p.Rows[1], p.Rows[2]
	if a.Name != "GET /a" || a.RootMissing || a.Spans != 3 || a.Errors != 1 || a.Running != 0 ||
		a.ServiceCount != 2 || !slices.Equal(a.Services, []string{"front", "db"}) ||
		a.Duration != 300*time.Millisecond || !a.Start.Equal(t0) || a.TraceID != traceID(1) {
		t.Errorf("trace A row: %+v", a)
	}
	if b.Name != "cron" || b.Spans != 1 || b.Duration != 50*time.Millisecond {
		t.Errorf("trace B row: %+v", b)
	}
	// In flight: the root runs for 9s by the clock; its duration so far.
	if c.Name != "POST /b" || c.Running != 1 || c.Spans != 2 || c.Duration != 9*time.Second {
		t.Errorf("trace C row: %+v", c)
	}
	clk.Advance(time.Second)
	if c2 := traceRows(m, TraceColStart, false, "").Rows[1]; c2.Duration != 10*time.Second {
		t.Errorf("in flight duration after 1s: %v, want 10s", c2.Duration)
	}
	// The root ends: no longer in flight.
	m.Apply(m.batch(spec{trace: 3, span: 5, name: "POST /b", service: "front", start: t0.Add(time.Second), dur: 4 * time.Second}))
	c3 := traceRows(m, TraceColStart, false, "").Rows[1]
	if c3.Running != 0 || c3.Duration != 4*time.Second || c3.Spans != 2 || c3.Version == c.Version {
		t.Errorf("trace C after its root ended: %+v (version before %d)", c3, c.Version)
	}
}

func TestTracesOrderEveryColumn(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-10 * time.Second)
	threeTraces(m, t0)
	want := map[Column][]string{
		TraceColID:       {"GET /a", "cron", "POST /b"},
		TraceColName:     {"GET /a", "POST /b", "cron"},
		TraceColServices: {"cron", "POST /b", "GET /a"}, // 1, 1, 2: ties by arrival
		TraceColSpans:    {"cron", "POST /b", "GET /a"},
		TraceColErrors:   {"cron", "POST /b", "GET /a"},
		TraceColDuration: {"cron", "GET /a", "POST /b"}, // in flight 9s merged in
		TraceColStart:    {"GET /a", "POST /b", "cron"},
		TraceColInFlight: {"GET /a", "cron", "POST /b"},
	}
	for col := range TraceColumns {
		for _, desc := range []bool{false, true} {
			w := slices.Clone(want[col])
			if desc {
				slices.Reverse(w)
			}
			// The tree (no filter) and the scan (a filter matching all)
			// answer alike.
			for _, filter := range []string{"", "dur>=0s"} {
				got := rowNames(traceRows(m, col, desc, filter).Rows)
				if !slices.Equal(got, w) {
					t.Errorf("column %d desc %v filter %q: %q, want %q", col, desc, filter, got, w)
				}
			}
		}
	}
}

func TestTracesFilterFields(t *testing.T) {
	m, clk := newTestModel(Config{})
	threeTraces(m, clk.Now().Add(-10*time.Second))
	hexA := traceID(1).String()
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{"trace=" + hexA, []string{"GET /a"}},
		{"trace=" + hexA[:10], []string{"GET /a", "POST /b", "cron"}}, // the test IDs share it
		{hexA, []string{"GET /a"}},                                    // a pasted ID as free text
		{"dur>200ms", []string{"GET /a", "POST /b"}},
		{"dur<100ms", []string{"cron"}},
		{"service=db", []string{"GET /a"}},
		{"service=front", []string{"GET /a", "POST /b"}},
		{"service!=front", []string{"cron"}},
		{"status=error", []string{"GET /a"}},
		{"status!=error", []string{"POST /b", "cron"}},
		{"name=cron", []string{"cron"}},
		{"name=POST /b", []string{"POST /b"}},
		{"state=running", []string{"POST /b"}},
		{"spans>1", []string{"GET /a", "POST /b"}},
		{"errors>0", []string{"GET /a"}},
		{"front dur>1s", []string{"POST /b"}},
	} {
		p := traceRows(m, TraceColStart, false, c.filter)
		if got := rowNames(p.Rows); !slices.Equal(got, c.want) || p.FilterErr != "" {
			t.Errorf("filter %q: %q (err %q), want %q", c.filter, got, p.FilterErr, c.want)
		}
	}
	if p := traceRows(m, TraceColStart, false, "kind=server"); p.FilterErr == "" || p.Total != 3 {
		t.Errorf("a field traces do not have: err %q total %d, want an error and no filter", p.FilterErr, p.Total)
	}
}

func TestTracesRootMissingThenArrives(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Second)
	m.Apply(m.batch(
		spec{trace: 7, span: 2, parent: 1, name: "child late", service: "b", start: t0.Add(20 * time.Millisecond), dur: time.Millisecond},
		spec{trace: 7, span: 3, parent: 1, name: "child early", service: "b", start: t0.Add(10 * time.Millisecond), dur: time.Millisecond},
	))
	r := traceRows(m, TraceColStart, false, "").Rows[0]
	if r.Name != "child early" || !r.RootMissing {
		t.Fatalf("without its root: %q missing=%v, want the earliest span, marked", r.Name, r.RootMissing)
	}
	m.Apply(m.batch(spec{trace: 7, span: 1, name: "GET /root", service: "a", start: t0, dur: 50 * time.Millisecond}))
	r2 := traceRows(m, TraceColStart, false, "").Rows[0]
	if r2.Name != "GET /root" || r2.RootMissing || r2.Version <= r.Version || r2.ID != r.ID || r2.ServiceCount != 2 {
		t.Fatalf("after the root arrived: %+v (version before %d)", r2, r.Version)
	}
	// Sorted by name, the tree moved it.
	if got := rowNames(traceRows(m, TraceColName, false, "").Rows); !slices.Equal(got, []string{"GET /root"}) {
		t.Fatalf("by name: %q", got)
	}
}

func TestTracesRetentionRemovesHolders(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Minute})
	t0 := clk.Now()
	traceRows(m, TraceColName, false, "") // a tree on Name, kept by the writer
	// The root finishes first and goes first: the name falls back.
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "root", service: "a", start: t0, dur: time.Millisecond}))
	clk.Advance(30 * time.Second)
	m.Apply(m.batch(spec{trace: 1, span: 2, parent: 1, name: "zz child", service: "b", start: t0.Add(time.Millisecond), dur: 2 * time.Second},
		spec{trace: 2, span: 3, name: "other", service: "a", start: t0, dur: time.Millisecond}))
	clk.Advance(40 * time.Second)
	m.Sweep() // the root is past retention
	p := traceRows(m, TraceColName, false, "name=zz child")
	if p.Total != 1 || p.Rows[0].Name != "zz child" || !p.Rows[0].RootMissing || p.Rows[0].Spans != 1 ||
		p.Rows[0].ServiceCount != 1 || p.Rows[0].Services[0] != "b" || p.Rows[0].Duration != 2*time.Second {
		t.Fatalf("after the root went: %+v", p)
	}
	clk.Advance(time.Minute)
	m.Sweep()
	if p := traceRows(m, TraceColName, false, ""); p.Total != 0 || len(m.tl.live)+m.tl.tree.size != 0 {
		t.Fatalf("after every span went: total %d, tree %d", p.Total, m.tl.tree.size)
	}
}

func TestTracesAnchorKeepsSelection(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Minute)
	var specs []spec
	for i := range 50 {
		specs = append(specs, spec{trace: uint64(i + 1), span: uint64(i + 1), name: fmt.Sprintf("op%02d", i), service: "s",
			start: t0.Add(time.Duration(i) * time.Millisecond), dur: time.Duration(i+1) * time.Millisecond})
	}
	m.Apply(m.batch(specs...))
	p := m.Traces(Query{Sort: TraceColDuration, Desc: true, Limit: 10, Offset: 20})
	anchor := p.Rows[3]
	p2 := m.Traces(Query{Sort: TraceColDuration, Desc: true, Limit: 10, Anchor: anchor.ID, Move: 1, Row: 5})
	if p2.Selected != 5 || p2.Rows[5].Name != "op25" || p2.Offset != 19 {
		t.Fatalf("anchor %s moved by 1 at row 5: offset %d selected %d %q", anchor.Name, p2.Offset, p2.Selected, rowNames(p2.Rows))
	}
}

// TestTracesRandomAgainstScan applies random spans (in flight, ended,
// errors, late roots) and retention, and checks the writer's rows and
// tree against a walk of every trace and a scan, for every column.
func TestTracesRandomAgainstScan(t *testing.T) {
	// Spans linger out of the live tables before they leave the store.
	m, clk := newTestModel(Config{Linger: 5 * time.Second, Retain: 20 * time.Second})
	rng := rand.New(rand.NewPCG(1, 2))
	traceRows(m, TraceColDuration, false, "")
	nextSpan := uint64(1)
	type live struct{ trace, span, parent uint64 }
	var running []live
	for round := range 60 {
		var specs []spec
		for range 30 {
			tr := uint64(rng.IntN(40) + 1 + round/10*15) // older traces stop growing and age out
			now := clk.Now()
			switch k := rng.IntN(10); {
			case k < 2 && len(running) > 0: // end a running span
				j := rng.IntN(len(running))
				r := running[j]
				running = slices.Delete(running, j, j+1)
				specs = append(specs, spec{trace: r.trace, span: r.span, parent: r.parent, name: "run", service: "s",
					start: now.Add(-time.Second), dur: time.Duration(rng.IntN(2000)) * time.Millisecond})
			default:
				var parent uint64
				if rng.IntN(3) > 0 {
					parent = uint64(rng.IntN(int(nextSpan))) + 1
				}
				s := spec{trace: tr, span: nextSpan, parent: parent, name: fmt.Sprintf("n%d", rng.IntN(7)),
					service: fmt.Sprintf("svc%d", rng.IntN(4)), start: now.Add(-time.Duration(rng.IntN(30000)) * time.Millisecond),
					dur: time.Duration(rng.IntN(30000)) * time.Millisecond}
				if rng.IntN(5) == 0 {
					s.status = StatusError
				}
				if rng.IntN(6) == 0 {
					s.inflight = true
					running = append(running, live{tr, nextSpan, parent})
				}
				nextSpan++
				specs = append(specs, s)
			}
		}
		m.Apply(m.batch(specs...))
		clk.Advance(time.Second)
		if round%5 == 0 {
			m.Sweep()
		}
		checkTracesAgainstWalk(t, m)
		col := Column(round % int(TraceColumns))
		desc := round%2 == 0
		a, b := traceRows(m, col, desc, ""), traceRows(m, col, desc, "dur>=0s")
		if !slices.EqualFunc(a.Rows, b.Rows, func(x, y TraceListRow) bool { return x.ID == y.ID }) {
			t.Fatalf("round %d column %d desc %v: tree %q, scan %q", round, col, desc, rowNames(a.Rows), rowNames(b.Rows))
		}
	}
}

// checkTracesAgainstWalk recomputes every trace's row from its spans.
func checkTracesAgainstWalk(t *testing.T, m *Model) {
	t.Helper()
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if n := len(m.tr.byKey); n != len(m.tl.recs)-len(m.tl.free) {
		t.Fatalf("%d traces, %d rows", n, len(m.tl.recs)-len(m.tl.free))
	}
	// Between batches no change is half done: a part left pending is
	// scanned by every later change (and its bytes are counted nowhere).
	if n := len(m.tl.pending); n != 0 {
		t.Fatalf("%d spans' parts still pending after the batch", n)
	}
	for _, tr := range m.tr.byKey {
		got := m.traceListRow(tr, now)
		var spans, errs, run int
		var start, end int64 = 1 << 62, 0
		var rootStart int64 = 1 << 62
		root, first := "", ""
		svcs := map[uint32]bool{}
		for slot := tr.head; slot != noSlot; {
			c, i := m.store.at(slot)
			p := m.partOf(slot)
			spans++
			if p.err {
				errs++
			}
			if p.running {
				run++
			} else {
				end = max(end, p.end)
			}
			svcs[p.svc] = true
			if p.start < start {
				start, first = p.start, m.syms.String(c.name[i])
			}
			if p.root && p.start < rootStart {
				rootStart, root = p.start, m.syms.String(c.name[i])
			}
			slot = c.cold[i].nextT
		}
		name, missing := root, false
		if rootStart == 1<<62 {
			name, missing = first, true
		}
		if end == 0 {
			end = start
		}
		if run > 0 {
			end = max(end, now)
		}
		want := fmt.Sprintf("%d %d %d %d %d %q %v", spans, errs, run, len(svcs), end-start, name, missing)
		have := fmt.Sprintf("%d %d %d %d %d %q %v", got.Spans, got.Errors, got.Running, got.ServiceCount, int64(got.Duration), got.Name, got.RootMissing)
		if want != have || got.Start.UnixNano() != start {
			t.Fatalf("trace %s: row %s, its spans %s", strings.TrimLeft(got.TraceID.String(), "0"), have, want)
		}
	}
}

// With a writer running, a new sort column's tree is built in the
// background while queries scan; traces that change, arrive or go while
// it is sorted are brought up to date when it is installed.
func TestTracesBuildWhileWriting(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Hour})
	t0 := clk.Now().Add(-time.Minute)
	var specs []spec
	for i := range 300 {
		specs = append(specs, spec{trace: uint64(i%100 + 1), span: uint64(i + 1), parent: uint64(i%100 + 1000),
			name: fmt.Sprintf("n%03d", i), service: fmt.Sprintf("s%d", i%3), start: t0.Add(time.Duration(i) * time.Millisecond),
			dur: time.Duration(i%17) * time.Millisecond})
	}
	m.Apply(m.batch(specs...))
	paused, release := make(chan struct{}), make(chan struct{})
	traceBuildPause = func() { close(paused); <-release }
	defer func() { traceBuildPause = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan *Batch)
	go m.Run(ctx, in)
	for !m.writing.Load() {
		time.Sleep(time.Millisecond)
	}

	// The first query on Name scans and asks the writer for the tree.
	scan := traceRows(m, TraceColName, false, "")
	if scan.Total != 100 {
		t.Fatalf("while building: total %d", scan.Total)
	}
	<-paused
	// Meanwhile: roots arrive (names change), spans end, traces come.
	var more []spec
	for i := range 30 {
		more = append(more, spec{trace: uint64(i*3 + 1), span: uint64(i*3 + 1000 + 1), name: fmt.Sprintf("a root %02d", i),
			service: "s9", start: t0.Add(-time.Second), dur: time.Second})
		more = append(more, spec{trace: uint64(200 + i), span: uint64(5000 + i), name: fmt.Sprintf("new %02d", i), service: "s1",
			start: t0, inflight: true})
	}
	in <- m.batch(more...)
	in <- &Batch{} // the writer has applied the batch before it takes the next
	m.mu.RLock()
	building := m.tl.build.on
	m.mu.RUnlock()
	if p := traceRows(m, TraceColName, false, ""); p.Total != 130 || !building {
		t.Fatalf("scanning while the tree is sorted: total %d, want 130 (building %v)", p.Total, building)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m.mu.RLock()
		ready := m.tl.built && m.tl.col == TraceColName
		m.mu.RUnlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tree was never installed")
		}
		traceRows(m, TraceColName, false, "")
		time.Sleep(time.Millisecond)
	}
	tree, scanned := traceRows(m, TraceColName, false, ""), traceRows(m, TraceColName, false, "dur>=0s")
	if tree.Total != 130 || !slices.Equal(rowNames(tree.Rows), rowNames(scanned.Rows)) {
		t.Fatalf("installed tree: %d rows %q\nscan: %q", tree.Total, rowNames(tree.Rows), rowNames(scanned.Rows))
	}
	if tree.Rows[0].Name != "a root 00" {
		t.Fatalf("a root that arrived during the build is not first: %q", tree.Rows[0].Name)
	}
	checkTracesAgainstWalk(t, m)
}
