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

// treeOutline renders tree-mode rows as "depth:name" ("o" marks orphans).
func treeOutline(rows []TaskRow) string {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%s", r.Depth, r.Name)
		if r.Orphan {
			b.WriteByte('o')
		}
	}
	return b.String()
}

func TestTreeModeOrder(t *testing.T) {
	m, clk := newTestModel(Config{})
	t0 := clk.Now().Add(-time.Minute)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "a-root", start: t0, dur: ms(500)},
		spec{trace: 1, span: 2, parent: 1, name: "a-fast", start: t0, dur: ms(10)},
		spec{trace: 1, span: 3, parent: 1, name: "a-slow", start: t0, dur: ms(300)},
		spec{trace: 1, span: 4, parent: 3, name: "a-leaf", start: t0, dur: ms(100)},
		spec{trace: 2, span: 5, name: "b-root", start: t0, dur: ms(900)},
		spec{trace: 2, span: 6, parent: 5, name: "b-kid", start: t0, dur: ms(20)},
		spec{trace: 3, span: 7, parent: 42, name: "c-orphan", start: t0, dur: ms(50)},
	))
	p := m.Tasks(Query{Sort: TaskTotal, Desc: true, Tree: true, Limit: 20})
	if got, want := treeOutline(p.Rows), "0:b-root 1:b-kid 0:a-root 1:a-slow 2:a-leaf 1:a-fast 0:c-orphano"; got != want {
		t.Errorf("total desc:\n got %s\nwant %s", got, want)
	}
	if p.Total != 7 || p.Offset != 0 || p.Selected != 0 {
		t.Errorf("page %d %d %d", p.Total, p.Offset, p.Selected)
	}
	p = m.Tasks(Query{Sort: TaskName, Tree: true, Limit: 20})
	if got, want := treeOutline(p.Rows), "0:a-root 1:a-fast 1:a-slow 2:a-leaf 0:b-root 1:b-kid 0:c-orphano"; got != want {
		t.Errorf("name asc:\n got %s\nwant %s", got, want)
	}
	// a-fast has a later sibling: a line runs past a-leaf... in name order
	// a-slow is last, so none does.
	if leaf := p.Rows[3]; leaf.Guides != 0 || !leaf.Last || p.Rows[1].Last {
		t.Errorf("guides: leaf %+v", leaf)
	}
	// Free text matches the a-spans only; a-leaf matches under a-root
	// even when its parent does not.
	p = m.Tasks(Query{Sort: TaskName, Tree: true, Limit: 20, Filter: "name~^a-(root|leaf|fast)$"})
	if got, want := treeOutline(p.Rows), "0:a-root 1:a-fast 1:a-leaf"; got != want || p.Total != 3 {
		t.Errorf("filtered:\n got %s\nwant %s (total %d)", got, want, p.Total)
	}
	// The anchor keeps the selection in tree mode too.
	p = m.Tasks(Query{Sort: TaskName, Tree: true, Limit: 3, Anchor: 4, Row: 1, Move: 1})
	if p.Rows[p.Selected].Name != "b-root" || p.Offset != 3 {
		t.Errorf("anchored: %s offset %d", treeOutline(p.Rows), p.Offset)
	}
}

// naiveTree lists the spans of a model in tree mode the obvious way.
func naiveTree(m *Model, col Column, desc bool) []TaskRow {
	all := m.Tasks(Query{Sort: TaskID, Limit: 1 << 30}).Rows
	type node struct {
		row  TaskRow
		kids []*node
	}
	byKey := map[string]*node{}
	details := map[uint64]SpanDetail{}
	for _, r := range all {
		d, _ := m.Span(r.ID)
		details[r.ID] = d
		byKey[d.TraceID.String()+d.SpanID.String()] = &node{row: r}
	}
	var tops []*node
	for _, r := range all {
		d := details[r.ID]
		n := byKey[d.TraceID.String()+d.SpanID.String()]
		if p := byKey[d.TraceID.String()+d.Parent.String()]; !d.Parent.IsZero() && p != nil {
			p.kids = append(p.kids, n)
		} else {
			tops = append(tops, n)
		}
	}
	order := func(a, b *node) int {
		var c int
		switch col {
		case TaskTotal:
			c = cmp.Compare(a.row.Total, b.row.Total)
		case TaskName:
			c = strings.Compare(a.row.Name, b.row.Name)
		}
		c = cmp.Or(c, cmp.Compare(a.row.ID, b.row.ID))
		if desc {
			return -c
		}
		return c
	}
	var out []TaskRow
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		r := n.row
		r.Depth = depth
		out = append(out, r)
		slices.SortFunc(n.kids, order)
		for _, k := range n.kids {
			walk(k, depth+1)
		}
	}
	slices.SortFunc(tops, order)
	for _, n := range tops {
		walk(n, 0)
	}
	return out
}

