package model

import (
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"time"
)

// taskScan holds what one tasks query needs while it walks the chunks.
type taskScan struct {
	m    *Model
	col  Column
	desc bool
	now  int64
	f    *filter
	// goroutines: the query lists goroutine rows, not spans.
	goroutines bool
	// stored: rows that lingered out of the live table are listed too.
	stored bool
	ranks  []uint32 // alphabetical rank of each Sym
	keys   [chunkSize]int64
}

func (s *taskScan) symRank(id Sym) int64 {
	if int(id) < len(s.ranks) {
		return int64(s.ranks[id])
	}
	return math.MaxUint32 // interned after the ranks were taken: sort last
}

// fill computes the sort keys of one chunk into s.keys (taskKey, with
// strings by alphabetical rank).
func (s *taskScan) fill(c *spanChunk) {
	k := &s.keys
	if s.col >= TaskColumns || s.col == TaskID {
		*k = [chunkSize]int64{}
		return
	}
	for i := range k {
		k[i], _ = s.m.taskKey(s.col, c, i, s.now, s.symRank)
	}
	if s.desc {
		for i := range k {
			k[i] = -k[i]
		}
	}
}

func (s *taskScan) idKey(id uint64) uint64 {
	if s.desc {
		return ^id
	}
	return id
}

// each calls fn for every stored span that passes the filter. IDs mostly
// grow with the slot, so a descending query walks the slots backwards: the
// rows that come first in its order are then offered first, and the heaps
// that pick the window turn the rest away at one comparison. Walked
// forwards, every row tied on the key (a column empty for every span)
// displaced one in the heap: a scan of 1M spans took 3 times as long.
func (s *taskScan) each(fn func(item)) {
	chunks := s.m.store.chunks
	for n := range chunks {
		ci := n
		if s.desc {
			ci = len(chunks) - 1 - n
		}
		c := chunks[ci]
		s.fill(c)
		base := uint32(ci) << chunkBits
		for j := range chunkSize {
			i := j
			if s.desc {
				i = chunkSize - 1 - j
			}
			id := c.id[i]
			if id == 0 || isGoroutineRow(c, i) != s.goroutines || (c.shelved[i] && !s.stored) ||
				(s.f != nil && !s.m.matchSpan(s.f, c, i, s.now)) {
				continue
			}
			fn(item{key: s.keys[i], idk: s.idKey(id), slot: base + uint32(i)})
		}
	}
}

// scanWhileBuilding is the most spans a scan answers for while the writer
// builds a newly asked-for sort index, so that a sort change shows the new
// order at once. A scan holds the read lock, which the writer waits for: a
// million spans took 6-14 ms on a quiet machine and 30-47 ms with ingest
// running, a stall of ingest and a frame beyond what a key press may take.
// Beyond it the previous order answers (Page.Sorting) until the index is
// ready, in well under a second.
var scanWhileBuilding = 200_000

// Tasks returns one window of the tasks table. Without a filter it reads
// the sort index; a filter needs a pass over the key columns.
func (m *Model) Tasks(q Query) Page[TaskRow] {
	if q.Tree {
		return m.treeTasks(q)
	}
	f, ferr := parseFilter(q.Filter)
	if f == nil && q.Stored && m.anyShelved() {
		return m.scanTasks(q, nil) // the index holds the live table only
	}
	if f == nil {
		col := indexColumn(q.Sort)
		m.mu.RLock()
		building := m.idx.col != col && m.writing.Load()
		previous := building && m.store.live > scanWhileBuilding
		if previous {
			// The writer builds the index on col; until it is ready the
			// previous order answers at once, and the reader does not hold
			// up the writer with a long scan.
			m.indexReq.ask(col)
			col = m.idx.col
		}
		if m.idx.col == col {
			defer m.mu.RUnlock()
			page := m.indexedTasks(q, m.now().UnixNano())
			page.Sorting = previous
			if ferr != nil {
				page.FilterErr = ferr.Error()
			}
			return page
		}
		m.mu.RUnlock()
		if building {
			// A small store: a scan answers in the new order meanwhile.
			m.indexReq.ask(col)
			page := m.scanTasks(q, nil)
			if ferr != nil {
				page.FilterErr = ferr.Error()
			}
			return page
		}
		m.mu.Lock()
		if m.idx.col != col && !m.writing.Load() { // else the writer builds it (Run)
			m.rebuildIndex(col)
		}
		m.mu.Unlock()
		return m.Tasks(q)
	}
	return m.scanTasks(q, f)
}

