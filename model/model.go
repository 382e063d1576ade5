package model

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Model is the store. Apply and Sweep are called by one writer goroutine
// (Run); the query methods may be called from any goroutine and return
// copies. A read lock keeps a query consistent; the writer holds the write
// lock for one batch at a time, so a frame's query never waits long and
// ingest never waits for a slow reader for longer than one query.
type Model struct {
	cfg      Config
	now      Clock
	syms     *Symbols
	counters Counters

	mu sync.RWMutex
	// changes counts the writer's applies and the sweeps that changed
	// what readers see (Header.Changes).
	changes uint64
	// rowEdits counts edits of the rows the span and goroutine tables
	// list: a row's version bumped (bumpVersion), a row leaving the sort
	// index (indexLeave). An idle sweep that leaves it, and the rest of
	// what readers see, as it was is no change (sweepShown).
	rowEdits uint64
	// changed holds a value after the writer changed something, for a
	// reader that sleeps until then (Changed).
	changed chan struct{}
	// The sub-stores; each owns its state and counts its bytes.
	store *spanStore // span slots, their blobs, the in-flight index
	ret   retention  // finished spans in the order they go; running spans
	tr    traceStore
	tl    traceList  // the traces table: a row per trace, its sort tree
	aggs  aggregates // operations and services
	rt    runtimeStore
	warn  warnState
	strs  stringCollector

	nextID uint64
	// sweepDue is when the next sweep has work (nextSweep); writer only.
	sweepDue int64
	// lastSweep is when the last sweep ran, lastApply when the last batch
	// was applied (local Unix ns).
	lastSweep, lastApply int64

	idx    taskIndex
	recent slotCache
	// build makes the index on a newly asked-for column (writer only), in
	// room made off the writer; indexReq is how a query asks; writing says Run is applying batches,
	// so a query may leave the building to it.
	build    indexBuild
	room     buildRoom
	indexReq indexRequest
	writing  atomic.Bool
	exec     execTraces

	lost, errors int
	// shelvedRows counts the stored spans [0] and goroutine rows [1] that
	// have lingered out of the live tables (linger.go).
	shelvedRows [2]int
	evicted     int64
	applied     rateRing // spans applied per second, for the header
	// symBytes is the intern table's size as of the last batch or sweep.
	symBytes int64

	// Log records and metric streams (logstore.go, metricstore.go), made
	// when the first arrive.
	logs    *logStore
	metrics *metricStore
}

// retention holds finished and lost spans in the order they finished (the
// front is the next to go, by retention or by the memory budget) and the
// slots of the spans in flight.
type retention struct {
	fifo    fifoQueue
	running []uint32
	// shownFrom is the queue position of the first span that may still
	// be in the live tables; those before it have lingered out (linger.go).
	shownFrom int
	// leaving, sortRoom and gone are sweepLinger's scratch: the items
	// leaving the sort index, the room sorting them takes, and their
	// slots when they leave by a walk of the index (empty between sweeps).
	leaving, sortRoom []item
	gone              slotSet
}

func (r *retention) bytes() int64 {
	return r.fifo.bytes() + int64(cap(r.running))*4 + int64(cap(r.leaving)+cap(r.sortRoom))*int64(unsafe.Sizeof(item{})) + int64(cap(r.gone))*8
}

// traceStore links the stored spans of each trace. Spans of one trace
// tend to arrive (and leave) together, so the last few traces are
// remembered in front of the map, whose lookups are cache misses once it
// is large. The map is charged at its peak size: Go maps do not shrink.
type traceStore struct {
	byKey  map[uint64]*traceRec // by traceKey
	recent [8]struct {
		key uint64
		t   *traceRec
	}
	peak int
}

func (t *traceStore) bytes() int64 { return int64(t.peak) * traceEntryBytes }

// aggregates are the operations and services, which outlive their spans.
type aggregates struct {
	ops                 []*operation
	opIndex             map[opKey]uint32
	services            []*service
	svcIndex            map[string]uint32 // by serviceKey
	keyBuf              []byte            // serviceKey's buffer
	nextOpID, nextSvcID uint64
	unknownService      Sym
	bytes               int64
	// pinned is the bytes of the names aggregates keep alive (counted with
	// the intern table); it bounds how many aggregates are made.
	pinned int64
}

