package model

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// wholeTrace returns every row of trace 1.
func wholeTrace(m *Model, collapsed ...uint64) TraceView {
	return m.Trace(TraceQuery{TraceID: traceID(1), Collapsed: collapsed, Limit: 1 << 20})
}

// outline renders rows as "depth:name" with flags, for compact comparisons.
func outline(rows []TraceRow) string {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(' ')
		}
		name := r.Name
		if r.Missing {
			name = "?" + r.SpanID.String()[12:]
		}
		fmt.Fprintf(&b, "%d:%s", r.Depth, name)
		if r.Critical {
			b.WriteByte('*')
		}
		if r.Orphan {
			b.WriteByte('o')
		}
		if r.Collapsed {
			fmt.Fprintf(&b, "+%d", r.Hidden)
		}
	}
	return b.String()
}

func TestTraceTreeOrder(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Second)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// Applied out of order, across services.
	m.Apply(m.batch(
		spec{trace: 1, span: 5, parent: 2, name: "b1", service: "db", start: at(25), dur: 10 * time.Millisecond},
		spec{trace: 1, span: 3, parent: 1, name: "b", service: "api", start: at(20), dur: 30 * time.Millisecond},
		spec{trace: 1, span: 1, name: "root", service: "web", start: at(0), dur: 100 * time.Millisecond},
		spec{trace: 1, span: 2, parent: 1, name: "a", service: "api", start: at(10), dur: 30 * time.Millisecond},
		spec{trace: 1, span: 4, parent: 3, name: "c", service: "api", start: at(22), dur: 5 * time.Millisecond},
		spec{trace: 2, span: 9, name: "other trace", start: at(0), dur: time.Millisecond},
	))
	v := wholeTrace(m)
	if !v.Found || v.Spans != 5 || v.Total != 5 || v.Roots != 1 || v.Orphans != 0 {
		t.Fatalf("view = %+v", v)
	}
	if got, want := outline(v.Rows), "0:root* 1:a 2:b1 1:b* 2:c*"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
	if v.Duration != 100*time.Millisecond || !v.Start.Equal(t0) || v.Root != "root" {
		t.Errorf("extent %v from %v, root %q", v.Duration, v.Start, v.Root)
	}
	if !slices.Equal(v.Services, []string{"web", "api", "db"}) {
		t.Errorf("services = %v", v.Services)
	}
	b1 := v.Rows[2]
	if b1.Offset != 25*time.Millisecond || b1.Duration != 10*time.Millisecond || b1.Service != "db" || !b1.Last {
		t.Errorf("b1 = %+v", b1)
	}
	// a is not the last child of root, so a line runs down past b1.
	if v.Rows[1].Last || b1.Guides != 1 || v.Rows[4].Guides != 0 || v.Rows[0].Children != 2 {
		t.Errorf("guides: a.last=%v b1=%b c=%b", v.Rows[1].Last, b1.Guides, v.Rows[4].Guides)
	}
	// The same trace by a display ID of one of its spans.
	if w := m.Trace(TraceQuery{Span: v.Rows[3].ID, Limit: 10}); w.TraceID != traceID(1) || w.Total != 5 {
		t.Errorf("by span: %+v", w)
	}
	if w := m.Trace(TraceQuery{TraceID: traceID(77), Limit: 10}); w.Found || len(w.Rows) != 0 {
		t.Errorf("unknown trace found: %+v", w)
	}
}

func TestTraceOrphansUnderMissingParent(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Second)
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "root", start: t0, dur: 50 * time.Millisecond},
		spec{trace: 1, span: 2, parent: 99, name: "lost-kid-1", start: t0.Add(5 * time.Millisecond), dur: time.Millisecond},
		spec{trace: 1, span: 3, parent: 99, name: "lost-kid-2", start: t0.Add(2 * time.Millisecond), dur: time.Millisecond},
		spec{trace: 1, span: 4, parent: 98, name: "other-orphan", start: t0.Add(-time.Millisecond), dur: 200 * time.Millisecond},
		spec{trace: 1, span: 5, parent: 4, name: "grandkid", start: t0, dur: time.Millisecond},
	))
	v := wholeTrace(m)
	want := "0:?0062* 1:other-orphan*o 2:grandkid* 0:root 0:?0063 1:lost-kid-2o 1:lost-kid-1o"
	if got := outline(v.Rows); got != want {
		t.Errorf("rows = %s\nwant   %s", got, want)
	}
	if v.Spans != 5 || v.Orphans != 3 || v.Roots != 1 || v.Total != 7 {
		t.Errorf("counts: %+v", v)
	}
	mk := v.Rows[0]
	if !mk.Missing || mk.ID != missingParentID(spanID(98)) || mk.SpanID != spanID(98) || mk.Children != 1 || mk.Name != "" {
		t.Errorf("marker = %+v", mk)
	}
	if v.Rows[4].Duration != 4*time.Millisecond { // the marker spans its orphans
		t.Errorf("marker extent %v", v.Rows[4].Duration)
	}
}

