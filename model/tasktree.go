package model

import (
	"slices"
	"sort"
)

// Tree mode lists the tasks as htop lists processes in its tree view:
// every top-level span (a root, or a span whose parent is not stored) is
// followed by its descendants, children under their parents; siblings, top
// level included, are in the order of the active sort column.
//
// The rows come from the sort index: the top-level spans in index order,
// each expanded into its subtree. Whether a span is top-level is only known
// from its trace (its parent may never have arrived), so the model keeps
// no index of them; a query walks the index from the selection (or an
// end) to fill the window, building the trees of the traces it meets. A
// frame costs O(rows + index entries passed over + the sizes of the
// traces on screen), and the entries one query reads are capped at
// treeWalkCap (about 20ms at 1M spans): where top-level spans are that
// sparse (sorted by Total, the fastest spans are mostly children, so the
// last root may lie far from the end), the walk settles for the nearest
// top-level span among the traces it met, which is the one sought when
// any span of its trace was read.
//
// Where the window lies is exact within treeScanBudget entries of either
// end of the table; deeper inside a large table it is estimated from the
// index rank of the window's first top-level span. Moving the selection is
// always exact: it walks rows from the selected span.
//
// With a filter the rows are the matching spans, each under its nearest
// matching ancestor, walked the same way; counting them takes the pass
// over every span a filter always needs.

// treeScanBudget bounds the index entries one query reads to place its
// window exactly; treeWalkCap bounds all the entries it reads (a frame
// then costs at most some tens of milliseconds, however the spans sort).
const (
	treeScanBudget = 8_192
	treeWalkCap    = 20_000
)

// treeScanHook, set by tests, learns how many index entries a query read.
var treeScanHook func(int)

// treeWalk holds what one tree-mode query needs.
type treeWalk struct {
	m    *Model
	now  int64
	desc bool
	f    *filter // nil: every span
	run  []item  // running spans, merged into the Total order
	// total counts the rows; entries the index entries (with the running
	// spans), which are more when a filter leaves some out.
	total, entries int
	// base and n: the ranks of the index's items of the listed class.
	base, n int
	// goroutines: the query lists goroutine rows, not spans.
	goroutines bool
	opt        treeOptions
	trees      map[uint64]*traceTree // the arranged trees met so far, by trace key
	// A block of items in query order: ranks [blkFrom, blkFrom+len(blk)).
	blk     []item
	blkFrom int
	scanned int
}

func (m *Model) treeTasks(q Query) Page[TaskRow] {
	f, ferr := parseFilter(q.Filter)
	col := indexColumn(q.Sort)
	// Siblings are ordered with the sort index's comparison, so the index
	// must be on the column, with or without a filter.
	m.mu.RLock()
	if m.idx.col != col && m.writing.Load() {
		// The writer builds the index on col; until it is ready the tree
		// keeps the previous order.
		m.indexReq.ask(col)
		col = m.idx.col
	}
	for m.idx.col != col {
		m.mu.RUnlock()
		m.mu.Lock()
		if m.idx.col != col && !m.writing.Load() { // else the writer builds it (Run)
			m.rebuildIndex(col)
		}
		m.mu.Unlock()
		m.mu.RLock()
		if m.idx.col != col && m.writing.Load() {
			m.indexReq.ask(col)
			col = m.idx.col // a writer started meanwhile: the previous order answers
		}
	}
	defer m.mu.RUnlock()
	w := &treeWalk{m: m, now: m.now().UnixNano(), desc: q.Desc, f: f, goroutines: q.Goroutines, trees: map[uint64]*traceTree{}}
	w.opt = treeOptions{key: w.key, cmp: m.idx.tree.cmp, desc: q.Desc}
	defer w.release()
	if treeScanHook != nil {
		defer func() { treeScanHook(w.scanned) }()
	}
	page := w.query(q)
	if ferr != nil {
		page.FilterErr = ferr.Error()
	}
	return page
}

func (w *treeWalk) release() {
	for _, tr := range w.trees {
		tr.release()
	}
}