// runtimeStore is the Go runtime of agentlib apps: traced processes,
// goroutine details by slot, sync resources, per-service runtime metrics.
type runtimeStore struct {
	procs             map[procKey]*process
	gos               map[uint32]*goInfo
	resources         []*syncRes
	resIndex          map[resKey]int
	svcRT             map[uint32]*serviceRuntime
	pending           pendingSpanTimes
	writer            *AttrWriter
	goLive            int    // live goroutine rows (they share the running list)
	goLost            int    // goroutine rows of processes that went silent
	version           uint64 // bumped with every change of runtime data (ResourceRow.Version)
	bytes             int64
	generations       int64
	droppedGoroutines int64
	droppedResources  int64
}

// warnState holds the rows with each kind of warning, the traces waiting
// to be judged for propagation, and the maps that judging reuses.
type warnState struct {
	counts      [WarnKinds]int
	checks      []traceCheck
	checkHead   int
	judging     traceSpans
	hints       hintKeys // for the judging run (expectsRemoteChild)
	lastGoCheck int64
}

func (w *warnState) bytes() int64 { return int64(cap(w.checks)) * 16 }

type fifoEntry struct {
	slot uint32
	gen  uint32
	at   int64 // local Unix ns when the span finished or was lost
}

const fifoBytes = 16

