package model

import (
	"slices"
	"time"
)

// TraceQuery asks for one window of a trace's waterfall: the trace's spans
// as a tree (children under their parents, by start time), flattened, with
// the subtrees of Collapsed nodes hidden. The selection is kept by ID as in
// Query: when Anchor is shown (or hidden inside a collapsed subtree, then
// its visible ancestor stands for it), the window is placed so that it,
// moved by Move rows, sits at screen row Row; otherwise Offset is used.
type TraceQuery struct {
	// TraceID names the trace; when zero, Span (a display ID) does.
	TraceID TraceID
	Span    uint64
	// Collapsed holds the IDs (TraceRow.ID) of nodes whose children are hidden.
	Collapsed []uint64
	Anchor    uint64
	Move      int
	Row       int
	Offset    int
	Limit     int
}

// TraceRow is one row of a waterfall: a span, or a marker that stands for
// a parent span that never arrived (its children are the orphans).
type TraceRow struct {
	// ID is the span's display ID; a marker's is missingParentID(SpanID).
	// Parent is the ID of the row it sits under (0 at the top level).
	ID     uint64
	Parent uint64
	// Version is the span's TaskRow.Version (0 for a marker): the span's
	// own fields change only with it; the tree fields (Depth, Guides,
	// Last, Children, Hidden, Critical, Offset) depend on other rows.
	Version uint64
	SpanID  SpanID
	Depth   int
	// Guides are the tree lines left of the row (see Model.Trace).
	Guides   uint64
	Last     bool // the last of its siblings
	Name     string
	Service  string
	Kind     SpanKind
	State    State
	Status   StatusCode
	Offset   time.Duration // start, from the trace's start
	Duration time.Duration // a live span: so far
	// Children counts direct children; Hidden how many rows are hidden
	// below the row because it is collapsed.
	Children  int
	Hidden    int
	Collapsed bool
	// Critical marks the spans on the critical path.
	Critical bool
	// Orphan marks a span whose parent is not stored; Missing marks the
	// marker row standing for that parent (SpanID is then the parent's ID);
	// Loop marks a span whose parent link closed a loop and was cut.
	Orphan, Missing, Loop bool
}

// TraceView is the answer to a TraceQuery.
type TraceView struct {
	TraceID TraceID
	// Found is false when no span of the trace is stored.
	Found bool
	Rows  []TraceRow
	// Total is how many rows the flattened tree has with the collapsed
	// subtrees hidden; Offset is the index of Rows[0] among them; Selected
	// the index in Rows of the (moved) anchor, or -1.
	Total, Offset, Selected int
	// Spans counts the stored spans; Roots those without a parent, Orphans
	// those whose parent is not stored, Running those in flight, Errors
	// those with status error, Critical those on the critical path.
	Spans, Roots, Orphans, Running, Errors, Critical int
	// Services are the services the trace crosses, in order of their first span.
	Services []string
	// Start and Duration are the trace's extent: from its earliest start to
	// its latest end (a live span's end is now).
	Start    time.Time
	Duration time.Duration
	// Root is the name of the top-level span that ends last.
	Root string
}