// key is a span's item as the sort index orders it; a running span sorted
// by Total gets its total so far.
func (w *treeWalk) key(slot uint32) item { return w.m.placeItem(slot, w.now) }

// match says a span is a row: of the class listed, in the live table (not
// lingered out), passing the filter.
func (w *treeWalk) match(slot uint32) bool {
	c, i := w.m.store.at(slot)
	if isGoroutineRow(c, i) != w.goroutines || c.shelved[i] {
		return false
	}
	return w.f == nil || w.m.matchSpan(w.f, c, i, w.now)
}

// treeOf returns the arranged tree of a span's trace (with a filter, of
// its matching spans) and the span's node in it; false when the span does
// not match the filter.
func (w *treeWalk) treeOf(slot uint32) (*traceTree, int32, bool) {
	c, i := w.m.store.at(slot)
	key := traceKey(c.cold[i].traceID)
	t := w.m.tr.byKey[key]
	if c.kind[i] == KindGoroutine {
		// A goroutine is in no trace: a tree of its own, keyed apart.
		key, t = ^uint64(slot), &traceRec{head: slot, count: 1}
	}
	tr := w.trees[key]
	if tr == nil {
		tr = w.m.buildTree(t, w.now, w.opt)
		if w.f != nil || w.m.shelvedRows[classIndex(c, i)] > 0 {
			// Only the matching spans of the live table, each under its
			// nearest matching ancestor.
			full := tr
			tr = w.induced(full)
			full.release()
		}
		w.trees[key] = tr
	}
	v, ok := tr.node(slot)
	return tr, v, ok
}

// induced returns the tree of the spans of tr that match the filter, each
// under its nearest matching ancestor.
func (w *treeWalk) induced(tr *traceTree) *traceTree {
	index := make([]int32, len(tr.nodes)) // node of tr → node of sub, or its nearest matching ancestor's
	sub := trees.Get().(*traceTree)
	sub.nodes, sub.keys = sub.nodes[:0], sub.keys[:0]
	sub.tops, sub.order = sub.tops[:0], sub.order[:0]
	for _, v := range tr.order { // parents come first
		nd := tr.nodes[v]
		up := int32(-1)
		if p := nd.up; p >= 0 {
			up = index[p]
		}
		if !w.match(nd.slot) {
			index[v] = up
			continue
		}
		index[v] = int32(len(sub.nodes))
		nd.up = up
		nd.flags &^= nodeLast
		sub.nodes = append(sub.nodes, nd)
		sub.keys = append(sub.keys, tr.keys[v])
	}
	sub.arrange(func(a, b int32) int {
		if w.desc {
			return w.opt.cmp(sub.keys[b], sub.keys[a])
		}
		return w.opt.cmp(sub.keys[a], sub.keys[b])
	})
	return sub
}

// row copies one node out as a task row.
func (w *treeWalk) row(tr *traceTree, v int32) TaskRow {
	nd := &tr.nodes[v]
	r := w.m.taskRow(nd.slot, w.now)
	w.m.recent.put(r.ID, nd.slot)
	r.Depth, r.Guides = int(tr.depth[v]), tr.guides(v)
	r.Last = nd.flags&nodeLast != 0
	r.Orphan = nd.flags&nodeOrphan != 0
	return r
}

// item returns the index entry of rank r in the query's order.
func (w *treeWalk) item(r int) item {
	if r < w.blkFrom || r >= w.blkFrom+len(w.blk) {
		const block = 128
		from := r - r%block
		to := min(from+block, w.entries)
		af, at := from, to
		if w.desc {
			af, at = w.entries-to, w.entries-from
		}
		w.blk = mergedRange(&w.m.idx.tree, w.run, w.base, w.n, af, at)
		if w.desc {
			slices.Reverse(w.blk)
		}
		w.blkFrom = from
	}
	return w.blk[r-w.blkFrom]
}

