package model

import (
	"slices"
	"sync/atomic"
	"time"
)

// A change of sort column needs the sort index on the new column. Built in
// one go under the write lock that takes 0.25–1.3 s with a million spans,
// during which neither the screen nor ingest moves. So the writer builds it
// in the background while queries answer by scanning (see Model.Tasks):
//
//  1. collecting: between batches, the writer copies the items of a few
//     chunks at a time, of the chunks there were when the build began,
//     into room made for all of them before the write lock was taken (a
//     slice that grew while collecting copied a million items under the
//     lock: stalls of 250-400 ms);
//  2. sorting: a goroutine sorts the items and builds the tree while the
//     writer goes on applying batches;
//  3. replaying: the writer brings the new tree up to date, a few thousand
//     slots at a time, then makes it the active index.
//
// Every change of a slot already collected is recorded (its item before the
// first change) in dirty; replaying removes that item and inserts the
// slot's current one. Chunks added while the items were sorted (new spans)
// are inserted by replaying too, a few at a time. Once replaying has
// begun, changes to slots collected and not dirty go to the new tree
// directly.
type indexBuild struct {
	phase buildPhase
	next  *taskIndex
	p     int // chunks collected (while replaying: inserted into the new tree)
	end   int // the chunks to collect: those there were when the build began
	items []item
	dirty map[uint32]dirtyItem
	done  chan ostree // the sorting goroutine's tree
	queue []uint32    // dirty slots left to replay
}

type buildPhase uint8

const (
	buildIdle buildPhase = iota
	buildCollecting
	buildSorting
	buildReplaying
)

type dirtyItem struct {
	old item
	had bool // old is in the new tree
}

// Steps of the build between two batches end after buildStepTime or after
// buildChunksPerStep chunks collected (buildReplayPerStep slots replayed),
// whichever comes first: a step measured in items took 17-21 ms on a
// busy two-core machine, a stall of ingest that a clock bounds whatever
// the machine's speed. Tests make the counts small to land batches in
// every phase.
var (
	buildStepTime      = 2 * time.Millisecond
	buildChunksPerStep = 256
	buildReplayPerStep = 1 << 16
)

// replayClockEvery is how many slots a replaying step handles between two
// looks at the clock.
const replayClockEvery = 256

// busy says the writer has a step to take without waiting for anything.
func (b *indexBuild) busy() bool { return b.phase == buildCollecting || b.phase == buildReplaying }

// on says a build for col is under way.
func (b *indexBuild) on(col Column) bool { return b.phase != buildIdle && b.next.col == col }

// abandon drops a build under way. A query that rebuilds the index itself
// calls it, which happens only while no writer runs, or before Run has
// said it does; the build is then idle, and is left untouched so that a
// writer just starting reads it without a race.
func (b *indexBuild) abandon() {
	if b.phase != buildIdle {
		*b = indexBuild{} // a sorting goroutine sends to its own buffered channel
	}
}

// collected says slot's item is already in the build's items or tree.
func (b *indexBuild) collected(slot uint32) bool {
	switch b.phase {
	case buildCollecting, buildSorting:
		return int(slot>>chunkBits) < b.p
	case buildReplaying:
		return int(slot>>chunkBits) < b.p
	}
	return false
}

// removing is called before a slot's indexed fields change or it is removed.
func (b *indexBuild) removing(m *Model, slot uint32) {
	if !b.collected(slot) {
		return
	}
	if _, ok := b.dirty[slot]; ok {
		return
	}
	it, had := m.itemFor(b.next, slot)
	if b.phase == buildReplaying {
		if had {
			b.next.tree.remove(it)
		}
		return
	}
	b.dirty[slot] = dirtyItem{old: it, had: had}
}

// added is called after a slot's indexed fields changed or it was stored.
func (b *indexBuild) added(m *Model, slot uint32) {
	if !b.collected(slot) {
		return
	}
	if _, ok := b.dirty[slot]; ok {
		return
	}
	if b.phase == buildReplaying {
		if it, ok := m.itemFor(b.next, slot); ok {
			b.next.tree.insert(it)
		}
		return
	}
	b.dirty[slot] = dirtyItem{} // stored since its chunk was collected
}

// wantIndex is set by a query (column+1) that found the index on another
// column; the writer reads it.
type indexRequest struct {
	col  atomic.Int32
	wake chan struct{}
}

