package model

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Traces columns, in display order.
const (
	TraceColID Column = iota // the trace ID
	TraceColName
	TraceColServices
	TraceColSpans
	TraceColErrors
	TraceColDuration
	TraceColStart
	TraceColInFlight
	TraceColumns // number of traces columns
)

// TraceListRow is one row of the traces table: one stored trace.
type TraceListRow struct {
	// ID is the row's stable ID (a hash of the trace ID). Version is bumped
	// whenever the row shows something new; Duration of a trace in flight
	// also grows with the clock (Running > 0).
	ID      uint64
	Version uint64
	TraceID TraceID
	// Name is the root span's name; while the root is not stored, the
	// earliest span's, and RootMissing is set.
	Name        string
	RootMissing bool
	// Services are the first few services of the trace (in order of
	// arrival); ServiceCount counts them all.
	Services     []string
	ServiceCount int
	Spans        int
	Errors       int
	Running      int // spans in flight
	Start        time.Time
	// Duration is from the earliest start to the latest end; in flight:
	// to now (so far).
	Duration time.Duration
}

// rowServices is how many service names a row carries.
const rowServices = 3

// traceList is the traces table's store: every stored trace in a dense
// table (an index item's slot), the traces with a span in flight, and one
// sort tree on the column last asked for. The writer keeps the tree up to
// date with each batch; a query on another column asks the writer to
// build that one (the writer's next turn) and scans meanwhile.
type traceList struct {
	recs    []*traceRec
	free    []uint32
	nextSeq uint64
	dirty   []*traceRec
	live    []*traceRec // traces with a span in flight
	pending []pendingPart

	col   Column
	built bool // tree holds every trace (but those in flight, by Duration)
	tree  ostree
	build traceBuild
	// want is the column a query asked for (+1); the writer reads it.
	want atomic.Int32
	// lastID and lastT are the trace traceOfSlot found last.
	lastID TraceID
	lastT  *traceRec
}

func (l *traceList) bytes() int64 {
	return int64(cap(l.recs))*8 + int64(cap(l.free))*4 + int64(cap(l.dirty)+cap(l.live))*8 + l.tree.bytes()
}

// register gives a new trace its row.
func (l *traceList) register(t *traceRec, key uint64) {
	l.nextSeq++
	t.sum = traceSum{key: key, seq: l.nextSeq, startSlot: noSlot, endSlot: noSlot, root: noSlot, livePos: -1}
	t.sum.svcs = t.sum.svcBuf[:0]
	if n := len(l.free); n > 0 {
		t.sum.slot = l.free[n-1]
		l.free = l.free[:n-1]
		l.recs[t.sum.slot] = t
		return
	}
	t.sum.slot = uint32(len(l.recs))
	l.recs = append(l.recs, t)
}

// unregister removes a trace whose last span goes.
func (l *traceList) unregister(t *traceRec) {
	s := &t.sum
	if s.slot == noSlot {
		return
	}
	switch {
	case l.build.on:
		l.build.changed(t) // its collected item leaves the new tree when it is ready
	case s.indexed:
		l.tree.remove(s.item)
		s.indexed = false
	}
	l.setLive(t, false)
	if l.lastT == t {
		l.lastT = nil
	}
	l.recs[s.slot] = nil
	l.free = append(l.free, s.slot)
	s.slot = noSlot
}

func (l *traceList) markDirty(t *traceRec) {
	if !t.sum.dirty {
		t.sum.dirty = true
		l.dirty = append(l.dirty, t)
	}
}

func (l *traceList) setLive(t *traceRec, on bool) {
	s := &t.sum
	switch {
	case on && s.livePos < 0:
		s.livePos = int32(len(l.live))
		l.live = append(l.live, t)
	case !on && s.livePos >= 0:
		last := l.live[len(l.live)-1]
		l.live[s.livePos] = last
		last.sum.livePos = s.livePos
		l.live = l.live[:len(l.live)-1]
		s.livePos = -1
	}
}

