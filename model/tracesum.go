package model

import "unsafe"

// The traces table needs, per trace, its root, services, span, error and
// in-flight counts and its extent. The writer keeps them in the trace's
// record as its spans arrive, change and go, so that a frame reads them
// instead of walking any trace:
//
//   - counts (errors, in flight, spans per service) are added and taken
//     back exactly: every change of a span goes through indexRemove (the
//     span's part before) and indexAdd (after), and a span leaving its
//     trace through unlinkTrace;
//   - the extent and the root are a minimum, a maximum and a choice, which
//     cannot be taken back: when the span that holds one of them changes
//     for the worse or goes, the trace is walked again once, at the end of
//     the batch (flushTraces), not per span.

// traceSum is what the traces table shows of one trace.
type traceSum struct {
	key  uint64 // traceKey: the row's ID
	seq  uint64 // arrival order: the ID's place among equal keys
	slot uint32 // index in traceList.recs; noSlot once the trace is gone
	ver  uint32 // bumped whenever the row shows something new

	errors, running int32
	// svcs are the trace's services in order of arrival, in svcBuf while
	// they are few: an allocation per trace showed in profiles.
	svcs   []svcCount
	svcBuf [4]svcCount

	// The extent: the earliest start and the latest end of a finished
	// span, and the slots holding them; the root: the earliest span
	// without a parent (noSlot while none is stored).
	start, end         int64
	startSlot, endSlot uint32
	root               uint32
	rootStart          int64
	lost               lostHolders
	dirty, indexed     bool
	buildMark          bool // listed in traceBuild.list
	livePos            int32
	item               item // its item in the traces sort tree, when indexed
}

// svcCount is how many of a trace's spans one service has.
type svcCount struct {
	svc uint32
	n   uint32
}

// lostHolders marks which of a trace's holders (earliest start, latest
// end, root) changed for the worse or went: the trace must be walked.
type lostHolders uint8

const (
	lostStart lostHolders = 1 << iota
	lostEnd
	lostRoot
)

// traceSumBytes is what a trace's summary adds to its record (a trace
// with more than four services has a few bytes more).
const traceSumBytes = int64(unsafe.Sizeof(traceSum{}))

// spanCounts is what a span counts for in its trace's summary: read from
// the hot columns only, so that evicting a span, which visits old and
// uncached spans, costs no other cache line.
type spanCounts struct {
	svc     uint32
	running bool
	err     bool
}

// spanPart is all of one span's part in its trace's summary.
type spanPart struct {
	spanCounts
	start, end int64 // end: 0 while in flight
	root       bool
}

func (m *Model) countsOf(slot uint32) spanCounts {
	c, i := m.store.at(slot)
	return spanCounts{svc: c.svc[i], running: c.dur[i] < 0, err: c.state[i] == StateError}
}

// partOf reads slot's part of its trace's summary.
func (m *Model) partOf(slot uint32) spanPart {
	c, i := m.store.at(slot)
	cold := &c.cold[i]
	p := spanPart{spanCounts: m.countsOf(slot), start: cold.start, root: cold.parent.IsZero()}
	if !p.running {
		p.end = cold.start + c.dur[i]
	}
	return p
}

// pendingPart is what a span counted for before a change (indexRemove),
// taken back when the change is done (indexAdd) or the span leaves.
type pendingPart struct {
	slot   uint32
	counts spanCounts
}

// traceOfSlot returns the trace of a stored span; nil for a goroutine.
// The last trace looked up is remembered by ID: a batch's spans come in
// runs of one trace, and hashing the ID for every span showed in profiles.
func (m *Model) traceOfSlot(slot uint32) *traceRec {
	c, i := m.store.at(slot)
	if c.kind[i] == KindGoroutine {
		return nil
	}
	id := &c.cold[i].traceID
	if l := &m.tl; l.lastT != nil && l.lastID == *id {
		return l.lastT
	}
	t := m.trace(traceKey(*id), false)
	m.tl.lastID, m.tl.lastT = *id, t
	return t
}