func (m *Model) scanTasks(q Query, f *filter) Page[TaskRow] {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := &taskScan{m: m, col: q.Sort, desc: q.Desc, now: m.now().UnixNano(), f: f, goroutines: q.Goroutines,
		stored: wantsStored(q, f), ranks: m.columnRanks(q.Sort)}

	var anchor item
	hasAnchor := false
	if q.Anchor != 0 {
		if slot, ok := m.findSlot(q.Anchor); ok {
			c, i := m.store.at(slot)
			if isGoroutineRow(c, i) == q.Goroutines && (f == nil || m.matchSpan(f, c, i, s.now)) {
				s.fill(c) // the anchor's key, computed as the scan will
				anchor, hasAnchor = item{key: s.keys[i], idk: s.idKey(q.Anchor), slot: slot}, true
			}
		}
	}

	items, total, plan := scanWindow(q, anchor, hasAnchor, s.each)
	page := m.taskPage(items, total, plan, s.now)
	page.Stored = s.stored
	return page
}

// columnRanks ranks the strings of a string column alphabetically (nil for
// other columns). The caller holds the read lock.
func (m *Model) columnRanks(col Column) []uint32 {
	switch col {
	case TaskService:
		return m.syms.rankOf(func(mark func(Sym)) {
			for _, svc := range m.aggs.services {
				mark(svc.name)
			}
		})
	case TaskName, TaskTarget, TaskLocation:
		return m.syms.rankOf(func(mark func(Sym)) {
			str := func(id Sym) int64 { mark(id); return 0 }
			for _, c := range m.store.chunks {
				for i := range chunkSize {
					if c.id[i] != 0 {
						m.taskKey(col, c, i, 0, str)
					}
				}
			}
		})
	}
	return nil
}

func (m *Model) taskPage(items []item, total int, plan windowPlan, now int64) Page[TaskRow] {
	page := Page[TaskRow]{Total: total, Offset: plan.off, Selected: min(plan.selected, len(items)-1), Rows: make([]TaskRow, len(items))}
	for j, it := range items {
		page.Rows[j] = m.taskRow(it.slot, now)
		m.recent.put(page.Rows[j].ID, it.slot)
	}
	return page
}

// indexedTasks answers a query from the sort index in O(log n + rows).
// The caller holds the read lock and has checked the index's column.
func (m *Model) indexedTasks(q Query, now int64) Page[TaskRow] {
	x := &m.idx
	var run []item // running rows, merged in when sorting by Total
	if x.col == TaskTotal {
		run = m.runningOf(q.Goroutines, now)
		slices.SortFunc(run, x.tree.cmp)
	}
	base, n := x.classRange(q.Goroutines)
	total := n + len(run)
	rank, hasAnchor := 0, false
	if q.Anchor != 0 {
		if slot, ok := m.findSlot(q.Anchor); ok && isGoroutineRow(m.store.at(slot)) == q.Goroutines {
			// A row that has just lingered out keeps its place: the
			// selection moves to its neighbour.
			it := m.placeItem(slot, now)
			rank = x.tree.rank(it) - base + sort.Search(len(run), func(j int) bool { return !x.less(run[j], it) })
			if q.Desc {
				rank = total - 1 - rank
			}
			hasAnchor = true
		}
	}
	items, plan := orderedWindow(q, &x.tree, run, base, n, rank, hasAnchor)
	return m.taskPage(items, total, plan, now)
}

// orderedWindow is the window q asks for over tree t's ranks [base,
// base+n) merged with run (see mergedRange), placed around the anchor at
// ascending rank (when hasAnchor) and in q's order.
func orderedWindow(q Query, t *ostree, run []item, base, n, rank int, hasAnchor bool) ([]item, windowPlan) {
	total := n + len(run)
	plan := planWindow(q, total, item{}, rank, hasAnchor)
	from, to := plan.off, min(plan.off+plan.limit, total)
	if q.Desc {
		from, to = total-to, total-from
	}
	items := mergedRange(t, run, base, n, from, to)
	if q.Desc {
		slices.Reverse(items)
	}
	return items, plan
}

