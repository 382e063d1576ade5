package model

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Spans live in fixed-size chunks of columns. Columns the queries scan (ID,
// duration, name, service, state, kind) are separate arrays so that a sort
// over a million spans reads a few megabytes, not every record; the rest of
// a span sits in one "cold" record. Chunks never move, so growing the store
// never copies it, and a slot's memory is known exactly.
const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
	noSlot    = ^uint32(0)
)

type spanChunk struct {
	id    [chunkSize]uint64 // display ID; 0 marks a free slot
	dur   [chunkSize]int64  // see durKey
	name  [chunkSize]Sym
	svc   [chunkSize]uint32
	scope [chunkSize]Sym
	loc   [chunkSize]Sym
	nattr [chunkSize]uint16
	state [chunkSize]State
	kind  [chunkSize]SpanKind
	cold  [chunkSize]spanCold
}

// spanCold is the part of a span only details and bookkeeping read.
type spanCold struct {
	traceID  TraceID
	spanID   SpanID
	parent   SpanID
	start    int64 // Unix ns, as sent
	end      int64 // Unix ns, as sent; 0 while in flight
	lastSeen int64 // local Unix ns of the last version received
	attrs    []byte
	ext      *SpanExt
	op       uint32 // index into Model.ops
	seq      uint32 // last in-flight snapshot number
	gen      uint32 // bumped on every reuse of the slot, so stale queue entries are recognised
	prevT    uint32 // neighbours in the trace's list of spans
	nextT    uint32
	runIdx   uint32 // position in Model.running while in flight
	scopeVer Sym
	status   StatusCode
}

// chunkBytes is the exact memory of one chunk.
const chunkBytes = int64(unsafe.Sizeof(spanChunk{}))

// Per-span bookkeeping outside the chunks, charged to the memory budget:
// the index map entry (with the map's slack) and the retention queue entry.
const (
	indexEntryBytes = 48
	fifoEntryBytes  = 8
)

// Durations of finished (and lost) spans are stored as non-negative
// nanoseconds. A running span stores the negated start time instead, so its
// Total is computed against the clock at query time: key = now + dur.
func durKey(dur, now int64) int64 {
	if dur >= 0 {
		return dur
	}
	if d := now + dur; d > 0 {
		return d
	}
	return 0
}

func runningDur(start int64) int64 {
	if start <= 0 {
		return -1
	}
	return -start
}

// spanKey identifies a span on the wire.
type spanKey struct {
	trace TraceID
	span  SpanID
}

// hash folds a span key into the 64-bit key of the index. Span IDs are
// random already; mixing in the trace ID keeps equal span IDs of different
// traces apart. A true collision falls back to an exact map.
func (k spanKey) hash() uint64 {
	s := binary.LittleEndian.Uint64(k.span[:])
	t := binary.LittleEndian.Uint64(k.trace[:8]) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(k.trace[8:]), 29)
	return s ^ (t * 0x9E3779B97F4A7C15)
}

// spanStore owns the chunks, the free list and the index from wire key to slot.
type spanStore struct {
	chunks []*spanChunk
	free   []uint32
	index  map[uint64]uint32  // hash(key) → slot
	exact  map[spanKey]uint32 // keys whose hash collided with another span's
	live   int
}

func newSpanStore() *spanStore {
	return &spanStore{index: make(map[uint64]uint32), exact: make(map[spanKey]uint32)}
}

func (s *spanStore) at(slot uint32) (*spanChunk, int) {
	return s.chunks[slot>>chunkBits], int(slot & chunkMask)
}

func (s *spanStore) lookup(k spanKey) (uint32, bool) {
	if slot, ok := s.index[k.hash()]; ok {
		c, i := s.at(slot)
		if c.cold[i].traceID == k.trace && c.cold[i].spanID == k.span {
			return slot, true
		}
	}
	slot, ok := s.exact[k]
	return slot, ok
}

// alloc takes a free slot (or a new chunk) and indexes it under k.
func (s *spanStore) alloc(k spanKey) uint32 {
	var slot uint32
	if n := len(s.free); n > 0 {
		slot = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		base := uint32(len(s.chunks)) << chunkBits
		s.chunks = append(s.chunks, new(spanChunk))
		for i := uint32(chunkSize - 1); i > 0; i-- {
			s.free = append(s.free, base+i)
		}
		slot = base
	}
	h := k.hash()
	if _, taken := s.index[h]; taken {
		s.exact[k] = slot
	} else {
		s.index[h] = slot
	}
	c, i := s.at(slot)
	gen := c.cold[i].gen + 1
	c.cold[i] = spanCold{traceID: k.trace, spanID: k.span, gen: gen, prevT: noSlot, nextT: noSlot, runIdx: noSlot}
	s.live++
	return slot
}

// release frees a slot and removes it from the index.
func (s *spanStore) release(slot uint32) {
	c, i := s.at(slot)
	k := spanKey{c.cold[i].traceID, c.cold[i].spanID}
	if got, ok := s.exact[k]; ok && got == slot {
		delete(s.exact, k)
	} else {
		delete(s.index, k.hash())
	}
	gen := c.cold[i].gen
	c.cold[i] = spanCold{gen: gen}
	c.id[i], c.dur[i], c.name[i], c.svc[i], c.scope[i], c.loc[i], c.nattr[i] = 0, 0, 0, 0, 0, 0, 0
	s.free = append(s.free, slot)
	s.live--
}

// bytes is the memory the store holds besides attribute blobs and extensions.
func (s *spanStore) bytes() int64 {
	return int64(len(s.chunks))*chunkBytes + int64(cap(s.free))*4 +
		int64(len(s.index)+len(s.exact))*indexEntryBytes + int64(cap(s.chunks))*8
}