// cursor is one row: row j (in preorder) of the subtree of top, the
// top-level span of index rank r.
type cursor struct {
	r   int
	tr  *traceTree
	top int32
	j   int32
}

func (c cursor) node() int32 { return c.tr.order[c.tr.pos[c.top]+c.j] }

// topAt reports whether the span of index rank r is top-level (and
// matches the filter), as a cursor on its first row.
func (w *treeWalk) topAt(r int) (cursor, bool) {
	w.scanned++
	slot := w.item(r).slot
	if !w.match(slot) {
		return cursor{}, false
	}
	tr, v, ok := w.treeOf(slot)
	if !ok || tr.nodes[v].up >= 0 {
		return cursor{}, false
	}
	return cursor{r: r, tr: tr, top: v}, true
}

// seek finds the top-level span nearest to index rank from in direction
// dir (+1 or -1), not counting from itself. It reads index entries until
// it finds one; once the query has read treeWalkCap entries it stops and
// settles for the best it can tell: the nearest of the top-level spans of
// the traces it has met (the span sought is among them whenever any span
// of its trace was read, as its children usually are).
func (w *treeWalk) seek(from, dir int) (cursor, bool) {
	for r := from + dir; r >= 0 && r < w.entries; r += dir {
		if w.scanned >= treeWalkCap {
			return w.nearestMet(from, dir)
		}
		if c, ok := w.topAt(r); ok {
			return c, true
		}
	}
	return cursor{}, false
}

// nearestMet returns, among the top-level spans of the trees built so
// far, the one nearest to rank from in direction dir.
func (w *treeWalk) nearestMet(from, dir int) (cursor, bool) {
	var best cursor
	found := false
	for _, tr := range w.trees {
		for _, t := range tr.tops {
			c, _ := w.cursorOf(tr.nodes[t].slot)
			if (c.r-from)*dir <= 0 {
				continue
			}
			if !found || (c.r-best.r)*dir < 0 {
				best, found = c, true
			}
		}
	}
	return best, found
}

// first and last return the first and the last row.
func (w *treeWalk) first() (cursor, bool) { return w.seek(-1, 1) }

func (w *treeWalk) last() (cursor, bool) {
	c, ok := w.seek(w.entries, -1)
	if ok {
		c.j = c.tr.size[c.top] - 1
	}
	return c, ok
}

// next and prev step one row; false at the ends.
func (w *treeWalk) next(c cursor) (cursor, bool) {
	if c.j+1 < c.tr.size[c.top] {
		c.j++
		return c, true
	}
	if n, ok := w.seek(c.r, 1); ok {
		return n, true
	}
	return c, false
}

func (w *treeWalk) prev(c cursor) (cursor, bool) {
	if c.j > 0 {
		c.j--
		return c, true
	}
	if p, ok := w.seek(c.r, -1); ok {
		p.j = p.tr.size[p.top] - 1
		return p, true
	}
	return c, false
}

// offsetOf returns how many rows come before c: exact when it can be
// counted within the budget from either end, else estimated.
func (w *treeWalk) offsetOf(c cursor) int {
	if c.r <= treeScanBudget {
		n := int(c.j)
		for r := 0; r < c.r; r++ {
			if t, ok := w.topAt(r); ok {
				n += int(t.tr.size[t.top])
			}
		}
		return n
	}
	if w.entries-c.r <= treeScanBudget {
		after := int(c.tr.size[c.top] - 1 - c.j)
		for r := c.r + 1; r < w.entries; r++ {
			if t, ok := w.topAt(r); ok {
				after += int(t.tr.size[t.top])
			}
		}
		return w.total - 1 - after
	}
	return int(int64(c.r)*int64(w.total)/int64(w.entries)) + int(c.j)
}

