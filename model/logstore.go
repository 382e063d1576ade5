package model

import (
	"sort"
	"unsafe"
)

// logStore keeps log records in arrival order, oldest first, in chunks that
// each hold up to logChunkRecs fixed-size entries and one byte arena for
// their bodies and attribute blobs: no allocation and no pointer per
// record, and records leave from the front only (retention and the memory
// budget both take the oldest), so a chunk is freed whole once its last
// record has gone. A record's display ID is its arrival number.
type logStore struct {
	chunks []*logChunk // chunks[head:] are live, oldest first
	head   int
	first  uint64 // ID of the oldest stored record
	next   uint64 // ID the next record gets; first == next when empty
	epoch  int64  // local Unix ns that arrival seconds count from

	// traces maps each trace (by traceKey) to the low 32 bits of its
	// newest record's ID, the head of the list that logEntry.prevT links,
	// for a span's logs and a trace's marks without scanning the store.
	// Records leave oldest first, so a trace has no records left when the
	// record leaving is its newest.
	traces     map[uint64]uint32
	peakTraces int
	// metas interns what many records share: service, scope, severity
	// text and event name.
	metas     []logMeta
	metaIndex map[logMeta]uint32
	lastMeta  logMeta // the last record's, which the next usually shares
	lastMetaI uint32
	// pendKey and pendLast are the newest trace's entry before it is
	// written to traces: records of one trace arrive together, so this
	// saves a map access per record. Readers consult it too.
	pendKey  uint64
	pendLast uint32
	pending  bool
	// matches serves the logs table's filtered queries (readers only).
	matches logMatches
	// spare is the last chunk freed, kept (and still counted) for the
	// next, so a store at its budget allocates no chunks.
	spare *logChunk
	// errIDs are the IDs of stored ERROR-or-worse records, oldest first,
	// for per-operation error-log counts.
	errIDs  []uint64
	errHead int

	chunkBytes int64 // entries and arenas of the live chunks
	stored     int   // records stored
	errors     int   // of which ERROR or worse
	evicted    int64 // records removed by the memory budget
	dropped    int64 // records refused: nothing left to evict
	rate       rateRing
}

// logEntry is one stored record: 64 bytes plus its data in the arena.
type logEntry struct {
	time    int64
	traceID TraceID
	spanID  SpanID
	off     uint32 // of the data in the chunk's arena
	bodyLen uint32
	dataLen uint32 // body and attribute blob
	meta    uint32 // index in logStore.metas
	// prevT is how many IDs back the previous stored record of the same
	// trace is; 0 when there is none (or it is more than 2^32 back).
	prevT uint32
	atSec uint32 // local arrival, seconds after the store's epoch
	sev   Severity
	flags uint8
	nattr uint16
}

const (
	logHasTrace uint8 = 1 << iota
	logHasSpan
	logTruncated
)

// logMeta is what a record shares with many others.
type logMeta struct {
	svc                   uint32
	scope, sevText, event Sym
}

const (
	logMetaBytes = 16 + 40 // in metas and in metaIndex
	// maxLogMetas bounds metas; past it new combinations share the last.
	maxLogMetas = 1 << 20
)

type logChunk struct {
	first uint64 // ID of recs[0]
	recs  []logEntry
	arena []byte
}

const (
	logChunkRecs  = 4096
	logArenaBytes = 512 << 10
	// logEntryBytes is the size of logEntry (checked by a test).
	logEntryBytes = int64(unsafe.Sizeof(logEntry{}))
	// logChunkOverhead is a chunk's header and its slot in chunks.
	logChunkOverhead = 96
	// logTraceBytes is one entry of the traces map (key, value and the
	// map's own share), charged at the map's peak size as Go maps never
	// shrink.
	logTraceBytes = 24
)

func newLogStore(now int64) *logStore {
	return &logStore{first: 1, next: 1, epoch: now, traces: make(map[uint64]uint32), metaIndex: make(map[logMeta]uint32)}
}

// bytes is the store's accounted memory.
func (s *logStore) bytes() int64 {
	return s.chunkBytes + int64(cap(s.chunks))*8 + int64(s.peakTraces)*logTraceBytes + int64(cap(s.errIDs))*8 +
		int64(len(s.metas))*logMetaBytes
}