// New returns an empty model. Zero Config fields take their defaults.
func New(cfg Config) *Model {
	if cfg.Retain <= 0 {
		cfg.Retain = DefaultRetain
	}
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	cfg.Linger = min(cfg.Linger, cfg.Retain)
	if cfg.MaxMemory <= 0 {
		cfg.MaxMemory = DefaultMaxMemory
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	cfg.Warn.fill()
	m := &Model{
		cfg: cfg, now: cfg.Clock, syms: NewSymbols(), changed: make(chan struct{}, 1),
		store: newSpanStore(cfg.Pool),
		tr:    traceStore{byKey: make(map[uint64]*traceRec)},
		aggs:  aggregates{opIndex: make(map[opKey]uint32), svcIndex: make(map[string]uint32)},
		rt: runtimeStore{
			procs: make(map[procKey]*process), gos: make(map[uint32]*goInfo),
			resIndex: make(map[resKey]int), svcRT: make(map[uint32]*serviceRuntime),
		},
	}
	m.syms.setMaxString(cfg.MaxString)
	m.rt.writer = NewAttrWriter(m.syms)
	m.aggs.unknownService = m.syms.InternString("unknown_service")
	m.idx.col = TaskID
	m.indexReq.wake = make(chan struct{}, 1)
	return m
}

// Symbols returns the intern table ingest decodes into.
func (m *Model) Symbols() *Symbols { return m.syms }

// Counters returns the totals ingest adds to.
func (m *Model) Counters() *Counters { return &m.counters }

// SweepEvery was how often Run swept; Run now sweeps when something is
// due (see nextSweep) and at most this long after a batch.
const SweepEvery = sweepAfterBatch

// Run is the writer loop: it applies batches from in, sweeps retention and
// lost spans when they come due (and soon after a batch), and builds a
// sort index a query asked for in steps between batches, until ctx ends or
// in is closed. With nothing due and nothing arriving it sleeps.
func (m *Model) Run(ctx context.Context, in <-chan *Batch) {
	// From here on queries leave index builds to the writer; a query that
	// saw no writer and is rebuilding holds the lock: wait for it, so that
	// the build state is the writer's alone from now on.
	m.writing.Store(true)
	defer m.writing.Store(false)
	m.mu.Lock()
	//lint:ignore SA2001 an empty section is the barrier
	m.mu.Unlock()
	t := time.NewTimer(sweepAfterBatch)
	defer t.Stop()
	armed := time.Now().Add(sweepAfterBatch) // when t fires; zero when stopped
	arm := func(d time.Duration) {
		when := time.Now().Add(d)
		if !armed.IsZero() && !armed.After(when) {
			return // already due sooner
		}
		t.Reset(d)
		armed = when
	}
	for {
		m.takeIndexRequest()
		m.traceSortTurn()
		busy := m.build.busy()
		var wait <-chan time.Time
		if busy {
			// A step is waiting: take one unless a batch is ready.
			wait = closedTimer
		}
		select {
		case <-ctx.Done():
			return
		case b, ok := <-in:
			if !ok {
				return
			}
			m.Apply(b)
			arm(sweepAfterBatch)
		case <-t.C:
			armed = time.Time{}
			m.Sweep()
			if now := m.now().UnixNano(); m.sweepDue != never {
				arm(AlignedWait(time.Now(), max(time.Duration(m.sweepDue-now), m.sweepGap(now))))
			}
		case items := <-m.room.wait:
			m.room.arrived(items)
		case tree := <-m.build.done:
			m.sorted(tree)
		case <-m.indexReq.wake:
		case <-wait:
		}
		if m.build.busy() {
			m.buildStep()
		}
	}
}

// closedTimer is always ready: the select in Run falls through to a build
// step when nothing else is.
var closedTimer = func() <-chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

// Changed returns a channel that holds a value once the writer has
// changed what readers see (Header.Changes) since a value was last taken:
// a screen with nothing to show sleeps on it instead of looking every
// second. One value stands for any number of changes.
func (m *Model) Changed() <-chan struct{} { return m.changed }

// signalChange fills Changed's channel, after the lock is let go (the
// reader it wakes asks at once).
func (m *Model) signalChange() {
	select {
	case m.changed <- struct{}{}:
	default: // a value is waiting already
	}
}

// Apply stores one batch. Only the writer goroutine calls it.
func (m *Model) Apply(b *Batch) {
	now := m.now().UnixNano()
	defer m.signalChange()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	m.lastApply = now
	m.symBytes = m.syms.Bytes()
	m.idx.strs = m.syms.snapshot()
	if m.build.phase == buildReplaying {
		m.build.next.strs = m.idx.strs
	}
	var svcBuf [8]uint32
	svcs := svcBuf[:0]
	for i := range b.Resources {
		svcs = append(svcs, m.serviceFor(&b.Resources[i]))
	}
	for i := range b.Spans {
		rec := &b.Spans[i]
		var svc uint32
		if int(rec.Res) < len(svcs) {
			svc = svcs[rec.Res]
		} else {
			svc = m.fallbackService()
		}
		m.applySpan(rec, svc, now)
	}
	if b.Runtime != nil || len(b.Samples) > 0 || len(b.Statuses) > 0 {
		m.rt.version++
	}
	if b.Runtime != nil {
		m.applyRuntime(b.Runtime, m.serviceFor(&b.Runtime.Resource), now)
	}
	for i := range b.Samples {
		m.applySample(&b.Samples[i], now)
	}
	for i := range b.Statuses {
		m.applyStatus(&b.Statuses[i], now)
	}
	m.applySignals(b, svcs, now)
	if len(b.Spans) > 0 {
		m.applied.add(now, uint32(len(b.Spans)))
	}
	m.strs.applied += int64(len(b.Spans))
	m.runTraceChecks(now, traceChecksPerBatch)
	m.settleBudget()
}

// settleBudget evicts until the memory in use is within the budget again.
// Slices and index leaves grow in steps the per-span reservation does not
// see, so it runs after each batch and after the index is rebuilt.
func (m *Model) settleBudget() {
	for m.memoryUsed() > m.cfg.MaxMemory && m.evictOldest() {
	}
	m.flushTraces()
	m.judgeBudget()
}

// judgeBudget tells ingest (Counters.OverBudget) whether to refuse spans.
// It refuses from when a span could not be stored, when nothing is left to
// evict and the budget is nearly spent, or when strings, which are freed
// only by the next collection, hold half the budget; it accepts again once
// an eighth of the budget is free and strings are back under a quarter.
// Refusing at the door is what keeps clients from being told OK for spans
// that would then be dropped.
func (m *Model) judgeBudget() {
	used, budget, strs := m.memoryUsed(), m.cfg.MaxMemory, m.symBytes
	over := &m.counters.OverBudget
	if over.Load() {
		if used <= budget-budget/8 && strs <= budget/4 {
			over.Store(false)
			m.syms.setFull(false)
		}
		return
	}
	if strs > budget/2 || (!m.evictable() && used > budget-budget/16) {
		over.Store(true)
		m.syms.setFull(true)
	}
}

// evictable says the budget can still make room: a finished span or a log
// record is stored. A store of logs alone (no spans) must not be refused
// at the door while its oldest records can go.
func (m *Model) evictable() bool {
	return m.ret.fifo.len() > 0 || (m.logs != nil && m.logs.stored > 0)
}

func (m *Model) fallbackService() uint32 {
	return m.serviceFor(&Resource{ServiceName: m.aggs.unknownService})
}

func (m *Model) applySpan(rec *SpanRec, svc uint32, now int64) {
	k := spanKey{rec.TraceID, rec.SpanID}
	if slot, ok := m.lookup(k); ok {
		if rec.InFlight && rec.Start <= 0 {
			c, i := m.store.at(slot)
			rec.Start = c.cold[i].start // no start sent: keep the one it has
		}
		m.update(slot, rec, svc, now)
		return
	}
	if rec.InFlight && rec.Start <= 0 {
		rec.Start = now // no start sent: it runs since it arrived, not since 1970
	}
	if !m.reserve(int64(cap(rec.Attrs)) + rec.Ext.bytes() + perSpanBytes) {
		m.counters.Dropped.Add(1)
		m.counters.OverBudget.Store(true)
		m.syms.setFull(true)
		return
	}
	slot := m.store.alloc(k)
	c, i := m.store.at(slot)
	m.nextID++
	c.id[i] = m.nextID
	m.setContent(slot, rec, svc)
	m.linkTrace(slot, rec.TraceID, now)
	if m.rt.pending.m != nil {
		if t, ok := m.rt.pending.take(k); ok {
			m.setRuntimeCols(slot, t.busy, t.sched, t.idle, 0)
		}
	}
	if rec.HasBusyIdle {
		m.setBusyIdle(slot, rec)
	}
	if rec.InFlight {
		c.cold[i].seq = rec.SnapshotSeq
		c.cold[i].lastSeen = now
		c.cold[i].noBeat = rec.NoHeartbeat
		m.startRunning(slot)
		m.store.track(slot)
		c.cold[i].indexed = true
	} else {
		m.finish(slot, now)
	}
	m.indexAdd(slot)
	m.noteSpanForBursts(slot, rec)
}

// update applies a newer version of a stored span: a later snapshot
// refreshes it, the ended span replaces it; a final version already stored
// always wins over anything that arrives after it.
func (m *Model) update(slot uint32, rec *SpanRec, svc uint32, now int64) {
	c, i := m.store.at(slot)
	cold := &c.cold[i]
	state := c.state[i]
	if state == StateDone || state == StateError {
		return
	}
	if rec.InFlight && rec.SnapshotSeq < cold.seq {
		return
	}
	if t := m.trace(traceKey(rec.TraceID), false); t != nil {
		m.scheduleTraceCheck(t, now)
	}
	if state == StateLost {
		m.clearWarn(slot, WarnLost)
	}
	if rec.Kind == KindServer || rec.Kind == KindConsumer {
		defer m.noteSpanForBursts(slot, rec)
	}
	m.indexRemove(slot)
	defer m.indexAdd(slot)
	if rec.InFlight {
		if state == StateLost {
			// Alive after all: back to running; its retention entry is void.
			m.lost--
			cold.gen++
			m.startRunning(slot)
		}
		m.aggs.ops[cold.op].inFlight--
		m.setContent(slot, rec, svc)
		m.aggs.ops[cold.op].inFlight++
		m.aggs.ops[cold.op].version++
		c.dur[i] = runningDur(cold.start)
		cold.seq, cold.lastSeen, cold.noBeat = rec.SnapshotSeq, now, rec.NoHeartbeat
		if rec.HasBusyIdle {
			m.setBusyIdle(slot, rec)
		}
		return
	}
	if state == StateLost {
		// Its final version after all: it finished now, and the queue
		// entry of when it was lost is void.
		m.lost--
		cold.gen++
	} else {
		m.stopRunning(slot)
	}
	cold.noBeat = false
	// It stays in the index of spans seen in flight until it is removed:
	// the application's exporter may send the same span again long after
	// agentlib sent its ended version.
	m.setContent(slot, rec, svc)
	if rec.HasBusyIdle {
		m.setBusyIdle(slot, rec)
	}
	m.finish(slot, now)
}

// recentInTrace is how many of a trace's most recent spans a lookup
// compares: spans of one trace arrive close together, and those records
// are still in the cache.
const recentInTrace = 16

// lookup finds a stored span by wire key: a span that was ever seen in
// flight through the in-flight index (it stays there until removed, so
// the ended span agentlib sent and the same span from the application's
// exporter are one span, however many spans of the trace came between);
// any other among the most recent spans of its trace, which catches an
// export sent twice. Keeping spans never seen in flight out of a global
// index saves a cache miss on every span received and on every span
// evicted.
func (m *Model) lookup(k spanKey) (uint32, bool) {
	if slot, ok := m.store.findInFlight(k); ok {
		return slot, true
	}
	t := m.trace(traceKey(k.trace), false)
	if t == nil {
		return 0, false
	}
	slot := t.head
	for range recentInTrace {
		if slot == noSlot {
			break
		}
		if m.store.is(slot, k) {
			return slot, true
		}
		c, i := m.store.at(slot)
		slot = c.cold[i].nextT
	}
	return 0, false
}

// setContent copies a record's fields into a slot, replacing what was there.
func (m *Model) setContent(slot uint32, rec *SpanRec, svc uint32) {
	c, i := m.store.at(slot)
	cold := &c.cold[i]
	m.store.setBlobs(c, i, rec.Attrs, rec.Ext)
	cold.parent, cold.start, cold.end = rec.Parent, rec.Start, rec.End
	cold.status, cold.scopeVer = rec.Status, rec.ScopeVersion
	cold.op = m.operationFor(svc, rec.Name, rec.Kind)
	c.name[i], c.svc[i], c.scope[i], c.loc[i] = rec.Name, svc, rec.Scope, rec.Location
	c.kind[i], c.nattr[i] = rec.Kind, rec.NumAttrs
}

// setBusyIdle fills the Busy and Idle columns from what the sender
// measured (tracing-opentelemetry's busy_ns and idle_ns). Sched is
// negative: such senders do not measure it, and it is shown blank.
func (m *Model) setBusyIdle(slot uint32, rec *SpanRec) {
	m.setRuntimeCols(slot, rec.Busy, SchedNotMeasured, rec.Idle, 0)
}

func (m *Model) startRunning(slot uint32) {
	m.unshelve(slot)
	c, i := m.store.at(slot)
	c.state[i] = StateRunning
	c.dur[i] = runningDur(c.cold[i].start)
	c.cold[i].runIdx = uint32(len(m.ret.running))
	m.ret.running = append(m.ret.running, slot)
	m.aggs.ops[c.cold[i].op].inFlight++
	m.aggs.ops[c.cold[i].op].version++
}

// stopRunning takes a slot off the running list (swap-remove).
func (m *Model) stopRunning(slot uint32) {
	c, i := m.store.at(slot)
	idx := c.cold[i].runIdx
	if idx == noSlot {
		return
	}
	last := m.ret.running[len(m.ret.running)-1]
	m.ret.running[idx] = last
	lc, li := m.store.at(last)
	lc.cold[li].runIdx = idx
	m.ret.running = m.ret.running[:len(m.ret.running)-1]
	c.cold[i].runIdx = noSlot
	if c.kind[i] != KindGoroutine {
		m.aggs.ops[c.cold[i].op].inFlight--
		m.aggs.ops[c.cold[i].op].version++
	}
}

// finish marks a slot ended, counts it in its aggregates and queues it for retention.
func (m *Model) finish(slot uint32, now int64) {
	c, i := m.store.at(slot)
	cold := &c.cold[i]
	d := max(cold.end-cold.start, 0)
	c.dur[i] = d
	capBusy(c, i)
	c.state[i] = StateDone
	if cold.status == StatusError {
		c.state[i] = StateError
		m.errors++
	}
	cold.lastSeen = now
	op := m.aggs.ops[cold.op]
	m.recordFinished(op, m.aggs.services[c.svc[i]], d, cold.status, now)
	if rt := c.rt; rt != nil && c.kind[i] != KindGoroutine {
		op.busy += max(rt.busy[i], 0)
		op.idle += max(rt.idle[i], 0)
	}
	m.recordRecent(m.aggs.ops[cold.op], slot, d, now)
	m.pushFIFO(slot, now)
}

// pushFIFO queues a slot that finished (or was lost) now: it lingers in
// the live tables from now, and is stored until retention.
func (m *Model) pushFIFO(slot uint32, now int64) {
	m.unshelve(slot)
	c, i := m.store.at(slot)
	m.ret.fifo.push(fifoEntry{slot: slot, gen: c.cold[i].gen, at: now})
}

// trace returns the record of a trace. Spans of one trace tend to arrive
// (and leave) together, so the last few traces are remembered in front of
// the map, whose lookups are cache misses once it is large.
func (m *Model) trace(key uint64, create bool) *traceRec {
	r := &m.tr.recent[key%uint64(len(m.tr.recent))]
	if r.t != nil && r.key == key {
		return r.t
	}
	t := m.tr.byKey[key]
	if t == nil {
		if !create {
			return nil
		}
		t = &traceRec{head: noSlot}
		m.tr.byKey[key] = t
		m.tr.peak = max(m.tr.peak, len(m.tr.byKey))
	}
	r.key, r.t = key, t
	return t
}

func (m *Model) linkTrace(slot uint32, id TraceID, now int64) {
	key := traceKey(id)
	t := m.trace(key, true)
	if t.count == 0 {
		m.tl.register(t, key)
	}
	m.tl.lastID, m.tl.lastT = id, t
	m.scheduleTraceCheck(t, now)
	c, i := m.store.at(slot)
	c.cold[i].nextT = t.head
	if t.head != noSlot {
		hc, hi := m.store.at(t.head)
		hc.cold[hi].prevT = slot
	}
	t.head = slot
	t.count++
}

func (m *Model) unlinkTrace(slot uint32) {
	c, i := m.store.at(slot)
	cold := &c.cold[i]
	key := traceKey(cold.traceID)
	t := m.trace(key, false)
	if cold.prevT != noSlot {
		pc, pi := m.store.at(cold.prevT)
		pc.cold[pi].nextT = cold.nextT
	} else {
		t.head = cold.nextT
	}
	if cold.nextT != noSlot {
		nc, ni := m.store.at(cold.nextT)
		nc.cold[ni].prevT = cold.prevT
	}
	m.traceSpanLeaving(t, slot)
	t.count--
	if t.count == 0 {
		delete(m.tr.byKey, key)
		if r := &m.tr.recent[key%uint64(len(m.tr.recent))]; r.key == key {
			r.t = nil
		}
	}
}

// remove deletes a finished or lost span. Aggregates keep what it added.
func (m *Model) remove(slot uint32) {
	m.indexRemove(slot)
	c, i := m.store.at(slot)
	goroutine := c.kind[i] == KindGoroutine
	switch c.state[i] {
	case StateError:
		m.errors--
	case StateLost:
		if goroutine {
			m.rt.goLost--
		} else {
			m.lost--
		}
	}
	if !goroutine && c.cold[i].indexed {
		m.store.untrack(slot)
	}
	m.dropWarns(slot)
	m.forgetShelved(c, i)
	if goroutine {
		m.removeGoroutine(slot)
	} else {
		m.unlinkTrace(slot)
	}
	c.state[i] = StateDone
	m.store.release(slot)
}

// Sweep removes spans past retention, takes those past linger out of the
// live tables and marks stale in-flight spans lost. It counts as a change
// (Header.Changes, Changed) unless, idle, it changed nothing readers see
// (sweepshown.go).
func (m *Model) Sweep() {
	now := m.now().UnixNano()
	if m.sweepShown(now) {
		m.signalChange()
	}
}

// sweep is Sweep's work, under the write lock.
func (m *Model) sweep(now int64) {
	lostAfter := int64(LostAfterHeartbeats) * int64(m.cfg.Heartbeat)
	for j := 0; j < len(m.ret.running); {
		slot := m.ret.running[j]
		c, i := m.store.at(slot)
		if c.kind[i] == KindGoroutine {
			j++ // goroutines are lost with their process (sweepProcesses)
			continue
		}
		after := lostAfter
		if c.cold[i].noBeat {
			after = int64(NoHeartbeatLostAfter)
		}
		if now-c.cold[i].lastSeen <= after {
			m.checkInFlight(slot, now)
			j++
			continue
		}
		m.indexRemove(slot)
		m.stopRunning(slot) // moves another slot into position j
		c.state[i] = StateLost
		c.dur[i] = max(c.cold[i].lastSeen-c.cold[i].start, 0)
		m.lost++
		m.pushFIFO(slot, now)
		m.indexAdd(slot)
		m.setWarn(slot, WarnLost)
	}
	m.sweepProcesses(now)
	m.maybeCollectStrings(now)
	m.symBytes = m.syms.Bytes()
	m.judgeBudget()
	m.runTraceChecks(now, traceChecksFor(now-m.lastSweep))
	m.lastSweep = now
	m.checkGoroutines(now)
	cutoff := now - int64(m.cfg.Retain)
	for e, ok := m.ret.fifo.front(); ok && e.at <= cutoff; e, ok = m.ret.fifo.front() {
		m.popFIFO()
	}
	m.sweepLinger(now)
	m.sweepSignals(now)
	m.flushTraces()
	m.sweepDue = m.nextSweep(now)
}

// popFIFO removes the span at the front of the retention queue, if it is
// still the span that was queued; it reports whether a span was removed.
func (m *Model) popFIFO() bool {
	e := m.ret.fifo.pop()
	c, i := m.store.at(e.slot)
	if c.cold[i].gen != e.gen || c.id[i] == 0 {
		return false
	}
	st := c.state[i]
	if st != StateDone && st != StateError && st != StateLost {
		return false // ran again after it was queued
	}
	m.remove(e.slot)
	return true
}

// perSpanBytes is what a new span may add outside its chunk slot and blobs:
// an index entry, a retention entry and, at worst, a trace entry.
const perSpanBytes = fifoBytes + traceEntryBytes + 2*24

// growthHeadroom is the part of the budget kept free for what grows in
// steps rather than per span (slices doubling, index leaves splitting), so
// that the budget holds even when nothing is left to evict.
func growthHeadroom(budget int64) int64 { return max(budget/32, 16<<10) }

// reserve evicts the oldest finished spans until a new span with need bytes
// of its own fits in the budget, counting a new chunk when no slot is free.
// It reports false when nothing is left to evict (everything is in flight).
func (m *Model) reserve(need int64) bool {
	for {
		n := need + m.store.inflight.growCost()
		if len(m.store.free) == 0 {
			n += chunkBytes
		}
		if m.memoryUsed()+n <= m.cfg.MaxMemory-growthHeadroom(m.cfg.MaxMemory) {
			return true
		}
		if !m.evictOldest() {
			return false
		}
	}
}

func (m *Model) evictOldest() bool {
	if m.evictOldLog(false) {
		return true
	}
	for m.ret.fifo.len() > 0 {
		if m.popFIFO() {
			m.evicted++
			return true
		}
	}
	return m.evictOldLog(true)
}

// memoryUsed is the accounted size of everything stored: the sum of what
// each sub-store reports. Maps are charged at their peak size because Go
// maps do not give memory back.
func (m *Model) memoryUsed() int64 {
	return m.store.bytes() + m.ret.bytes() + m.tr.bytes() + m.aggs.bytes + m.rt.bytes + m.rt.pending.bytes() +
		m.warn.bytes() + m.idx.tree.bytes() + m.tl.bytes() + m.symBytes + m.signalBytes()
}
