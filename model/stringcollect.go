package model

import (
	"encoding/binary"
	"time"
)

// Strings are reclaimed by a mark and sweep over everything stored, run by
// the writer when the intern table has grown past its share of the budget.
// A collection has two steps a second or more apart:
//
//  1. open: the table starts a new epoch. Handles interned or looked up
//     from then on are stamped with it, so a batch decoded or queued
//     meanwhile keeps its strings.
//  2. sweep, once the batches queued before the open have been applied:
//     mark every handle the store refers to and free the rest that were not
//     looked up since the open.
//
// A mark walks every stored span's attribute blobs, so it runs only when
// the strings exceed a sixteenth of the budget and have doubled since the
// last collection, or while the budget is short; at most once a second.
// Measured (BenchmarkCollectStrings1M): 33 ms under the write lock with a
// million spans stored and 197k strings.
type stringCollector struct {
	phase     uint8 // 0 idle, 1 opened
	openedAt  int64 // local Unix ns
	epoch     uint32
	received  int64 // Counters.Received at the open
	lastSweep int64
	// after is the table's size after the last sweep; the next collection
	// waits until it has doubled (or the budget is short).
	after int64
	// applied counts the spans of every batch applied (stored or not).
	applied int64
	freed   int64 // bytes reclaimed in total
	runs    int64
}

// collectEvery is the least time between the open and the sweep, and
// between two sweeps: longer than any request takes from decode to queue.
const collectEvery = time.Second

// stringShare is the part of the budget the intern table may take before a
// collection is considered.
func stringShare(budget int64) int64 { return budget / 16 }

// maybeCollectStrings advances the string collector; the writer calls it
// from Sweep with the write lock held.
func (m *Model) maybeCollectStrings(now int64) {
	if m.build.phase != buildIdle || m.tl.build.on {
		return // a build reads strings off the lock; reclaim none meanwhile
	}
	sc := &m.strs
	bytes := m.syms.Bytes()
	switch sc.phase {
	case 0:
		short := m.counters.OverBudget.Load()
		if now-sc.lastSweep < int64(collectEvery) && !short {
			return
		}
		if bytes < stringShare(m.cfg.MaxMemory) || (!short && bytes < 2*sc.after) {
			return
		}
		sc.phase, sc.openedAt = 1, now
		sc.epoch = m.syms.openEpoch()
		sc.received = m.counters.Received.Load()
	case 1:
		if now-sc.openedAt < int64(collectEvery) || sc.applied < sc.received {
			return
		}
		m.collectStrings(sc.epoch)
		sc.phase, sc.lastSweep = 0, now
		sc.after = m.syms.Bytes()
		m.symBytes = sc.after
		if m.counters.OverBudget.Load() && sc.after > m.cfg.MaxMemory/4 {
			// The strings still held are the stored spans': let the
			// older half of them go, so that the next collection frees
			// their strings and the model can accept spans again.
			for n := m.ret.fifo.len() / 2; n > 0 && m.evictOldest(); n-- {
			}
		}
	}
}

// collectStrings marks every handle the store refers to and frees the
// others not looked up since epoch. The caller holds the write lock.
func (m *Model) collectStrings(since uint32) {
	live := make([]uint64, (len(m.syms.snapshot())+63)/64+1)
	mark := func(id Sym) {
		if int(id/64) < len(live) {
			live[id/64] |= 1 << (id % 64)
		}
	}
	mark(m.aggs.unknownService)
	for _, c := range m.store.chunks {
		for i := range chunkSize {
			if c.id[i] == 0 {
				continue
			}
			mark(c.name[i])
			mark(c.scope[i])
			mark(c.loc[i])
			cold := &c.cold[i]
			mark(cold.scopeVer)
			eachSym(cold.attrs, mark)
			if cold.hasExt {
				for _, ev := range cold.ext.Events {
					eachSym(ev.Attrs, mark)
				}
				for _, l := range cold.ext.Links {
					eachSym(l.Attrs, mark)
				}
			}
		}
	}
	for _, s := range m.aggs.services {
		mark(s.name)
		mark(s.instance)
		mark(s.host)
		eachSym(s.attrs, mark)
	}
	for _, o := range m.aggs.ops {
		mark(o.name)
	}
	m.markSignalStrings(mark)
	m.strs.freed += m.syms.sweep(live, since)
	m.strs.runs++
}

// eachSym calls fn with every handle an attribute blob holds: the keys and
// the interned values.
func eachSym(blob []byte, fn func(Sym)) {
	for len(blob) > 0 {
		k, tag, rest, ok := nextAttr(blob)
		if !ok {
			return
		}
		fn(k)
		blob = rest
		switch tag {
		case tagStrSym:
			id, n := binary.Uvarint(blob)
			if n <= 0 {
				return
			}
			fn(Sym(id))
			blob = blob[n:]
		case tagStrInline, tagBytes:
			l, n := binary.Uvarint(blob)
			if n <= 0 || uint64(len(blob)-n) < l {
				return
			}
			blob = blob[n+int(l):]
		case tagInt:
			_, n := binary.Varint(blob)
			if n <= 0 {
				return
			}
			blob = blob[n:]
		case tagDouble:
			if len(blob) < 8 {
				return
			}
			blob = blob[8:]
		case tagTrue, tagFalse:
		default:
			return
		}
	}
}
