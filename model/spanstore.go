package model

import (
	"encoding/binary"
	"hash/maphash"
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
	warn  [chunkSize]uint16 // WarnKind bits
	// shelved marks a span finished longer than Config.Linger ago: still
	// stored, but out of the live tables and their sort index (linger.go).
	shelved [chunkSize]bool
	cold    [chunkSize]spanCold
	// rt holds busy/sched/idle/polls, made on first use: only goroutines
	// and the spans of agentlib apps have them.
	rt *rtCols
}

// rtCols are the Go-runtime columns of a chunk: nanoseconds running,
// runnable and blocked, and the times scheduled.
type rtCols struct {
	busy, sched, idle [chunkSize]int64
	polls             [chunkSize]uint32
}

const rtColsBytes = int64(unsafe.Sizeof(rtCols{}))

// spanCold is the part of a span only details and bookkeeping read.
//
// The first 64 bytes (one cache line) hold everything evicting a span
// reads, so eviction, which visits old and therefore uncached spans, costs
// one cache miss per span rather than two.
type spanCold struct {
	traceID  TraceID
	spanID   SpanID
	attrs    []byte
	prevT    uint32 // neighbours in the trace's list of spans
	nextT    uint32
	gen      uint32 // bumped on every reuse of the slot, so stale queue entries are recognised
	hasExt   bool   // ext is set: read it (on the next cache line) only then
	ext      *SpanExt
	op       uint32 // index into Model.ops
	parent   SpanID
	ver      uint32 // bumped by the writer whenever the row shows something new (fills padding)
	start    int64  // Unix ns, as sent
	end      int64  // Unix ns, as sent; 0 while in flight
	lastSeen int64  // local Unix ns of the last version received
	seq      uint32 // last in-flight snapshot number
	runIdx   uint32 // position in Model.running while in flight
	scopeVer Sym
	status   StatusCode
	// noBeat: in flight but not refreshed by heartbeats (SpanRec.NoHeartbeat).
	noBeat  bool
	indexed bool // in the in-flight index: it was seen in flight
}

// chunkBytes is the exact memory of one chunk.
const chunkBytes = int64(unsafe.Sizeof(spanChunk{}))

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

// hashSeed is random per process, so that IDs crafted by a client cannot
// be chosen to collide in the index.
var hashSeed = maphash.Comparable(maphash.MakeSeed(), uint64(0)) | 1

// hash folds a span key into 64 well-mixed bits. Span IDs are often not
// random (counters, as some SDKs and test tools send), so every bit of
// the result must depend on every bit of the key: the index probes by the
// low bits.
func (k spanKey) hash() uint64 {
	h := binary.LittleEndian.Uint64(k.span[:]) ^ hashSeed
	h ^= bits.RotateLeft64(binary.LittleEndian.Uint64(k.trace[:8]), 21) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(k.trace[8:]), 43)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// spanStore owns the chunks, the free list and the index from wire key to slot.
type spanStore struct {
	chunks []*spanChunk
	free   []uint32
	// inflight indexes the spans that are running or lost by wire key, so
	// a later snapshot or the ended span finds them wherever they are.
	// Other spans are found through their trace (Model.lookup).
	inflight spanIndex
	live     int
	// blobs is the memory of the stored spans' attribute blobs and
	// extensions (setBlobs, release).
	blobs int64
	pool  *SpanPool // where new chunks come from (nil: the heap)
}

// setBlobs stores a slot's attribute blob and extension, counting their bytes.
func (s *spanStore) setBlobs(c *spanChunk, i int, attrs []byte, ext *SpanExt) {
	cold := &c.cold[i]
	s.blobs += int64(cap(attrs)) + ext.bytes() - int64(cap(cold.attrs)) - cold.extBytes()
	cold.attrs, cold.ext, cold.hasExt = attrs, ext, ext != nil
}

func newSpanStore(pool *SpanPool) *spanStore {
	return &spanStore{pool: pool}
}

func (s *spanStore) at(slot uint32) (*spanChunk, int) {
	return s.chunks[slot>>chunkBits], int(slot & chunkMask)
}

func (s *spanStore) is(slot uint32, k spanKey) bool {
	c, i := s.at(slot)
	return c.cold[i].spanID == k.span && c.cold[i].traceID == k.trace
}

func (s *spanStore) findInFlight(k spanKey) (uint32, bool) {
	if s.inflight.n == 0 {
		return 0, false
	}
	return s.inflight.find(k.hash(), func(slot uint32) bool { return s.is(slot, k) })
}

func (s *spanStore) key(slot uint32) spanKey {
	c, i := s.at(slot)
	return spanKey{c.cold[i].traceID, c.cold[i].spanID}
}

// track and untrack add a slot to and remove it from the in-flight index.
func (s *spanStore) track(slot uint32)   { s.inflight.insert(s.key(slot).hash(), slot) }
func (s *spanStore) untrack(slot uint32) { s.inflight.remove(s.key(slot).hash(), slot) }

// alloc takes a free slot (or a new chunk) for a span with key k.
func (s *spanStore) alloc(k spanKey) uint32 {
	var slot uint32
	if n := len(s.free); n > 0 {
		slot = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		base := uint32(len(s.chunks)) << chunkBits
		s.chunks = append(s.chunks, s.pool.take())
		for i := uint32(chunkSize - 1); i > 0; i-- {
			s.free = append(s.free, base+i)
		}
		slot = base
	}
	c, i := s.at(slot)
	gen := c.cold[i].gen + 1
	c.cold[i] = spanCold{traceID: k.trace, spanID: k.span, gen: gen, prevT: noSlot, nextT: noSlot, runIdx: noSlot}
	c.warn[i], c.shelved[i] = 0, false
	if c.rt != nil {
		c.rt.busy[i], c.rt.sched[i], c.rt.idle[i], c.rt.polls[i] = 0, 0, 0, 0
	}
	s.live++
	return slot
}

// release frees a slot (which must not be in the in-flight index).
func (s *spanStore) release(slot uint32) {
	c, i := s.at(slot)
	// Drop the references the collector would otherwise keep alive; the
	// other fields are overwritten when the slot is taken again.
	s.setBlobs(c, i, nil, nil)
	c.id[i] = 0
	c.cold[i].indexed = false
	s.free = append(s.free, slot)
	s.live--
}

// bytes is the memory the store holds: chunks, free list, in-flight index
// and the spans' blobs.
func (s *spanStore) bytes() int64 {
	return int64(len(s.chunks))*chunkBytes + int64(cap(s.free))*4 +
		s.inflight.bytes() + int64(cap(s.chunks))*8 + s.blobs
}

func (c *spanCold) extBytes() int64 {
	if !c.hasExt {
		return 0
	}
	return c.ext.bytes()
}
