package model

import "time"

// Shown vs kept. A finished span stays in the live tables (spans,
// goroutines) for Config.Linger, dimmed, and stays stored — its trace and
// waterfall, its operation's details, search, its details — until
// Config.Retain or the memory budget removes it. Both count from when the
// span finished, so the retention queue serves both: retention pops its
// front, and shownFrom is the position of the first entry whose span may
// still be in the live tables. Sweep moves it along as spans come due
// (nextSweep knows when), so leaving the live tables costs O(1) per span
// and never a scan of the store.
//
// A span that has lingered out is "shelved": it leaves the sort index
// (itemFor says no), so the live table's window query stays O(visible +
// log n) however many spans are stored. Queries that ask for stored spans
// too (Query.Stored, a filter that names a trace) scan the key columns,
// as every filter does.

// sweepLinger shelves the spans whose linger (and, idle, its slack:
// lingerSlack) is over. The caller holds the write lock. They leave the
// sort index together: idle after a load a sweep shelves several seconds'
// worth of spans, and removing them one by one was most of what the
// process did. When they are a large part of the index, one walk through
// its leaves drops them by slot; else they are sorted and sought, in a
// walk of its tree per lingerBatch.
func (m *Model) sweepLinger(now int64) {
	q := &m.ret.fifo
	from := max(m.ret.shownFrom, q.start())
	cutoff := now - int64(m.cfg.Linger)
	if from < q.end() && q.at(from).at+m.lingerSlack(now) > cutoff {
		return // idle: the first to go waits out its slack, then leaves with all that are due
	}
	end := from
	for end < q.end() && q.at(end).at <= cutoff {
		end++
	}
	m.ret.shownFrom = end
	if (end-from)*leaveByWalk >= m.idx.tree.size {
		marked := false
		for pos := from; pos < end; pos++ {
			if it, ok := m.shelve(q.at(pos)); ok {
				m.ret.gone.add(it.slot)
				marked = true
			}
		}
		if marked {
			m.idx.tree.removeSlots(m.ret.gone)
			clear(m.ret.gone)
		}
		return
	}
	out := m.ret.leaving[:0]
	for pos := from; pos < end; pos++ {
		it, ok := m.shelve(q.at(pos))
		if !ok {
			continue
		}
		if out = append(out, it); len(out) == lingerBatch {
			m.leaveSorted(out)
			out = out[:0]
		}
	}
	m.leaveSorted(out)
	m.ret.leaving = out[:0]
}

// leaveByWalk: spans lingering out leave the index by a walk of all its
// leaves when they are at least 1/leaveByWalk of it. After a load at 10k
// spans/s (durations of 1–50 ms to the nanosecond, sorted by Total), an
// idle sweep of 20k spans of 230k took 2–3 ms in the running process with
// the walk, shelving included, against 4–9 ms to sort and seek them
// (BenchmarkRemoveLeaving: 51–60 against 160–180 ns a span). A variable
// only so that a test can turn the walk off (0) to exercise the other way.
var leaveByWalk = 32

// lingerBatch is the most spans that leave the sort index in one sorted
// walk. The room for them (and for sorting them), 768 KiB at most, grows
// once and is kept: a burst's worth grown anew at each sweep cost a page
// fault per 4 KiB.
const lingerBatch = 16384

// leaveSorted removes items, shelved spans' items, from the sort index,
// sorted and each sought in its leaf.
func (m *Model) leaveSorted(items []item) {
	if len(items) > 0 {
		m.ret.sortRoom = m.idx.tree.sortItems(items, m.ret.sortRoom)
		m.idx.tree.removeSorted(items)
	}
}

// lingerDue is when the next span leaves the live tables (never if none
// is waiting to).
func (m *Model) lingerDue(now int64) int64 {
	q := &m.ret.fifo
	if pos := max(m.ret.shownFrom, q.start()); pos < q.end() {
		return q.at(pos).at + int64(m.cfg.Linger) + m.lingerSlack(now)
	}
	return never
}

// lingerSlack is how long past --linger a finished span may stay in the
// live tables at now: nothing while batches arrive, and once none has
// for idleSweepGap, a fifth of --linger (idleLingerSlack). Idle, the
// spans of a past load then leave in steps of that much rather than at
// every sweep: each step walks the whole sort index and redraws the
// table, and in the 20 s after a load at 10k spans/s (bin/benchsteady,
// six rounds in two runs) the process spent 0.29–0.45% of a core with a
// step every 2 s, against 0.19–0.23% with steps of 6 s.
func (m *Model) lingerSlack(now int64) int64 {
	if !m.idle(now) {
		return 0
	}
	return int64(m.cfg.Linger / idleLingerSlack)
}

// idleLingerSlack: idle, a span stays up to 1/idleLingerSlack of --linger
// past it (lingerSlack).
const idleLingerSlack = 5

// shelve takes the span of a queue entry out of the live tables, if the
// entry is still that span's and it is still finished: it returns its
// item in the sort index, if it has one, for the caller to remove
// (indexLeave). Nothing else of it changes (its trace's summary counts it
// as before), so its trace is not told, as indexRemove would.
func (m *Model) shelve(e fifoEntry) (item, bool) {
	c, i := m.store.at(e.slot)
	if c.cold[i].gen != e.gen || c.id[i] == 0 || c.shelved[i] {
		return item{}, false
	}
	if st := c.state[i]; st == StateRunning || st == StateWaiting {
		return item{}, false // ran again after it was queued
	}
	it, ok := m.indexLeave(e.slot)
	c.shelved[i] = true
	m.shelvedRows[classIndex(c, i)]++
	return it, ok
}

// unshelve brings a span back into the live tables: it runs again, or it
// finished anew (a later version arrived) and lingers from now. Callers
// hold it out of the index around the change (indexRemove … indexAdd).
func (m *Model) unshelve(slot uint32) {
	c, i := m.store.at(slot)
	m.forgetShelved(c, i)
}

// forgetShelved is called when a span is removed from the store.
func (m *Model) forgetShelved(c *spanChunk, i int) {
	if c.shelved[i] {
		c.shelved[i] = false
		m.shelvedRows[classIndex(c, i)]--
	}
}

// classIndex is 1 for a goroutine row, 0 for a span (shelvedRows).
func classIndex(c *spanChunk, i int) int {
	if isGoroutineRow(c, i) {
		return 1
	}
	return 0
}

// wantsStored says whether a query lists stored spans that have lingered
// out besides those in the live table: asked for (Query.Stored), or the
// filter names a trace (trace=…, or a pasted trace ID), whose spans the
// user wants whatever their age.
func wantsStored(q Query, f *filter) bool {
	return q.Stored || (f != nil && f.namesTrace())
}

// anyShelved says some stored row has lingered out of the live tables.
func (m *Model) anyShelved() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.shelvedRows[0]+m.shelvedRows[1] > 0
}

// namesTrace reports whether a filter picks spans by trace ID.
func (f *filter) namesTrace() bool {
	for k := range f.terms {
		t := &f.terms[k]
		if (t.field == fieldTrace && t.op != opNe) || t.traceHex {
			return true
		}
	}
	return false
}

// Linger is how long finished spans stay in the live tables (Config.Linger).
func (m *Model) Linger() time.Duration { return m.cfg.Linger }

// Retain is how long finished spans stay stored (Config.Retain).
func (m *Model) Retain() time.Duration { return m.cfg.Retain }