// TestTreeModeMatchesNaive compares tree-mode windows (anchored, moved,
// by offset, at the ends) with the whole tree built the obvious way.
func TestTreeModeMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 40 {
		m, clk := newTestModel(Config{})
		t0 := clk.Now().Add(-time.Minute)
		var specs []spec
		for tr := range 1 + rng.IntN(12) {
			n := 1 + rng.IntN(10)
			for i := range n {
				s := spec{trace: uint64(tr + 1), span: uint64(i + 1), name: fmt.Sprint("n", rng.IntN(6)),
					start: t0.Add(time.Duration(rng.IntN(1000)) * time.Millisecond), dur: time.Duration(rng.IntN(50)) * time.Millisecond}
				switch r := rng.IntN(10); {
				case i == 0 || r == 0:
				case r == 1:
					s.parent = 99 // never sent
				default:
					s.parent = uint64(1 + rng.IntN(i))
				}
				if rng.IntN(8) == 0 {
					s.inflight, s.seq = true, 1
				}
				specs = append(specs, s)
			}
		}
		rng.Shuffle(len(specs), func(a, b int) { specs[a], specs[b] = specs[b], specs[a] })
		m.Apply(m.batch(specs...))
		clk.Advance(time.Duration(rng.IntN(100)) * time.Millisecond)
		for _, col := range []Column{TaskTotal, TaskName, TaskID} {
			for _, desc := range []bool{false, true} {
				want := naiveTree(m, col, desc)
				total := len(want)
				full := m.Tasks(Query{Sort: col, Desc: desc, Tree: true, Limit: total})
				check := func(what string, p Page[TaskRow], off, sel int, rows []TaskRow) {
					t.Helper()
					ok := p.Total == total && p.Offset == off && p.Selected == sel && len(p.Rows) == len(rows)
					for i := 0; ok && i < len(rows); i++ {
						ok = p.Rows[i].ID == rows[i].ID && p.Rows[i].Depth == rows[i].Depth
					}
					if !ok {
						t.Fatalf("round %d col %d desc %v %s:\n got total %d off %d sel %d %s\nwant total %d off %d sel %d %s",
							round, col, desc, what, p.Total, p.Offset, p.Selected, treeOutline(p.Rows), total, off, sel, treeOutline(rows))
					}
				}
				check("whole", full, 0, 0, want)
				for range 6 {
					limit := 1 + rng.IntN(8)
					row := rng.IntN(limit)
					move := rng.IntN(7) - 3
					a := rng.IntN(total)
					q := Query{Sort: col, Desc: desc, Tree: true, Limit: limit, Row: row, Move: move, Anchor: want[a].ID}
					tgt := min(max(a+move, 0), total-1)
					off := min(max(tgt-row, 0), max(total-limit, 0))
					check(fmt.Sprintf("anchor %d row %d move %d limit %d", a, row, move, limit),
						m.Tasks(q), off, tgt-off, want[off:min(off+limit, total)])
					q.Anchor, q.Offset = 0, rng.IntN(total+3)
					off = min(q.Offset, max(total-limit, 0))
					sel := min(max(row+move, 0), min(limit, total-off)-1)
					check(fmt.Sprintf("offset %d row %d move %d limit %d", q.Offset, row, move, limit),
						m.Tasks(q), off, sel, want[off:min(off+limit, total)])
				}
			}
		}
	}
}