// cursorOf returns the row of a stored span that matches the filter.
func (w *treeWalk) cursorOf(slot uint32) (cursor, bool) {
	if !w.match(slot) {
		return cursor{}, false
	}
	tr, v, ok := w.treeOf(slot)
	if !ok {
		return cursor{}, false
	}
	top := tr.topOf(v)
	it := tr.keys[top]
	x := &w.m.idx
	// Its rank among the index entries: the indexed items and the running
	// spans (sorted by Total) that sort before it.
	rank := x.tree.rank(it) - w.base + sort.Search(len(w.run), func(j int) bool { return !x.less(w.run[j], it) })
	if w.desc {
		rank = w.entries - 1 - rank
	}
	return cursor{r: rank, tr: tr, top: top, j: tr.pos[v] - tr.pos[top]}, true
}

// query answers a tree-mode query.
func (w *treeWalk) query(q Query) Page[TaskRow] {
	m := w.m
	x := &m.idx
	if x.col == TaskTotal {
		w.run = m.runningOf(q.Goroutines, w.now)
		slices.SortFunc(w.run, x.tree.cmp)
	}
	w.base, w.n = x.classRange(q.Goroutines)
	w.entries = w.n + len(w.run)
	w.total = w.entries
	if w.f != nil {
		w.total = 0
		for _, c := range m.store.chunks {
			for i := range chunkSize {
				if c.id[i] != 0 && isGoroutineRow(c, i) == q.Goroutines && !c.shelved[i] && m.matchSpan(w.f, c, i, w.now) {
					w.total++
				}
			}
		}
	}
	page := Page[TaskRow]{Total: w.total, Selected: -1}
	limit := max(q.Limit, 0)
	if w.total == 0 || limit == 0 {
		return page
	}
	row := min(max(q.Row, 0), limit-1)

	// The selected row: the anchor moved by Move rows; else Offset.
	var sel cursor
	ok := false
	if q.Anchor != 0 {
		if slot, found := m.findSlot(q.Anchor); found {
			sel, ok = w.cursorOf(slot)
		}
		for n := q.Move; ok && n > 0; n-- {
			if sel, ok = w.next(sel); !ok {
				ok = true
				break
			}
		}
		for n := q.Move; ok && n < 0; n++ {
			if sel, ok = w.prev(sel); !ok {
				ok = true
				break
			}
		}
	}
	if !ok {
		// No anchor: the window at Offset, the selection at Row+Move in it.
		var found bool
		off := min(max(q.Offset, 0), max(w.total-limit, 0))
		target := min(off+min(max(row+q.Move, 0), limit-1), w.total-1)
		row = target - off
		switch {
		case target <= treeScanBudget:
			sel, found = w.first()
			for range target {
				sel, _ = w.next(sel)
			}
		case w.total-1-target <= treeScanBudget:
			sel, found = w.last()
			for range w.total - 1 - target {
				sel, _ = w.prev(sel)
			}
		default:
			// Deep in a huge table: the first top-level span from the
			// index rank that corresponds.
			if sel, found = w.seek(int(int64(target)*int64(w.entries)/int64(w.total))-1, 1); !found {
				sel, found = w.last()
			}
		}
		if !found {
			return page // nothing matched within the walk's bound
		}
	}

	// Walk back to the window's first row, then fill it forwards; at the
	// end of the table, walk back further so the window stays full.
	start, up := sel, 0
	for up < row {
		p, more := w.prev(start)
		if !more {
			break
		}
		start, up = p, up+1
	}
	cs := []cursor{start}
	for c := start; len(cs) < limit; {
		n, more := w.next(c)
		if !more {
			break
		}
		c = n
		cs = append(cs, c)
	}
	for len(cs) < limit {
		p, more := w.prev(cs[0])
		if !more {
			break
		}
		cs = append([]cursor{p}, cs...)
		up++
	}
	page.Selected = up
	if _, more := w.prev(cs[0]); !more {
		page.Offset = 0
	} else if _, more := w.next(cs[len(cs)-1]); !more {
		page.Offset = w.total - len(cs)
	} else {
		page.Offset = min(w.offsetOf(cs[0]), w.total-len(cs))
	}
	page.Rows = make([]TaskRow, len(cs))
	for k, c := range cs {
		page.Rows[k] = w.row(c.tr, c.node())
	}
	return page
}