// flushTraces brings the rows of the traces changed since the last flush
// up to date: their holders, version, live membership and sort item. The
// writer calls it at the end of each batch and sweep, under the lock.
func (m *Model) flushTraces() {
	l := &m.tl
	for _, t := range l.dirty {
		s := &t.sum
		s.dirty = false
		if s.slot == noSlot {
			continue // gone since
		}
		if s.lost != 0 {
			m.rewalk(t)
		}
		s.ver++
		l.setLive(t, s.running > 0)
		if l.build.on {
			l.build.changed(t)
		} else if l.built {
			if s.indexed {
				l.tree.remove(s.item)
				s.indexed = false
			}
			if it, ok := m.traceItem(t, l.col); ok {
				l.tree.insert(it)
				s.item, s.indexed = it, true
			}
		}
	}
	clear(l.dirty)
	l.dirty = l.dirty[:0]
	m.takeTraceSortRequest()
}

// nameSym is the Sym of a trace's name: its root's, or its earliest span's.
func (m *Model) nameSym(s *traceSum) (Sym, bool) {
	slot, missing := s.root, false
	if slot == noSlot {
		slot, missing = s.startSlot, true
	}
	if slot == noSlot {
		return 0, true
	}
	c, i := m.store.at(slot)
	return c.name[i], missing
}

// traceKeyOf is the one definition of the traces columns' sort keys: the
// value of column col for trace t, and for the name its Sym (the tree
// breaks ties of the key, the name's first eight bytes, on the whole
// string). live is false for a trace in flight by Duration, whose key
// grows with the clock: those are merged in by a query.
func (m *Model) traceKeyOf(t *traceRec, col Column, now int64) (key int64, sym Sym, live bool) {
	s := &t.sum
	switch col {
	case TraceColName:
		sym, _ = m.nameSym(s)
		return stringPrefixKey(m.syms.String(sym)), sym, false
	case TraceColServices:
		return int64(len(s.svcs)), 0, false
	case TraceColSpans:
		return int64(t.count), 0, false
	case TraceColErrors:
		return int64(s.errors), 0, false
	case TraceColDuration:
		return s.duration(now), 0, s.running > 0
	case TraceColStart:
		return s.start, 0, false
	case TraceColInFlight:
		return int64(s.running), 0, false
	}
	c, i := m.store.at(t.head) // ID: the trace ID's first eight bytes
	return int64(binary.BigEndian.Uint64(c.cold[i].traceID[:8]) ^ 1<<63), 0, false
}

// duration is a trace's extent; in flight, up to now.
func (s *traceSum) duration(now int64) int64 {
	end := s.end
	if s.endSlot == noSlot {
		end = s.start
	}
	if s.running > 0 {
		end = max(end, now)
	}
	return max(end-s.start, 0)
}

// traceItem is t's item in a tree on col; false while it is in flight and
// col is Duration.
func (m *Model) traceItem(t *traceRec, col Column) (item, bool) {
	key, sym, live := m.traceKeyOf(t, col, 0)
	return item{key: key, idk: t.sum.seq, slot: t.sum.slot, sym: sym}, !live
}

// stringPrefixKey is a string's first eight bytes as an integer in byte order.
func stringPrefixKey(s string) int64 {
	var b [8]byte
	copy(b[:], s)
	return int64(binary.BigEndian.Uint64(b[:]) ^ 1<<63)
}

// compareNames breaks ties of the name column's prefix keys.
func (m *Model) compareNames(a, b Sym) int {
	return strings.Compare(m.syms.String(a), m.syms.String(b))
}