func TestTraceCriticalPath(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Second)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	sp := func(span, parent uint64, name string, from, to int) spec {
		return spec{trace: 1, span: span, parent: parent, name: name, start: t0.Add(ms(from)), dur: ms(to - from)}
	}
	m.Apply(m.batch(
		sp(1, 0, "root", 0, 100),
		sp(2, 1, "auth", 0, 30),     // ends before cache starts: on the path
		sp(3, 1, "cache", 35, 95),   // ends last
		sp(4, 1, "audit", 40, 90),   // overlaps cache: off the path
		sp(5, 1, "prefetch", 5, 33), // ends after auth's start, before cache: on the path, auth then isn't
		sp(6, 3, "get", 40, 60),
		sp(7, 3, "set", 61, 94),
		sp(8, 7, "async", 70, 150), // outlives its parent: counts to the parent's end
	))
	v := wholeTrace(m)
	got := outline(v.Rows)
	want := "0:root* 1:auth 1:prefetch* 1:cache* 2:get* 2:set* 3:async* 1:audit"
	if got != want {
		t.Errorf("critical path:\n got %s\nwant %s", got, want)
	}
	if v.Critical != 6 {
		t.Errorf("critical count %d", v.Critical)
	}
	// The trace's extent includes the span that outlives its parent.
	if v.Duration != ms(150) {
		t.Errorf("extent %v", v.Duration)
	}
}

// TestTraceCriticalPathLateChildren: a call made with the context of a
// span that had ended (the span's ctx kept by mistake) is still what its
// grandparent waited for; work left running past the root is not.
func TestTraceCriticalPathLateChildren(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Second)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	sp := func(span, parent uint64, name string, from, to int) spec {
		return spec{trace: 1, span: span, parent: parent, name: name, start: t0.Add(ms(from)), dur: ms(to - from)}
	}
	m.Apply(m.batch(
		sp(1, 0, "POST /api/checkout", 0, 200),
		sp(2, 1, "session.load", 0, 4),
		sp(3, 2, "POST /checkout", 5, 198), // parented on the ended session.load
		sp(4, 3, "POST /charge", 10, 190),
		sp(5, 1, "audit", 150, 170),     // overlaps the call: off the path
		sp(6, 4, "notify", 191, 900),    // starts after its parent, outlives everything: left out
		sp(7, 4, "fraud.score", 20, 60), // before notify: on the path
	))
	got := outline(wholeTrace(m).Rows)
	want := "0:POST /api/checkout* 1:session.load* 2:POST /checkout* 3:POST /charge* 4:fraud.score* 4:notify 1:audit"
	if got != want {
		t.Errorf("critical path:\n got %s\nwant %s", got, want)
	}
}