// mergedRange returns ascending ranks [from, to) of a range of tree t,
// ranks [base, base+n), merged with sorted items run kept out of it (the
// live rows, whose keys grow with the clock).
func mergedRange(t *ostree, run []item, base, n, from, to int) []item {
	if from >= to {
		return nil
	}
	if len(run) == 0 {
		return t.appendRange(nil, base+from, base+min(to, n))
	}
	// j = how many running rows are among the first `from` merged items:
	// the smallest j for which run[j] does not sort before tree[from-j-1].
	lo, hi := max(0, from-n), min(from, len(run))
	for lo < hi {
		j := (lo + hi) / 2
		if i := from - j; i > 0 && t.lt(run[j], t.itemAt(base+i-1)) {
			lo = j + 1
		} else {
			hi = j
		}
	}
	j, i := lo, from-lo
	tree := t.appendRange(nil, base+i, base+min(i+(to-from), n))
	out := make([]item, 0, to-from)
	for len(out) < to-from && (len(tree) > 0 || j < len(run)) {
		if j < len(run) && (len(tree) == 0 || t.lt(run[j], tree[0])) {
			out = append(out, run[j])
			j++
		} else {
			out = append(out, tree[0])
			tree = tree[1:]
		}
	}
	return out
}

// maxRowFields bounds the attributes copied into a row; details show all.
const maxRowFields = 12

func (m *Model) taskRow(slot uint32, now int64) TaskRow {
	c, i := m.store.at(slot)
	cold := &c.cold[i]
	r := TaskRow{
		ID: c.id[i], Version: uint64(c.cold[i].ver), State: c.state[i], Kind: c.kind[i], Warnings: bits.OnesCount16(c.warn[i]),
		Name:     m.syms.String(c.name[i]),
		Total:    time.Duration(durKey(c.dur[i], now)),
		Service:  m.syms.String(m.aggs.services[c.svc[i]].name),
		Target:   m.syms.String(c.scope[i]),
		Location: m.syms.String(c.loc[i]),
		Finished: c.state[i] != StateRunning && c.state[i] != StateWaiting,
		Shelved:  c.shelved[i],
	}
	if rt := c.rt; rt != nil {
		r.Busy, r.Sched, r.Idle = time.Duration(rt.busy[i]), time.Duration(rt.sched[i]), time.Duration(rt.idle[i])
		r.Polls = uint64(rt.polls[i])
	}
	if g := m.rt.gos[slot]; g != nil && c.kind[i] == KindGoroutine {
		m.goroutineColumns(&r, g)
	}
	rangeAttrs(cold.attrs, m.syms, func(a Attr) bool {
		r.Fields = append(r.Fields, a)
		return len(r.Fields) < maxRowFields
	})
	return r
}

// slotOf finds a span by display ID. IDs are not indexed (an index would
// cost as much memory as the rest of the bookkeeping); the ID column is
// scanned instead, a few hundred microseconds for a million spans.
func (m *Model) slotOf(id uint64) (uint32, bool) {
	for ci, c := range m.store.chunks {
		for i := range chunkSize {
			if c.id[i] == id {
				return uint32(ci)<<chunkBits | uint32(i), true
			}
		}
	}
	return 0, false
}

// matchSpan evaluates a filter against one stored span.
func (m *Model) matchSpan(f *filter, c *spanChunk, i int, now int64) bool {
	for k := range f.terms {
		t := &f.terms[k]
		var ok bool
		switch t.field {
		case fieldText:
			ok = t.matchSym(c.name[i], m.syms) || t.matchSym(m.aggs.services[c.svc[i]].name, m.syms) ||
				t.matchSym(c.scope[i], m.syms) || t.matchSym(c.loc[i], m.syms) ||
				(t.traceHex && c.kind[i] != KindGoroutine && strings.HasPrefix(c.cold[i].traceID.String(), t.str))
		case fieldName:
			ok = t.matchSym(c.name[i], m.syms)
		case fieldService:
			ok = t.matchSym(m.aggs.services[c.svc[i]].name, m.syms)
		case fieldTarget:
			ok = t.matchSym(c.scope[i], m.syms)
		case fieldLocation:
			ok = t.matchSym(c.loc[i], m.syms)
		case fieldKind:
			ok = t.matchKind(c.kind[i])
		case fieldStatus:
			ok = t.matchString(c.cold[i].status.String())
		case fieldState:
			ok = t.matchString(c.state[i].String())
		case fieldDur:
			ok = t.matchNum(durKey(c.dur[i], now))
		case fieldID:
			ok = t.matchNum(int64(c.id[i]))
		case fieldWarn:
			if t.isNum {
				ok = t.matchNum(int64(bits.OnesCount16(c.warn[i])))
			} else {
				ok = (c.warn[i]&(1<<t.num) != 0) == (t.op != opNe)
			}
		case fieldTrace:
			// trace=<prefix> matches IDs that start with it.
			id := c.cold[i].traceID.String()
			ok = t.matchString(id) || (t.op == opEq && strings.HasPrefix(id, t.str))
		case fieldAttr:
			v, found := t.lookupAttr(c.cold[i].attrs, m.syms)
			ok = found && t.matchValue(v)
			if t.op == opNe && !found {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