// buildTraceTree orders every trace by col at once, under the write lock:
// O(n log n), about 45 ms for 100,000 traces here. A query does it while
// no writer runs; the writer builds in the background (startTraceBuild).
func (m *Model) buildTraceTree(col Column) {
	l := &m.tl
	l.build.abandon()
	items := m.collectTraceItems(col)
	l.col, l.built = col, true
	l.tree = ostree{}
	if col == TraceColName {
		l.tree.strings = m.compareNames
	}
	sortItems(&l.tree, items)
	l.tree.build(items)
}

// collectTraceItems makes every trace's item on col, which it also
// records as the trace's item in the tree to come.
func (m *Model) collectTraceItems(col Column) []item {
	l := &m.tl
	items := make([]item, 0, len(l.recs))
	for _, t := range l.recs {
		if t == nil {
			continue
		}
		t.sum.indexed = false
		if it, ok := m.traceItem(t, col); ok {
			items = append(items, it)
			t.sum.item, t.sum.indexed = it, true
		}
	}
	return items
}

// sortItems sorts items in tree t's order.
func sortItems(t *ostree, items []item) {
	slices.SortFunc(items, func(a, b item) int {
		if t.lt(a, b) {
			return -1
		}
		if t.lt(b, a) {
			return 1
		}
		return 0
	})
}

// takeTraceSortRequest starts building the tree a query asked for, or
// installs the one built. The writer calls it (flushTraces, and Run
// between batches) under the lock.
func (m *Model) takeTraceSortRequest() {
	l := &m.tl
	if l.build.on {
		select {
		case t := <-l.build.done:
			m.installTraceTree(t)
		default:
			return // one build at a time: a request waits for it
		}
	}
	want := l.want.Load()
	if want == 0 {
		return
	}
	col := Column(want - 1)
	if l.built && l.col == col {
		l.want.CompareAndSwap(want, 0)
		return
	}
	m.startTraceBuild(col)
}

// A change of the traces table's sort column needs the tree on the new
// column: about 45 ms to sort and build for 100,000 traces here. The
// writer collects the items under the lock (a few ms) and a goroutine
// sorts them and builds the tree while the writer goes on applying
// batches and queries answer by scanning. The traces that change or go
// meanwhile are listed; installing the tree takes their collected items
// out and puts their current ones in. Strings are not reclaimed during a
// build (stringcollect.go), as the name column's order reads them off the
// lock.
type traceBuild struct {
	on   bool
	col  Column
	done chan ostree
	list []*traceRec // traces changed or gone since their items were collected
}

// changed lists t as changed since the items were collected.
func (b *traceBuild) changed(t *traceRec) {
	if !t.sum.buildMark {
		t.sum.buildMark = true
		b.list = append(b.list, t)
	}
}

// abandon forgets a build under way (its goroutine sends to its own
// buffered channel).
func (b *traceBuild) abandon() {
	for _, t := range b.list {
		t.sum.buildMark = false
	}
	*b = traceBuild{}
}

// traceBuildPause, when set (tests), runs before a build sorts: changes
// made meanwhile are those installing must bring up to date.
var traceBuildPause func()

// traceBuildWake wakes the writer when a tree is ready.
func (m *Model) traceBuildWake() {
	select {
	case m.indexReq.wake <- struct{}{}:
	default:
	}
}

func (m *Model) startTraceBuild(col Column) {
	l := &m.tl
	l.want.CompareAndSwap(int32(col)+1, 0)
	l.built = false // the old tree's items are replaced: queries scan until the new one is in
	l.tree = ostree{}
	items := m.collectTraceItems(col)
	done := make(chan ostree, 1)
	l.build = traceBuild{on: true, col: col, done: done}
	tree := ostree{}
	if col == TraceColName {
		tree.strings = m.compareNames
	}
	go func() {
		if traceBuildPause != nil {
			traceBuildPause()
		}
		sortItems(&tree, items)
		tree.build(items)
		done <- tree
		m.traceBuildWake()
	}()
}