// Trace returns one window of a trace's waterfall. It arranges the trace's
// stored spans (O(n log n) for n spans, on compact arrays) and copies out
// only the rows of the window. Orphans are listed under a marker row per
// missing parent; the critical path is marked.
func (m *Model) Trace(q TraceQuery) TraceView {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	id := q.TraceID
	if id.IsZero() && q.Span != 0 {
		if slot, ok := m.findSlot(q.Span); ok {
			c, i := m.store.at(slot)
			id = c.cold[i].traceID
		}
	}
	v := TraceView{TraceID: id, Selected: -1}
	t := m.tr.byKey[traceKey(id)] // not m.trace: its cache is the writer's
	if t == nil || t.head == noSlot {
		return v
	}
	tr := m.buildTree(t, now, treeOptions{markers: true})
	defer tr.release()
	v.Found = true
	v.Critical = tr.markCritical()
	v.Start = time.Unix(0, tr.start)
	v.Duration = time.Duration(max(tr.end-tr.start, 0))
	v.Orphans = tr.orphans
	var latest int32 = -1
	var seen []uint32
	for k := range tr.nodes {
		nd := &tr.nodes[k]
		if nd.flags&nodeMarker != 0 {
			continue
		}
		v.Spans++
		if nd.parent.IsZero() {
			v.Roots++
		}
		switch nd.state {
		case StateRunning:
			v.Running++
		case StateError:
			v.Errors++
		}
	}
	for _, top := range tr.tops {
		if latest < 0 || tr.nodes[top].end > tr.nodes[latest].end {
			latest = top
		}
	}
	// Services by first start: walk the preorder, which is by start at
	// every level; good enough and O(n) without sorting.
	for _, k := range tr.order {
		nd := &tr.nodes[k]
		if nd.slot == noSlot {
			continue
		}
		c, i := m.store.at(nd.slot)
		if !slices.Contains(seen, c.svc[i]) {
			seen = append(seen, c.svc[i])
			v.Services = append(v.Services, m.syms.String(m.aggs.services[c.svc[i]].name))
		}
	}
	if latest >= 0 {
		v.Root = tr.name(m, latest)
	}

	collapsed := idSetOf(q.Collapsed)
	folded := func(k int32) bool { return tr.size[k] > 1 && collapsed.has(tr.nodes[k].id) }
	// The anchor, or the collapsed ancestor that hides it.
	anchor := int32(-1)
	if q.Anchor != 0 {
		for k := range tr.nodes {
			if tr.nodes[k].id == q.Anchor {
				anchor = int32(k)
				break
			}
		}
		for u := anchor; u >= 0; u = tr.nodes[u].up {
			if u != anchor && folded(u) {
				anchor = u
			}
		}
	}
	// One pass over the preorder, jumping over collapsed subtrees, counts
	// the visible rows and finds the anchor's rank.
	total, rank := 0, -1
	for p := 0; p < len(tr.order); {
		k := tr.order[p]
		if k == anchor {
			rank = total
		}
		total++
		if folded(k) {
			p += int(tr.size[k])
		} else {
			p++
		}
	}
	plan := planWindow(Query{Limit: q.Limit, Row: q.Row, Move: q.Move, Offset: q.Offset}, total, item{}, rank, rank >= 0)
	v.Total, v.Offset, v.Selected = total, plan.off, plan.selected
	end := min(plan.off+plan.limit, total)
	v.Rows = make([]TraceRow, 0, max(end-plan.off, 0))
	r := 0
	for p := 0; p < len(tr.order) && r < end; r++ {
		k := tr.order[p]
		if folded(k) {
			p += int(tr.size[k])
		} else {
			p++
		}
		if r >= plan.off {
			v.Rows = append(v.Rows, m.traceRow(tr, k, folded(k), now))
		}
	}
	if v.Selected >= len(v.Rows) {
		v.Selected = len(v.Rows) - 1
	}
	return v
}

// traceRow copies one node out for the UI.
func (m *Model) traceRow(tr *traceTree, k int32, folded bool, now int64) TraceRow {
	nd := &tr.nodes[k]
	r := TraceRow{
		ID: nd.id, SpanID: nd.span, Depth: int(tr.depth[k]), Guides: tr.guides(k),
		Last: nd.flags&nodeLast != 0, State: nd.state,
		Offset:   time.Duration(max(nd.start-tr.start, 0)),
		Duration: time.Duration(max(nd.end-nd.start, 0)),
		Children: int(tr.kidsAt[k+1] - tr.kidsAt[k]),
		Critical: nd.flags&nodeCritical != 0,
		Orphan:   nd.flags&nodeOrphan != 0, Missing: nd.flags&nodeMarker != 0, Loop: nd.flags&nodeLoop != 0,
	}
	if folded {
		r.Collapsed, r.Hidden = true, int(tr.size[k])-1
	}
	if u := nd.up; u >= 0 {
		r.Parent = tr.nodes[u].id
	}
	if nd.slot == noSlot {
		r.State = StateDone
		return r
	}
	c, i := m.store.at(nd.slot)
	r.Name = m.syms.String(c.name[i])
	r.Service = m.syms.String(m.aggs.services[c.svc[i]].name)
	r.Kind = c.kind[i]
	r.Status = c.cold[i].status
	r.Version = uint64(c.cold[i].ver)
	m.recent.put(nd.id, nd.slot)
	return r
}

func (tr *traceTree) name(m *Model, k int32) string {
	nd := &tr.nodes[k]
	if nd.slot == noSlot {
		return ""
	}
	c, i := m.store.at(nd.slot)
	return m.syms.String(c.name[i])
}

// idSet is a small set of IDs: a linear scan for a few, a map for more.
type idSet struct {
	few  []uint64
	many map[uint64]struct{}
}

func idSetOf(ids []uint64) idSet {
	if len(ids) <= 8 {
		return idSet{few: ids}
	}
	s := idSet{many: make(map[uint64]struct{}, len(ids))}
	for _, id := range ids {
		s.many[id] = struct{}{}
	}
	return s
}

func (s idSet) has(id uint64) bool {
	if s.many != nil {
		_, ok := s.many[id]
		return ok
	}
	return slices.Contains(s.few, id)
}
