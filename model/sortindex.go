package model

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
	"sync"
)

// taskIndex keeps every stored span ordered by the tasks view's active
// sort column (ascending, ID last), so that a frame needs O(log n + rows).
// The writer updates it with each change that moves a span's key; a change
// of sort column rebuilds it once. Running spans sorted by Total are kept
// out of it, because their Total grows with the clock: they are few, and a
// query merges them in.
type taskIndex struct {
	col  Column
	tree ostree
	strs []string // the symbol table as of the last batch, for string keys
}

// indexColumn maps a column to the one whose order it shares: columns that
// are zero for every span sort by ID alone.
func indexColumn(col Column) Column {
	if col >= TaskColumns {
		return TaskID
	}
	return col
}

func (x *taskIndex) stringColumn() bool {
	switch x.col {
	case TaskName, TaskService, TaskTarget, TaskLocation:
		return true
	}
	return false
}

// less orders items as the index does: for string columns a key tie falls
// back to comparing the whole strings, so the order is the strings' byte
// order, then ID.
func (x *taskIndex) less(a, b item) bool { return x.tree.lt(a, b) }

func (x *taskIndex) compareStrings(a, b Sym) int { return strings.Compare(x.str(a), x.str(b)) }

func (x *taskIndex) str(id Sym) string {
	id &^= classGoroutine
	if int(id) < len(x.strs) {
		return x.strs[id]
	}
	return ""
}

// prefixKey is a string's first eight bytes as an integer in byte order.
func (x *taskIndex) prefixKey(id Sym) int64 {
	var b [8]byte
	copy(b[:], x.str(id))
	return int64(binary.BigEndian.Uint64(b[:]) ^ 1<<63)
}

// runtimeKey is a slot's value in one of the Go-runtime columns.
func runtimeKey(c *spanChunk, i int, col Column) int64 {
	if c.rt == nil {
		return 0
	}
	switch col {
	case TaskBusy:
		return c.rt.busy[i]
	case TaskSched:
		return c.rt.sched[i]
	case TaskIdle:
		return c.rt.idle[i]
	case TaskPolls:
		return int64(c.rt.polls[i])
	}
	return 0
}

// taskKey is the one definition of the tasks columns' sort keys: the value
// of column col for row i of chunk c as an integer, and for the string
// columns the Sym whose string it is, turned into a key by str (the
// index takes a prefix and breaks ties on the whole string; a scan takes
// the alphabetical rank). Columns that are zero for every span sort by ID.
func (m *Model) taskKey(col Column, c *spanChunk, i int, now int64, str func(Sym) int64) (int64, Sym) {
	var sym Sym
	switch col {
	case TaskTotal:
		return durKey(c.dur[i], now), 0
	case TaskBusy, TaskSched, TaskIdle, TaskPolls:
		return runtimeKey(c, i, col), 0
	case TaskWarn:
		return int64(bits.OnesCount16(c.warn[i])), 0
	case TaskState:
		return int64(c.state[i]), 0
	case TaskKind:
		return int64(c.kind[i]), 0
	case TaskFields:
		return int64(c.nattr[i]), 0
	case TaskName:
		sym = c.name[i]
	case TaskService:
		if int(c.svc[i]) < len(m.aggs.services) {
			sym = m.aggs.services[c.svc[i]].name
		}
	case TaskTarget:
		sym = c.scope[i]
	case TaskLocation:
		sym = c.loc[i]
	default: // ID
		return 0, 0
	}
	return str(sym), sym
}

// itemFor returns a slot's item for index x; false for a live row (running
// span, live goroutine) when the column is Total, whose key grows with the
// clock: those are merged in by the query; false too for a row that has
// lingered out of the live tables (linger.go), with its key set.
func (m *Model) itemFor(x *taskIndex, slot uint32) (item, bool) {
	c, i := m.store.at(slot)
	it := item{idk: c.id[i], slot: slot, sym: classOf(c, i)}
	if x.col == TaskTotal && c.dur[i] < 0 {
		return it, false
	}
	key, sym := m.taskKey(x.col, c, i, 0, x.prefixKey)
	it.key = key
	if x.stringColumn() {
		it.sym |= sym
	}
	return it, !c.shelved[i]
}