func (r *indexRequest) ask(col Column) {
	r.col.Store(int32(col) + 1)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// startBuild begins building the index on col, collecting into items,
// which has room for every slot of the first len(items)/chunkSize chunks.
// The caller holds the write lock.
func (m *Model) startBuild(col Column, items []item) {
	m.build.abandon()
	next := &taskIndex{col: col, strs: m.syms.snapshot()}
	if next.stringColumn() {
		next.tree.strings = next.compareStrings
	}
	m.build = indexBuild{
		phase: buildCollecting, next: next,
		end:   min(cap(items)/chunkSize, len(m.store.chunks)),
		items: items[:0],
		dirty: make(map[uint32]dirtyItem),
	}
}

// takeIndexRequest starts a build for the column a query asked for, if it
// is neither active nor being built. The writer calls it.
func (m *Model) takeIndexRequest() {
	want := m.indexReq.col.Load()
	if want == 0 {
		// Room made for a request withdrawn (the sort went back to the
		// active column) is not kept: tens of MB nobody accounts for.
		m.room.ready = nil
		return
	}
	col := Column(want - 1)
	// Only the writer changes the index, the build and the number of
	// chunks, and the writer is here: they can be read without the lock,
	// and the items' room (tens of MB) made before taking it.
	if m.idx.col == col {
		if m.build.phase != buildIdle {
			m.mu.Lock()
			m.build.abandon()
			m.mu.Unlock()
		}
		m.indexReq.col.CompareAndSwap(want, 0)
		return
	}
	if m.build.on(col) {
		return
	}
	if m.room.wait != nil {
		return // Run calls again when the room is made
	}
	items := m.room.ready
	if items == nil {
		m.room.make(len(m.store.chunks) * chunkSize)
		return
	}
	m.room.ready = nil
	m.mu.Lock()
	defer m.mu.Unlock()
	m.startBuild(col, items)
}

// buildRoom is the writer's room for a build's items: the items of a
// million spans take 24 MB, and memory fresh from the system faults in page
// by page (about 65 µs a page on a small VM: 0.4 s for 24 MB). Made on the
// writer that was a 10-16 ms stall before the build began, and every
// collecting step touching new pages under the write lock took 17 ms. So a
// goroutine makes the room and touches every page, and the build begins
// when it is ready; queries scan meanwhile.
type buildRoom struct {
	wait  chan []item // being made; nil when not
	ready []item      // made, not yet taken by a build
}

func (r *buildRoom) make(n int) {
	r.wait = make(chan []item, 1)
	wait := r.wait
	inBackground(func() { makeRoom(n, wait) })
}

// arrived takes the room that was made. The writer calls it.
func (r *buildRoom) arrived(items []item) { r.ready, r.wait = items, nil }

// itemsPerTouch is at most a page's worth of items (24 bytes each).
const itemsPerTouch = 128

func makeRoom(n int, ready chan<- []item) {
	items := make([]item, max(n, 1))
	for i := 0; i < len(items); i += itemsPerTouch {
		items[i].slot = 1
	}
	ready <- items[:0]
}

// buildStep takes one step of the build. The writer calls it, between batches.
func (m *Model) buildStep() {
	activated := false
	defer func() {
		if activated {
			m.signalChange()
		}
	}()
	m.mu.Lock()
	defer m.mu.Unlock()
	start := time.Now()
	b := &m.build
	switch b.phase {
	case buildCollecting:
		end := min(b.p+buildChunksPerStep, b.end)
		for b.p < end && time.Since(start) < buildStepTime {
			b.items = m.appendChunkItems(b.items, b.next, b.p)
			b.p++
		}
		if b.p == b.end {
			b.phase = buildSorting
			b.done = make(chan ostree, 1)
			next, items, done := b.next, b.items, b.done
			inBackground(func() { sortIndex(next, items, done) })
			b.items = nil
		}
	case buildReplaying:
		if b.p < len(m.store.chunks) {
			// Chunks added since the items were collected: their spans
			// go in as they are now (none of them can be dirty).
			end := min(b.p+max(buildReplayPerStep/chunkSize, 1), len(m.store.chunks))
			var chunk []item
			for b.p < end && time.Since(start) < buildStepTime {
				chunk = m.appendChunkItems(chunk[:0], b.next, b.p)
				for _, it := range chunk {
					b.next.tree.insert(it)
				}
				b.p++
			}
			return
		}
		n := min(buildReplayPerStep, len(b.queue))
		for k, slot := range b.queue[:n] {
			if k%replayClockEvery == 0 && k > 0 && time.Since(start) >= buildStepTime {
				n = k
				break
			}
			d := b.dirty[slot]
			delete(b.dirty, slot)
			if d.had {
				b.next.tree.remove(d.old)
			}
			if c, i := m.store.at(slot); c.id[i] != 0 {
				if it, ok := m.itemFor(b.next, slot); ok {
					b.next.tree.insert(it)
				}
			}
		}
		b.queue = b.queue[n:]
		if len(b.queue) == 0 {
			m.changes++ // a query in the previous order asks again
			activated = true
			m.idx = *b.next
			m.idx.strs = m.syms.snapshot()
			if m.idx.stringColumn() {
				m.idx.tree.strings = m.idx.compareStrings
			}
			b.abandon()
			m.settleBudget()
		}
	}
}

// sortIndex sorts a build's items and makes its tree, off the writer, at
// a low priority: a few hundred milliseconds of CPU that would otherwise
// take turns with the writer and the screen on a small machine.
func sortIndex(x *taskIndex, items []item, done chan<- ostree) {
	slices.SortFunc(items, x.tree.cmp)
	t := ostree{strings: x.tree.strings}
	t.build(items)
	done <- t
}

// sorted takes the sorting goroutine's tree: the build moves on to replaying.
func (m *Model) sorted(t ostree) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := &m.build
	if b.phase != buildSorting {
		return
	}
	b.next.tree = t
	b.next.strs = m.syms.snapshot()
	b.phase = buildReplaying
	b.queue = make([]uint32, 0, len(b.dirty))
	for slot := range b.dirty {
		b.queue = append(b.queue, slot)
	}
}