// growCost is what storing a record of dataLen bytes adds to bytes().
func (s *logStore) growCost(dataLen int) int64 {
	if c := s.tail(); c != nil && len(c.recs) < cap(c.recs) && len(c.arena)+dataLen <= cap(c.arena) {
		return logTraceBytes // at worst a new trace entry
	}
	if s.spare != nil && dataLen <= cap(s.spare.arena) {
		return logTraceBytes
	}
	return chunkCost(max(logArenaBytes, dataLen)) + logTraceBytes
}

func chunkCost(arena int) int64 {
	return logChunkRecs*logEntryBytes + int64(arena) + logChunkOverhead
}

func (s *logStore) tail() *logChunk {
	if len(s.chunks) == s.head {
		return nil
	}
	return s.chunks[len(s.chunks)-1]
}

// add stores rec (its service already resolved) and returns its ID.
func (s *logStore) add(rec *LogRec, svc uint32, now int64) uint64 {
	data := rec.Data
	c := s.tail()
	if c == nil || len(c.recs) == cap(c.recs) || len(c.arena)+len(data) > cap(c.arena) {
		if s.spare != nil && len(data) <= cap(s.spare.arena) {
			c, s.spare = s.spare, nil
			c.first = s.next
		} else {
			c = &logChunk{first: s.next, recs: make([]logEntry, 0, logChunkRecs), arena: make([]byte, 0, max(logArenaBytes, len(data)))}
			s.chunkBytes += chunkCost(cap(c.arena))
		}
		if s.head > 0 && s.head >= len(s.chunks)/2 {
			n := copy(s.chunks, s.chunks[s.head:])
			clear(s.chunks[n:])
			s.chunks, s.head = s.chunks[:n], 0
		}
		s.chunks = append(s.chunks, c)
	}
	id := s.next
	s.next++
	e := logEntry{
		time: rec.Time, traceID: rec.TraceID, spanID: rec.SpanID,
		off: uint32(len(c.arena)), bodyLen: rec.BodyLen, dataLen: uint32(len(data)),
		meta:  s.metaOf(logMeta{svc, rec.Scope, rec.SevText, rec.Event}),
		atSec: uint32(max(now-s.epoch, 0) / 1e9), sev: rec.Severity, nattr: rec.NumAttrs,
	}
	c.arena = append(c.arena, data...)
	if rec.Truncated {
		e.flags |= logTruncated
	}
	if !rec.SpanID.IsZero() {
		e.flags |= logHasSpan
	}
	if !rec.TraceID.IsZero() {
		e.flags |= logHasTrace
		k := traceKey(rec.TraceID)
		if s.pending && s.pendKey == k {
			e.prevT = uint32(id) - s.pendLast // IDs stored span less than 2^32
		} else {
			s.flushPending()
			if last, ok := s.traces[k]; ok {
				e.prevT = uint32(id) - last
			}
			s.pendKey, s.pending = k, true
		}
		s.pendLast = uint32(id)
	}
	if e.sev.IsError() {
		s.errors++
		if s.errHead > 0 && s.errHead >= len(s.errIDs)/2 && len(s.errIDs) == cap(s.errIDs) {
			n := copy(s.errIDs, s.errIDs[s.errHead:])
			s.errIDs, s.errHead = s.errIDs[:n], 0
		}
		s.errIDs = append(s.errIDs, id)
	}
	c.recs = append(c.recs, e)
	s.stored++
	s.rate.add(now, 1)
	return id
}

// frontAt returns the local arrival time (Unix ns, to the second) of the
// oldest record; ok is false when the store is empty.
func (s *logStore) frontAt() (at int64, ok bool) {
	if s.first == s.next {
		return 0, false
	}
	e, _ := s.at(s.first)
	return s.epoch + int64(e.atSec)*1e9, true
}