// placeItem is a slot's place in the index's order whether or not it is
// in the index: a running row sorted by Total gets its total so far.
func (m *Model) placeItem(slot uint32, now int64) item {
	it, _ := m.indexItem(slot)
	if c, i := m.store.at(slot); m.idx.col == TaskTotal && c.dur[i] < 0 {
		it.key = durKey(c.dur[i], now)
	}
	return it
}

// bumpVersion marks that a row shows something new (TaskRow.Version).
func (m *Model) bumpVersion(slot uint32) {
	c, i := m.store.at(slot)
	c.cold[i].ver++
	m.rowEdits++
}

// indexItem is a slot's item in the active sort index.
func (m *Model) indexItem(slot uint32) (item, bool) { return m.itemFor(&m.idx, slot) }

// indexAdd is called after a slot's fields changed or it was stored, so it
// also bumps the row's version.
func (m *Model) indexAdd(slot uint32) {
	m.bumpVersion(slot)
	if it, ok := m.indexItem(slot); ok {
		m.idx.tree.insert(it)
	}
	m.build.added(m, slot)
	m.traceSpanChanged(slot)
}

func (m *Model) indexRemove(slot uint32) {
	m.traceSpanChanging(slot)
	if it, ok := m.indexLeave(slot); ok {
		m.idx.tree.remove(it)
	}
}

// indexLeave takes slot out of an index being built and returns its item
// in the active index, if it is there, for the caller to remove: at once
// (indexRemove), or together with others (a linger sweep).
func (m *Model) indexLeave(slot uint32) (item, bool) {
	m.rowEdits++
	m.build.removing(m, slot)
	return m.indexItem(slot)
}

// rebuildIndex orders every stored span by col at once. The caller holds
// the write lock. It is what a query does when no writer runs (tests,
// tools); with a writer, the writer builds the index in the background
// (see indexBuild).
func (m *Model) rebuildIndex(col Column) {
	m.build.abandon()
	m.idx.col = col
	m.idx.strs = m.syms.snapshot()
	m.idx.tree.strings = nil
	if m.idx.stringColumn() {
		m.idx.tree.strings = m.idx.compareStrings
	}
	items := make([]item, 0, m.store.live)
	for ci := range m.store.chunks {
		items = m.appendChunkItems(items, &m.idx, ci)
	}
	slices.SortFunc(items, m.idx.tree.cmp)
	m.idx.tree = ostree{strings: m.idx.tree.strings}
	m.idx.tree.build(items)
	m.settleBudget()
}

// appendChunkItems appends the items of chunk ci's stored spans for x.
func (m *Model) appendChunkItems(items []item, x *taskIndex, ci int) []item {
	c := m.store.chunks[ci]
	for i := range chunkSize {
		if c.id[i] != 0 {
			if it, ok := m.itemFor(x, uint32(ci)<<chunkBits|uint32(i)); ok {
				items = append(items, it)
			}
		}
	}
	return items
}

// slotCache remembers where the rows of recent pages are stored, so that
// the next frame finds its anchor without scanning the ID column. Entries
// are checked against the slot's ID before use.
type slotCache struct {
	mu      sync.Mutex
	entries [512]struct {
		id   uint64
		slot uint32
	}
}

func (c *slotCache) put(id uint64, slot uint32) {
	c.mu.Lock()
	e := &c.entries[id%uint64(len(c.entries))]
	e.id, e.slot = id, slot
	c.mu.Unlock()
}

func (c *slotCache) get(id uint64) (uint32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[id%uint64(len(c.entries))]
	return e.slot, e.id == id
}

// findSlot locates a span by display ID: from the cache when it was shown
// recently, else by scanning the ID column.
func (m *Model) findSlot(id uint64) (uint32, bool) {
	if slot, ok := m.recent.get(id); ok && int(slot>>chunkBits) < len(m.store.chunks) {
		if c, i := m.store.at(slot); c.id[i] == id {
			return slot, true
		}
	}
	slot, ok := m.slotOf(id)
	if ok {
		m.recent.put(id, slot)
	}
	return slot, ok
}