func TestTraceCollapse(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Second)
	var specs []spec
	specs = append(specs, spec{trace: 1, span: 1, name: "root", start: t0, dur: time.Second})
	for i := range uint64(3) {
		specs = append(specs, spec{trace: 1, span: 10 + i, parent: 1, name: fmt.Sprint("mid", i), start: t0.Add(time.Duration(i) * time.Millisecond), dur: time.Millisecond})
		for j := range uint64(4) {
			specs = append(specs, spec{trace: 1, span: 100 + 10*i + j, parent: 10 + i, name: fmt.Sprint("leaf", i, j),
				start: t0.Add(time.Duration(i)*time.Millisecond + time.Duration(j)*time.Microsecond), dur: time.Microsecond})
		}
	}
	m.Apply(m.batch(specs...))
	v := wholeTrace(m)
	if v.Total != 16 {
		t.Fatalf("total %d", v.Total)
	}
	mid1 := v.Rows[6] // root, mid0, 4 leaves, mid1
	if mid1.Name != "mid1" {
		t.Fatalf("row 6 = %s", mid1.Name)
	}
	leaf := v.Rows[8].ID // leaf11
	c := wholeTrace(m, mid1.ID)
	if c.Total != 12 || !c.Rows[6].Collapsed || c.Rows[6].Hidden != 4 || c.Rows[7].Name != "mid2" {
		t.Fatalf("collapsed: total %d rows %s", c.Total, outline(c.Rows))
	}
	// A leaf or an unknown ID in the set changes nothing.
	if c2 := wholeTrace(m, mid1.ID, leaf, 12345); c2.Total != 12 {
		t.Errorf("with leaf and unknown IDs: total %d", c2.Total)
	}
	// An anchor hidden by a collapsed ancestor selects that ancestor.
	w := m.Trace(TraceQuery{TraceID: traceID(1), Collapsed: []uint64{mid1.ID}, Anchor: leaf, Row: 2, Limit: 5})
	if w.Offset != 4 || w.Selected != 2 || w.Rows[w.Selected].ID != mid1.ID {
		t.Errorf("anchored: offset %d selected %d rows %s", w.Offset, w.Selected, outline(w.Rows))
	}
	// Moving from it goes on past the hidden rows.
	w = m.Trace(TraceQuery{TraceID: traceID(1), Collapsed: []uint64{mid1.ID}, Anchor: mid1.ID, Move: 1, Row: 0, Limit: 5})
	if w.Rows[w.Selected].Name != "mid2" {
		t.Errorf("moved to %s", w.Rows[w.Selected].Name)
	}
	// Collapsing the root leaves one row.
	if r := wholeTrace(m, v.Rows[0].ID); r.Total != 1 || r.Rows[0].Hidden != 15 {
		t.Errorf("root collapsed: %d rows, hidden %d", r.Total, r.Rows[0].Hidden)
	}
	// Many collapsed IDs (the map-backed set).
	var all []uint64
	for _, r := range v.Rows {
		all = append(all, r.ID)
	}
	if r := wholeTrace(m, all[1:]...); r.Total != 1+3 {
		t.Errorf("all mids collapsed: %d rows", r.Total)
	}
}

func TestTraceInFlight(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now()
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "root", start: t0, inflight: true, seq: 1},
		spec{trace: 1, span: 2, parent: 1, name: "done", start: t0, dur: 100 * time.Millisecond},
		spec{trace: 1, span: 3, parent: 1, name: "slow", start: t0.Add(50 * time.Millisecond), inflight: true, seq: 1},
	))
	clk.Advance(300 * time.Millisecond)
	v := wholeTrace(m)
	if v.Running != 2 || v.Duration != 300*time.Millisecond {
		t.Fatalf("running %d extent %v", v.Running, v.Duration)
	}
	if got := outline(v.Rows); got != "0:root* 1:done 1:slow*" {
		t.Errorf("rows %s", got)
	}
	slow := v.Rows[2]
	if slow.State != StateRunning || slow.Duration != 250*time.Millisecond || slow.Offset != 50*time.Millisecond {
		t.Errorf("slow = %+v", slow)
	}
	clk.Advance(time.Second) // the bars grow with the clock
	if v = wholeTrace(m); v.Rows[2].Duration != 1250*time.Millisecond || v.Duration != 1300*time.Millisecond {
		t.Errorf("after 1s: %v of %v", v.Rows[2].Duration, v.Duration)
	}
}