// installTraceTree makes a built tree the traces table's, bringing the
// traces changed meanwhile up to date.
func (m *Model) installTraceTree(tree ostree) {
	l := &m.tl
	col := l.build.col
	for _, t := range l.build.list {
		s := &t.sum
		s.buildMark = false
		if s.indexed {
			tree.remove(s.item)
			s.indexed = false
		}
		if s.slot == noSlot {
			continue // gone
		}
		if it, ok := m.traceItem(t, col); ok {
			tree.insert(it)
			s.item, s.indexed = it, true
		}
	}
	l.build = traceBuild{}
	l.tree, l.col, l.built = tree, col, true
}

// Traces returns one window of the traces table. Without a filter it
// reads the sort tree in O(log n + rows) (plus the traces in flight when
// sorting by Duration); with a filter it scans every trace, as the other
// tables do. A sort column without a tree yet is answered by a scan while
// the writer builds it.
func (m *Model) Traces(q Query) Page[TraceListRow] {
	f, ferr := parseFilter(q.Filter)
	if f != nil {
		if err := traceFilterErr(f); err != nil {
			f, ferr = nil, err
		}
	}
	col := q.Sort
	if col >= TraceColumns {
		col = TraceColID
	}
	var page Page[TraceListRow]
	for {
		m.mu.RLock()
		if f == nil && m.tl.built && m.tl.col == col {
			page = m.indexedTraces(q, col, m.now().UnixNano())
			m.mu.RUnlock()
			break
		}
		if f != nil || m.writing.Load() {
			if f == nil {
				m.askTraceSort(col)
			}
			page = m.scanTraces(q, col, f, m.now().UnixNano())
			m.mu.RUnlock()
			break
		}
		m.mu.RUnlock()
		m.mu.Lock() // no writer: build the tree here
		if !m.writing.Load() {
			m.buildTraceTree(col)
		}
		m.mu.Unlock()
	}
	if ferr != nil {
		page.FilterErr = ferr.Error()
	}
	return page
}

// askTraceSort asks the writer for a tree on col.
func (m *Model) askTraceSort(col Column) {
	m.tl.want.Store(int32(col) + 1)
	select {
	case m.indexReq.wake <- struct{}{}:
	default:
	}
}

// indexedTraces answers from the sort tree. The caller holds the read lock.
func (m *Model) indexedTraces(q Query, col Column, now int64) Page[TraceListRow] {
	l := &m.tl
	var run []item // in flight by Duration: merged in
	if col == TraceColDuration {
		run = make([]item, 0, len(l.live))
		for _, t := range l.live {
			run = append(run, item{key: t.sum.duration(now), idk: t.sum.seq, slot: t.sum.slot})
		}
		slices.SortFunc(run, func(a, b item) int {
			if less(a, b) {
				return -1
			}
			return 1
		})
	}
	n := l.tree.size
	total := n + len(run)
	rank, hasAnchor := 0, false
	if t := m.traceByRowID(q.Anchor); t != nil {
		it, ok := m.traceItem(t, col)
		if !ok {
			it.key = t.sum.duration(now)
		}
		rank = l.tree.rank(it) + sort.Search(len(run), func(j int) bool { return !l.tree.lt(run[j], it) })
		if q.Desc {
			rank = total - 1 - rank
		}
		hasAnchor = true
	}
	items, plan := orderedWindow(q, &l.tree, run, 0, n, rank, hasAnchor)
	return m.tracePage(items, total, plan, now)
}

// traceByRowID finds a stored trace by its row ID.
func (m *Model) traceByRowID(id uint64) *traceRec {
	if id == 0 {
		return nil
	}
	if t := m.tr.byKey[id]; t != nil && t.sum.slot != noSlot {
		return t
	}
	return nil
}