// TestTreeModeBounded stores 200k spans in traces of 8 and checks that a
// tree-mode frame reads a bounded number of index entries wherever its
// window lies, with the window's rows still right.
func TestTreeModeBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 200k spans")
	}
	m, clk := newTestModel(Config{Retain: time.Hour})
	t0 := clk.Now().Add(-time.Minute)
	const n = 200_000
	for b := 0; b < n; b += 4096 {
		var specs []spec
		for i := b; i < min(b+4096, n); i++ {
			s := spec{trace: uint64(i/8 + 1), span: uint64(i%8 + 1), name: fmt.Sprint("op", i%13),
				start: t0, dur: time.Duration(i%1000+1) * time.Microsecond}
			if i%8 == 0 {
				s.dur += 2 * time.Millisecond // a root outlasts its children
			} else {
				s.parent = 1
			}
			specs = append(specs, s)
		}
		m.Apply(m.batch(specs...))
	}
	var scanned int
	treeScanHook = func(k int) { scanned = k }
	defer func() { treeScanHook = nil }()
	for _, c := range []struct {
		name string
		q    Query
		max  int
	}{
		{"top", Query{Sort: TaskTotal, Desc: true, Tree: true, Limit: 45}, 100},
		// Sorted by Total, the fastest spans are all children: the last
		// root lies 175,000 entries from the end, past the walk's cap.
		{"bottom", Query{Sort: TaskTotal, Desc: true, Tree: true, Limit: 45, Offset: 1 << 30, Row: 44}, treeWalkCap + 100},
		{"anchored-deep", Query{Sort: TaskName, Tree: true, Limit: 45, Anchor: 100_001, Row: 20, Move: 45}, 2000},
		{"offset-deep", Query{Sort: TaskID, Tree: true, Limit: 45, Offset: 120_000}, 2000},
		{"anchored-near-top", Query{Sort: TaskID, Tree: true, Limit: 45, Anchor: 10_001, Row: 20}, treeScanBudget + 2000},
	} {
		p := m.Tasks(c.q)
		if scanned > c.max {
			t.Errorf("%s: read %d index entries, want at most %d", c.name, scanned, c.max)
		}
		if len(p.Rows) != 45 || p.Total != n {
			t.Errorf("%s: %d rows of %d", c.name, len(p.Rows), p.Total)
		}
		// Rows of one trace stay together, under their root.
		for i := 1; i < len(p.Rows); i++ {
			if p.Rows[i].Depth > p.Rows[i-1].Depth+1 {
				t.Errorf("%s: row %d jumps from depth %d to %d", c.name, i, p.Rows[i-1].Depth, p.Rows[i].Depth)
			}
		}
		if c.name == "bottom" {
			// The fastest root is trace 1's (2.001ms, the lowest ID of
			// its ties), and its fastest child (2µs) is the last row.
			if last := p.Rows[44]; last.ID != 2 || p.Offset != n-45 || p.Selected != 44 || p.Rows[37].ID != 1 {
				t.Errorf("bottom: last row %d (%s), offset %d, selected %d", last.ID, last.Name, p.Offset, p.Selected)
			}
			// Staying there (the selection anchored) gives the same rows.
			q := c.q
			q.Anchor = p.Rows[44].ID
			if p2 := m.Tasks(q); p2.Rows[44].ID != 2 || p2.Rows[0].ID != p.Rows[0].ID || p2.Selected != 44 {
				t.Errorf("bottom anchored: rows %d..%d selected %d", p2.Rows[0].ID, p2.Rows[44].ID, p2.Selected)
			}
		}
	}
	// Sorted by ID the tree is the traces in order, so positions are known.
	p := m.Tasks(Query{Sort: TaskID, Tree: true, Limit: 8, Anchor: 100_001})
	if p.Rows[p.Selected].ID != 100_001 || p.Offset != 100_000 || p.Rows[0].Depth != 0 {
		t.Errorf("ID order deep: offset %d selected %d (%d)", p.Offset, p.Selected, p.Rows[p.Selected].ID)
	}
}