func TestTraceParentLoops(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Second)
	m.Apply(m.batch(
		spec{trace: 1, span: 1, parent: 2, name: "a", start: t0, dur: time.Millisecond},
		spec{trace: 1, span: 2, parent: 3, name: "b", start: t0, dur: time.Millisecond},
		spec{trace: 1, span: 3, parent: 1, name: "c", start: t0, dur: time.Millisecond},
		spec{trace: 1, span: 4, parent: 4, name: "self", start: t0, dur: time.Millisecond},
		spec{trace: 1, span: 5, parent: 3, name: "d", start: t0, dur: time.Millisecond},
	))
	v := wholeTrace(m)
	if v.Total != 5 || len(v.Rows) != 5 {
		t.Fatalf("rows %s", outline(v.Rows))
	}
	seen := map[string]int{}
	loops := 0
	for _, r := range v.Rows {
		seen[r.Name]++
		if r.Loop {
			loops++
			if r.Depth != 0 {
				t.Errorf("loop node %s at depth %d", r.Name, r.Depth)
			}
		}
	}
	if len(seen) != 5 || loops != 2 {
		t.Errorf("seen %v, %d loops cut", seen, loops)
	}
}

// naiveTree is the waterfall built the obvious way, for the property test.
type naiveSpan struct {
	id, span, parent uint64
	name             string
	start, end       int64
}

func naiveRows(spans []naiveSpan) (order []string, depth []int, critical map[string]bool) {
	byID := map[uint64]*naiveSpan{}
	for i := range spans {
		byID[spans[i].span] = &spans[i]
	}
	type node struct {
		name       string
		id         uint64
		start, end int64
		kids       []*node
	}
	nodes := map[uint64]*node{}
	for _, s := range spans {
		nodes[s.span] = &node{name: s.name, id: s.id, start: s.start, end: s.end}
	}
	var tops []*node
	markers := map[uint64]*node{}
	for _, s := range spans {
		n := nodes[s.span]
		switch {
		case s.parent == 0:
			tops = append(tops, n)
		case byID[s.parent] != nil:
			p := nodes[s.parent]
			p.kids = append(p.kids, n)
		default:
			mk := markers[s.parent]
			if mk == nil {
				mk = &node{name: fmt.Sprint("?", s.parent), id: missingParentID(spanID(s.parent)), start: n.start, end: n.end}
				markers[s.parent] = mk
				tops = append(tops, mk)
			}
			mk.kids = append(mk.kids, n)
			mk.start, mk.end = min(mk.start, n.start), max(mk.end, n.end)
		}
	}
	sortNodes := func(ns []*node) {
		slices.SortFunc(ns, func(a, b *node) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.id, b.id)) })
	}
	var walk func(n *node, d int)
	walk = func(n *node, d int) {
		order = append(order, n.name)
		depth = append(depth, d)
		sortNodes(n.kids)
		for _, k := range n.kids {
			walk(k, d+1)
		}
	}
	sortNodes(tops)
	for _, n := range tops {
		walk(n, 0)
	}
	critical = map[string]bool{}
	// A child that starts after its parent ended belongs, for the path,
	// to its nearest ancestor containing it whole, if any.
	parentOf := map[*node]*node{}
	var link func(n *node)
	link = func(n *node) {
		for _, k := range n.kids {
			parentOf[k] = n
			link(k)
		}
	}
	for _, n := range tops {
		link(n)
	}
	cpKids := map[*node][]*node{}
	var hoist func(n *node)
	hoist = func(n *node) {
		for _, k := range n.kids {
			p := n
			if k.start >= n.end && k.start != n.start {
				for p = parentOf[n]; p != nil && !(k.start < p.end && k.end <= p.end); p = parentOf[p] {
				}
			}
			if p != nil {
				cpKids[p] = append(cpKids[p], k)
			}
			hoist(k)
		}
	}
	for _, n := range tops {
		hoist(n)
	}
	for p, ks := range cpKids {
		sortNodes(ks)
		p.kids = ks
	}
	for _, n := range nodes {
		if _, ok := cpKids[n]; !ok {
			n.kids = nil
		}
	}
	for _, n := range markers {
		if _, ok := cpKids[n]; !ok {
			n.kids = nil
		}
	}
	// Each span is trimmed to its parent's (trimmed) end.
	var cp func(n *node, eff int64)
	cp = func(n *node, eff int64) {
		critical[n.name] = true
		bound := eff
		kids := n.kids
		for {
			var best *node
			for _, k := range kids {
				if k.start >= eff && k.start != n.start {
					continue
				}
				e := min(k.end, eff)
				if e <= bound && (best == nil || e > min(best.end, eff)) {
					best = k
				}
			}
			if best == nil {
				return
			}
			cp(best, min(best.end, eff))
			bound = best.start
			// A child passed over once is never taken later.
			var rest []*node
			for _, k := range kids {
				if k != best && min(k.end, eff) <= bound {
					rest = append(rest, k)
				}
			}
			kids = rest
		}
	}
	var last *node
	for _, n := range tops {
		if last == nil || n.end > last.end {
			last = n
		}
	}
	if last != nil {
		cp(last, last.end)
	}
	return order, depth, critical
}