// traceSpanChanging is called before a span's fields change (indexRemove).
func (m *Model) traceSpanChanging(slot uint32) {
	if c, i := m.store.at(slot); c.kind[i] == KindGoroutine {
		return
	}
	for _, p := range m.tl.pending {
		if p.slot == slot {
			return // a change inside a change: the first part counts
		}
	}
	m.tl.pending = append(m.tl.pending, pendingPart{slot: slot, counts: m.countsOf(slot)})
}

// takePending removes and returns what slot counted for before its change.
func (m *Model) takePending(slot uint32) (spanCounts, bool) {
	for k, p := range m.tl.pending {
		if p.slot == slot {
			m.tl.pending = removeAt(m.tl.pending, k)
			return p.counts, true
		}
	}
	return spanCounts{}, false
}

// traceSpanChanged is called after a span was stored or changed (indexAdd).
func (m *Model) traceSpanChanged(slot uint32) {
	t := m.traceOfSlot(slot)
	if t == nil {
		return
	}
	if old, ok := m.takePending(slot); ok {
		t.sum.take(old, slot)
	}
	t.sum.add(m.partOf(slot), slot)
	m.tl.markDirty(t)
}

// traceSpanLeaving is called when a span leaves its trace (unlinkTrace),
// before the trace's count drops.
func (m *Model) traceSpanLeaving(t *traceRec, slot uint32) {
	counts, ok := m.takePending(slot)
	if !ok {
		counts = m.countsOf(slot)
	}
	t.sum.take(counts, slot)
	if t.count == 1 {
		m.tl.unregister(t)
		return
	}
	m.tl.markDirty(t)
}

// add counts a span's part in.
func (s *traceSum) add(p spanPart, slot uint32) {
	if p.err {
		s.errors++
	}
	if p.running {
		s.running++
	}
	s.addService(p.svc)
	if slot == s.startSlot && p.start <= s.start {
		s.lost &^= lostStart
	}
	if s.startSlot == noSlot || p.start < s.start {
		s.start, s.startSlot = p.start, slot
		s.lost &^= lostStart
	}
	if !p.running {
		if slot == s.endSlot && p.end >= s.end {
			s.lost &^= lostEnd
		}
		if s.endSlot == noSlot || p.end > s.end {
			s.end, s.endSlot = p.end, slot
			s.lost &^= lostEnd
		}
	}
	if p.root {
		if slot == s.root && p.start <= s.rootStart {
			s.lost &^= lostRoot
		}
		if s.root == noSlot || p.start < s.rootStart {
			s.root, s.rootStart = slot, p.start
			s.lost &^= lostRoot
		}
	}
}

// take counts a span out; a holder it was is lost.
func (s *traceSum) take(p spanCounts, slot uint32) {
	if p.err {
		s.errors--
	}
	if p.running {
		s.running--
	}
	for k := range s.svcs {
		if s.svcs[k].svc == p.svc {
			if s.svcs[k].n--; s.svcs[k].n == 0 {
				s.svcs = removeAt(s.svcs, k)
			}
			break
		}
	}
	if slot == s.startSlot {
		s.lost |= lostStart
	}
	if slot == s.endSlot {
		s.lost |= lostEnd
	}
	if slot == s.root {
		s.lost |= lostRoot
	}
}

func (s *traceSum) addService(svc uint32) {
	for k := range s.svcs {
		if s.svcs[k].svc == svc {
			s.svcs[k].n++
			return
		}
	}
	s.svcs = append(s.svcs, svcCount{svc: svc, n: 1})
}

// rewalk finds a trace's holders again from its spans.
func (m *Model) rewalk(t *traceRec) {
	s := &t.sum
	s.startSlot, s.endSlot, s.root = noSlot, noSlot, noSlot
	s.lost = 0
	for slot := t.head; slot != noSlot; {
		p := m.partOf(slot)
		if s.startSlot == noSlot || p.start < s.start {
			s.start, s.startSlot = p.start, slot
		}
		if !p.running && (s.endSlot == noSlot || p.end > s.end) {
			s.end, s.endSlot = p.end, slot
		}
		if p.root && (s.root == noSlot || p.start < s.rootStart) {
			s.root, s.rootStart = slot, p.start
		}
		c, i := m.store.at(slot)
		slot = c.cold[i].nextT
	}
}