// evictFront removes the oldest record; it reports false when there is none.
func (s *logStore) evictFront() bool {
	if s.first == s.next {
		return false
	}
	c := s.chunks[s.head]
	e := &c.recs[s.first-c.first]
	if e.flags&logHasTrace != 0 {
		k := traceKey(e.traceID)
		if s.pending && s.pendKey == k {
			if s.pendLast == uint32(s.first) {
				s.pending = false
				delete(s.traces, k)
			}
		} else if last, ok := s.traces[k]; ok && last == uint32(s.first) {
			delete(s.traces, k)
		}
	}
	if e.sev.IsError() {
		s.errors--
	}
	s.stored--
	s.first++
	for s.errHead < len(s.errIDs) && s.errIDs[s.errHead] < s.first {
		s.errHead++
	}
	if s.errHead == len(s.errIDs) {
		s.errIDs, s.errHead = s.errIDs[:0], 0
	}
	if s.first == c.first+uint64(len(c.recs)) { // the chunk's last record went
		if s.spare != nil {
			s.chunkBytes -= chunkCost(cap(s.spare.arena))
		}
		if cap(c.arena) == logArenaBytes {
			c.recs, c.arena, s.spare = c.recs[:0], c.arena[:0], c
		} else {
			s.spare = nil
			s.chunkBytes -= chunkCost(cap(c.arena))
		}
		s.chunks[s.head] = nil
		s.head++
		if s.head == len(s.chunks) {
			s.chunks, s.head = s.chunks[:0], 0
		}
	}
	return true
}

// expire removes the records that arrived at or before cutoff (Unix ns).
func (s *logStore) expire(cutoff int64) {
	for {
		at, ok := s.frontAt()
		if !ok || at > cutoff {
			return
		}
		s.evictFront()
	}
}

// at returns the entry with the given ID and its chunk; the ID must be
// stored (first ≤ id < next).
func (s *logStore) at(id uint64) (*logEntry, *logChunk) {
	live := s.chunks[s.head:]
	j := sort.Search(len(live), func(j int) bool { return live[j].first > id }) - 1
	c := live[j]
	return &c.recs[id-c.first], c
}

// has reports whether a record with this ID is stored.
func (s *logStore) has(id uint64) bool { return id >= s.first && id < s.next }

// body and attrs return a record's stored bytes (not copies).
func (c *logChunk) body(e *logEntry) []byte {
	return c.arena[e.off : e.off+e.bodyLen : e.off+e.bodyLen]
}

func (c *logChunk) attrs(e *logEntry) []byte {
	return c.arena[e.off+e.bodyLen : e.off+e.dataLen : e.off+e.dataLen]
}

// eachInTrace calls fn for the stored records of a trace, newest first,
// until fn returns false.
func (s *logStore) eachInTrace(id TraceID, fn func(id uint64, e *logEntry, c *logChunk) bool) {
	k := traceKey(id)
	last, ok := s.traces[k]
	if s.pending && s.pendKey == k {
		last, ok = s.pendLast, true
	}
	if !ok {
		return
	}
	cur := s.next - uint64(uint32(s.next)-last) // the full ID of last
	for s.has(cur) {
		e, c := s.at(cur)
		if e.traceID == id && !fn(cur, e, c) {
			return
		}
		if e.prevT == 0 || uint64(e.prevT) >= cur {
			return
		}
		cur -= uint64(e.prevT)
	}
}

// each calls fn for every stored record, oldest first, until fn returns
// false.
func (s *logStore) each(fn func(id uint64, e *logEntry, c *logChunk) bool) {
	s.eachFrom(s.first, fn)
}

// eachFrom is each from the record with ID from (stored or not yet).
func (s *logStore) eachFrom(from uint64, fn func(id uint64, e *logEntry, c *logChunk) bool) {
	if from >= s.next {
		return
	}
	from = max(from, s.first)
	live := s.chunks[s.head:]
	j := sort.Search(len(live), func(j int) bool { return live[j].first > from }) - 1
	for _, c := range live[max(j, 0):] {
		for i := int(from - min(from, c.first)); i < len(c.recs); i++ {
			if !fn(c.first+uint64(i), &c.recs[i], c) {
				return
			}
		}
	}
}

// flushPending writes the newest trace's entry to the map.
func (s *logStore) flushPending() {
	if s.pending {
		s.traces[s.pendKey] = s.pendLast
		s.peakTraces = max(s.peakTraces, len(s.traces))
	}
}

// metaOf interns a record's shared fields.
func (s *logStore) metaOf(m logMeta) uint32 {
	if m == s.lastMeta && len(s.metas) > 0 {
		return s.lastMetaI
	}
	i, ok := s.metaIndex[m]
	if ok {
		s.lastMeta, s.lastMetaI = m, i
		return i
	}
	if len(s.metas) >= maxLogMetas {
		return uint32(len(s.metas) - 1)
	}
	i = uint32(len(s.metas))
	s.metas = append(s.metas, m)
	s.metaIndex[m] = i
	s.lastMeta, s.lastMetaI = m, i
	return i
}