// TestTraceMatchesNaiveBuilder compares the waterfall of random traces
// (missing parents, equal start times, children outliving parents) with
// the obvious recursive construction, whole and through random windows
// and collapsed sets.
func TestTraceMatchesNaiveBuilder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		m, clk := newTestModel(Config{})
		t0 := clk.Now().Add(-time.Hour)
		n := 1 + rng.IntN(60)
		var specs []spec
		var naive []naiveSpan
		for i := range n {
			s := spec{trace: 1, span: uint64(i + 1), name: fmt.Sprint("s", i), start: t0.Add(time.Duration(rng.IntN(20)) * time.Millisecond),
				dur: time.Duration(rng.IntN(30)) * time.Millisecond}
			switch r := rng.IntN(10); {
			case i == 0 || r == 0:
			case r == 1:
				s.parent = uint64(1000 + rng.IntN(3)) // never sent
			default:
				s.parent = uint64(1 + rng.IntN(i)) // an earlier span: no loops
			}
			specs = append(specs, s)
			naive = append(naive, naiveSpan{id: uint64(i + 1), span: s.span, parent: s.parent, name: s.name,
				start: s.start.UnixNano(), end: s.start.Add(s.dur).UnixNano()})
		}
		rng.Shuffle(len(specs), func(a, b int) { specs[a], specs[b] = specs[b], specs[a] })
		// Display IDs follow the order of arrival.
		for i, s := range specs {
			for k := range naive {
				if naive[k].span == s.span {
					naive[k].id = uint64(i + 1)
				}
			}
		}
		m.Apply(m.batch(specs...))
		order, depth, critical := naiveRows(naive)
		v := wholeTrace(m)
		if len(v.Rows) != len(order) {
			t.Fatalf("round %d: %d rows, naive %d", round, len(v.Rows), len(order))
		}
		for i, r := range v.Rows {
			name := r.Name
			if r.Missing {
				name = fmt.Sprint("?", uint64(r.ID&^(1<<63)))
			}
			if name != order[i] || r.Depth != depth[i] || r.Critical != critical[name] {
				t.Fatalf("round %d row %d: %s depth %d critical %v; naive %s depth %d critical %v\n%s",
					round, i, name, r.Depth, r.Critical, order[i], depth[i], critical[order[i]], outline(v.Rows))
			}
		}
		// Windows of the collapsed view agree with cutting the whole view.
		var folded []uint64
		for _, r := range v.Rows {
			if r.Children > 0 && rng.IntN(4) == 0 {
				folded = append(folded, r.ID)
			}
		}
		full := wholeTrace(m, folded...)
		var want []uint64
		skipBelow := -1
		for _, r := range v.Rows {
			if skipBelow >= 0 && r.Depth > skipBelow {
				continue
			}
			skipBelow = -1
			want = append(want, r.ID)
			if slices.Contains(folded, r.ID) {
				skipBelow = r.Depth
			}
		}
		if full.Total != len(want) {
			t.Fatalf("round %d: collapsed total %d, want %d", round, full.Total, len(want))
		}
		for range 5 {
			off, lim := rng.IntN(len(want)+2), 1+rng.IntN(10)
			w := m.Trace(TraceQuery{TraceID: traceID(1), Collapsed: folded, Offset: off, Limit: lim})
			from := min(off, max(len(want)-lim, 0))
			exp := want[from:min(from+lim, len(want))]
			got := make([]uint64, len(w.Rows))
			for i, r := range w.Rows {
				got[i] = r.ID
			}
			if w.Offset != from || !slices.Equal(got, exp) {
				t.Fatalf("round %d window off=%d lim=%d: got offset %d %v, want %d %v", round, off, lim, w.Offset, got, from, exp)
			}
		}
	}
}