// scanTraces answers by a pass over every trace: while a filter is set,
// or until the writer has built the tree on a new sort column. The
// caller holds the read lock.
func (m *Model) scanTraces(q Query, col Column, f *filter, now int64) Page[TraceListRow] {
	var ranks []uint32
	if col == TraceColName {
		ranks = m.syms.rankOf(func(mark func(Sym)) {
			for _, t := range m.tl.recs {
				if t != nil {
					sym, _ := m.nameSym(&t.sum)
					mark(sym)
				}
			}
		})
	}
	keyOf := func(t *traceRec) item {
		key, sym, _ := m.traceKeyOf(t, col, now)
		if ranks != nil {
			key = math.MaxUint32
			if int(sym) < len(ranks) {
				key = int64(ranks[sym])
			}
		}
		it := sortItem(key, t.sum.seq, q.Desc)
		it.slot = t.sum.slot
		return it
	}
	each := func(fn func(item)) {
		for _, t := range m.tl.recs {
			if t != nil && (f == nil || m.matchTrace(f, t, now)) {
				fn(keyOf(t))
			}
		}
	}
	var anchor item
	hasAnchor := false
	if t := m.traceByRowID(q.Anchor); t != nil && (f == nil || m.matchTrace(f, t, now)) {
		anchor, hasAnchor = keyOf(t), true
	}
	items, total, plan := scanWindow(q, anchor, hasAnchor, each)
	return m.tracePage(items, total, plan, now)
}

func (m *Model) tracePage(items []item, total int, plan windowPlan, now int64) Page[TraceListRow] {
	page := Page[TraceListRow]{Total: total, Offset: plan.off, Selected: min(plan.selected, len(items)-1),
		Rows: make([]TraceListRow, len(items))}
	for j, it := range items {
		page.Rows[j] = m.traceListRow(m.tl.recs[it.slot], now)
	}
	return page
}

func (m *Model) traceListRow(t *traceRec, now int64) TraceListRow {
	s := &t.sum
	c, i := m.store.at(t.head)
	r := TraceListRow{ID: s.key, Version: uint64(s.ver), TraceID: c.cold[i].traceID,
		Spans: int(t.count), Errors: int(s.errors), Running: int(s.running),
		ServiceCount: len(s.svcs), Start: time.Unix(0, s.start), Duration: time.Duration(s.duration(now))}
	var sym Sym
	sym, r.RootMissing = m.nameSym(s)
	r.Name = m.syms.String(sym)
	// The root's service first (the earliest span's while it is missing),
	// then the others in order of arrival.
	first := noSlot
	if slot := s.root; slot != noSlot {
		first = slot
	} else if s.startSlot != noSlot {
		first = s.startSlot
	}
	lead := ^uint32(0)
	if first != noSlot {
		fc, fi := m.store.at(first)
		lead = fc.svc[fi]
		r.Services = append(r.Services, m.syms.String(m.aggs.services[lead].name))
	}
	for _, sc := range s.svcs {
		if len(r.Services) == rowServices {
			break
		}
		if sc.svc != lead {
			r.Services = append(r.Services, m.syms.String(m.aggs.services[sc.svc].name))
		}
	}
	return r
}

// TraceIDsWithPrefix returns up to limit stored trace IDs that start with
// hex prefix p (lower case), and how many match in all. It scans every
// trace: it answers a pasted trace ID, once.
func (m *Model) TraceIDsWithPrefix(p string, limit int) (ids []TraceID, n int) {
	p = strings.ToLower(p)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, t := range m.tl.recs {
		if t == nil {
			continue
		}
		c, i := m.store.at(t.head)
		id := c.cold[i].traceID
		if strings.HasPrefix(id.String(), p) {
			n++
			if len(ids) < limit {
				ids = append(ids, id)
			}
		}
	}
	return ids, n
}

// traceSortTurn builds a traces sort tree a query asked for. Run calls it
// between batches.
func (m *Model) traceSortTurn() {
	if !m.traceSortPending() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.takeTraceSortRequest()
	m.settleBudget()
}

// traceSortPending says the writer has a traces tree to build or install.
func (m *Model) traceSortPending() bool { return m.tl.want.Load() != 0 || m.tl.build.on }
