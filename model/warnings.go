package model

import (
	"fmt"
	"math/bits"
	"strings"
	"time"
	"unsafe"
)

// WarnKind is one kind of warning. Span and goroutine warnings are bits on
// their rows (the Warn column counts them); the others belong to a service,
// an operation or spantop itself and show in the warnings panel only.
type WarnKind uint8

// Warning kinds.
const (
	WarnLongInFlight    WarnKind = iota // span in flight longer than Thresholds.InFlight
	WarnLost                            // span in flight, then no longer refreshed
	WarnNoRemoteChild                   // CLIENT span that never gets a SERVER child nor a child from another service
	WarnOrphan                          // span whose parent never arrives
	WarnRootBurst                       // a burst of new roots inside one process while a span is live
	WarnBlocked                         // goroutine blocked long on chan/select/sync
	WarnNeverYields                     // goroutine ran long without yielding
	WarnGoroutineGrowth                 // a service's goroutine count keeps growing
	WarnErrorSpike                      // an operation's error rate jumped
	WarnDropped                         // spantop refused, rejected or dropped data
	WarnKinds
)

// warnNames are the kinds' names in filters (warn=orphan).
var warnNames = [WarnKinds]string{"inflight", "lost", "no-remote-child", "orphan", "root-burst", "blocked", "long-run", "growth", "error-spike", "dropped"}

// String returns the kind's name as filters spell it.
func (k WarnKind) String() string {
	if k < WarnKinds {
		return warnNames[k]
	}
	return "unknown"
}

// Thresholds are the limits the warnings use; each is a command-line flag.
type Thresholds struct {
	// InFlight: a span in flight longer than this (--warn-inflight).
	InFlight time.Duration
	// Propagation: how long a trace must be quiet before its propagation
	// is judged (--warn-propagation).
	Propagation time.Duration
	// RootBurst: this many context-less roots within a second in one
	// process (--warn-root-burst).
	RootBurst int
	// Blocked: a goroutine blocked on chan/select/sync this long (--warn-blocked).
	Blocked time.Duration
	// LongRun: a goroutine that ran this long without yielding (--warn-run).
	LongRun time.Duration
	// Growth: a goroutine count whose mean over the last Growth samples
	// (one a second) is above its highest over the Growth samples before:
	// growth that outlasts the usual ups and downs (--warn-growth).
	Growth int
	// ErrorSpike: an operation whose error rate over the last 10 s is this
	// many times its rate over the minute before (--warn-error-spike).
	ErrorSpike float64
}

// DefaultThresholds are the thresholds used when Config.Warn is zero.
var DefaultThresholds = Thresholds{
	InFlight: 10 * time.Second, Propagation: 5 * time.Second, RootBurst: 5,
	Blocked: 10 * time.Second, LongRun: 100 * time.Millisecond, Growth: 15, ErrorSpike: 3,
}

func (t *Thresholds) fill() {
	d := DefaultThresholds
	orDefault(&t.InFlight, d.InFlight)
	orDefault(&t.Propagation, d.Propagation)
	orDefault(&t.RootBurst, d.RootBurst)
	orDefault(&t.Blocked, d.Blocked)
	orDefault(&t.LongRun, d.LongRun)
	orDefault(&t.Growth, d.Growth)
	orDefault(&t.ErrorSpike, d.ErrorSpike)
}

// orDefault sets a threshold that is not positive to its default.
func orDefault[T int | float64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Warning is one line of the warnings panel.
type Warning struct {
	Kind WarnKind
	// Count is how many items have it (spans, goroutines, services,
	// operations; for WarnDropped, the data items lost).
	Count int64
	// Text says what it means with the threshold in it; Flag names the
	// flag that sets the threshold ("" when there is none).
	Text, Flag string
	// Example is the display ID of one item with it (a task, or a row of
	// the resources or operations view), 0 if none.
	Example uint64
}

// warnText describes a row warning in details.
func (m *Model) warnText(k WarnKind) (text, flag string) {
	t := &m.cfg.Warn
	switch k {
	case WarnLongInFlight:
		return fmt.Sprintf("in flight longer than %v", t.InFlight), "--warn-inflight"
	case WarnLost:
		return fmt.Sprintf("lost: in flight, then not refreshed for %d heartbeats (agentlib), or sent unended and not sent again for %v (other SDKs): the process died or the span never ended", LostAfterHeartbeats, NoHeartbeatLostAfter), ""
	case WarnNoRemoteChild:
		return fmt.Sprintf("client span without a SERVER child nor a child from another service %v after its trace went quiet (context not propagated?)", t.Propagation), "--warn-propagation"
	case WarnOrphan:
		return fmt.Sprintf("its parent never arrived (%v after its trace went quiet)", t.Propagation), "--warn-propagation"
	case WarnRootBurst:
		return fmt.Sprintf("one of ≥%d new root spans within 1s in a process while another span was live (goroutine started without the request's context?)", t.RootBurst), "--warn-root-burst"
	case WarnBlocked:
		return m.blockedText(lockWait + ", or " + m.parkedWait()), "--warn-blocked"
	case WarnNeverYields:
		return fmt.Sprintf("ran longer than %v without yielding", t.LongRun), "--warn-run"
	case WarnGoroutineGrowth:
		return fmt.Sprintf("goroutine count kept rising: its mean over the last %ds above its highest over the %ds before (leak?)", t.Growth, t.Growth), "--warn-growth"
	case WarnErrorSpike:
		return fmt.Sprintf("error rate over 10s ≥ %g× the minute before", t.ErrorSpike), "--warn-error-spike"
	case WarnDropped:
		return "data refused, rejected or dropped", ""
	}
	return "", ""
}

// setWarn and clearWarn change a row's warning bit, keeping the counts
// and, when sorting by Warn, the index in step.
func (m *Model) setWarn(slot uint32, k WarnKind) {
	c, i := m.store.at(slot)
	bit := uint16(1) << k
	if c.warn[i]&bit != 0 {
		return
	}
	m.reindexWarn(slot, func() { c.warn[i] |= bit })
	m.warn.counts[k]++
}

func (m *Model) clearWarn(slot uint32, k WarnKind) {
	c, i := m.store.at(slot)
	bit := uint16(1) << k
	if c.warn[i]&bit == 0 {
		return
	}
	m.reindexWarn(slot, func() { c.warn[i] &^= bit })
	m.warn.counts[k]--
}

func (m *Model) reindexWarn(slot uint32, change func()) {
	if m.idx.col != TaskWarn && !m.build.on(TaskWarn) {
		change()
		m.bumpVersion(slot)
		return
	}
	m.indexRemove(slot)
	change()
	m.indexAdd(slot)
}

// dropWarns forgets the warnings of a row being removed.
func (m *Model) dropWarns(slot uint32) {
	c, i := m.store.at(slot)
	for w := c.warn[i]; w != 0; w &= w - 1 {
		m.warn.counts[bits.TrailingZeros16(w)]--
	}
	c.warn[i] = 0
}

// lockWait and parkedWait are the two ways a goroutine's long wait is
// warned of.
const lockWait = "on a lock, WaitGroup, cond or semaphore (deadlock?)"

func (m *Model) parkedWait() string {
	return fmt.Sprintf("on a chan/select with ≥%d others at one place, their number rising over %ds (leak?)", leakWaiters-1, 2*m.cfg.Warn.Growth)
}

func (m *Model) blockedText(how string) string {
	return "blocked >" + m.cfg.Warn.Blocked.String() + " " + how
}

// warnings lists a row's warnings for its details.
func (m *Model) warnings(slot uint32) []string {
	c, i := m.store.at(slot)
	var out []string
	for w := c.warn[i]; w != 0; w &= w - 1 {
		k := WarnKind(bits.TrailingZeros16(w))
		text, flag := m.warnText(k)
		if g := m.rt.gos[slot]; k == WarnBlocked && g != nil {
			// A goroutine's details say which of the two it is.
			how := lockWait
			if g.wait.parks() {
				how = m.parkedWait()
			}
			text = m.blockedText(how)
		}
		if flag != "" {
			text += " [" + flag + "]"
		}
		out = append(out, text)
	}
	return out
}

// Warnings returns the warnings panel: every kind that has a count now.
func (m *Model) Warnings() []Warning {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Warning
	add := func(k WarnKind, n int64, example uint64) {
		if n <= 0 {
			return
		}
		text, flag := m.warnText(k)
		out = append(out, Warning{Kind: k, Count: n, Text: text, Flag: flag, Example: example})
	}
	for k := range WarnGoroutineGrowth {
		add(k, int64(m.warn.counts[k]), 0)
	}
	var growing int64
	var growEx uint64
	for svc, rt := range m.rt.svcRT {
		if rt.goroutines.rising {
			growing++
			growEx = m.aggs.services[svc].id
		}
	}
	add(WarnGoroutineGrowth, growing, growEx)
	var spikes int64
	var spikeEx uint64
	for _, o := range m.aggs.ops {
		if m.errorSpike(o, now) {
			spikes++
			spikeEx = o.id
		}
	}
	add(WarnErrorSpike, spikes, spikeEx)
	dropped := m.counters.Refused.Load() + m.counters.Rejected.Load() + m.counters.Dropped.Load() +
		m.rt.droppedGoroutines + m.rt.droppedResources
	_, _, lostTrace, corrupt := m.traceFigures()
	if dropped == 0 && lostTrace+corrupt > 0 {
		out = append(out, Warning{Kind: WarnDropped, Count: int64(lostTrace + corrupt), Text: "execution-trace data dropped or unreadable"})
		return out
	}
	add(WarnDropped, dropped+int64(lostTrace+corrupt), 0)
	return out
}

// errorSpike compares an operation's error rate over the last 10 s with
// the 50 s before; a spike needs at least 5 errors and a 10% rate.
func (m *Model) errorSpike(o *operation, now int64) bool {
	const recent, before = 10, 50
	errs := o.errRate.last(now+1e9, recent+before) // up to and including this second
	cnts := o.rate.last(now+1e9, recent+before)
	var e1, c1, e0, c0 uint32
	for i := range errs {
		if i >= before {
			e1, c1 = e1+errs[i], c1+cnts[i]
		} else {
			e0, c0 = e0+errs[i], c0+cnts[i]
		}
	}
	if e1 < 5 || c1 == 0 {
		return false
	}
	r1 := float64(e1) / float64(c1)
	r0 := 0.0
	if c0 > 0 {
		r0 = float64(e0) / float64(c0)
	}
	return r1 >= 0.1 && r1 >= m.cfg.Warn.ErrorSpike*max(r0, 0.01)
}

// checkInFlight flags a running span that has been in flight too long.
func (m *Model) checkInFlight(slot uint32, now int64) {
	c, i := m.store.at(slot)
	if durKey(c.dur[i], now) >= int64(m.cfg.Warn.InFlight) {
		m.setWarn(slot, WarnLongInFlight)
	}
}

// Traces are judged for propagation once they have been quiet (no new
// span) for Thresholds.Propagation, and again if spans arrive later.
// The queue holds the trace itself, not its key: looking each up again in
// a map of a million spans' traces was a cache miss per check. A trace
// that went meanwhile (no span left) is skipped; one of the same ID
// stored again since is another record with its own check.
type traceCheck struct {
	t   *traceRec
	due int64
}

func (m *Model) scheduleTraceCheck(t *traceRec, now int64) {
	t.due = now + int64(m.cfg.Warn.Propagation)
	if !t.queued {
		t.queued = true
		m.warn.checks = append(m.warn.checks, traceCheck{t, t.due})
	}
}

// Trace checks judged per batch applied and per sweep. Traces come due in
// bursts (a million spans received at full speed come due together), and
// judging 125k traces at once held the writer for a second; in slices the
// work is spread over the batches that caused it.
const (
	traceChecksPerBatch = 128
	traceChecksPerSweep = 1024
)

// traceChecksFor is how many trace checks a sweep takes after elapsed
// since the last one: traceChecksPerSweep per sweepAfterBatch, so that
// sweeps further apart (up to idleSweepGap) judge a burst as fast.
func traceChecksFor(elapsed int64) int {
	return traceChecksPerSweep * int(min(max(elapsed/int64(sweepAfterBatch), 1), int64(idleSweepGap/sweepAfterBatch)))
}

// runTraceChecks judges at most limit of the traces whose quiet time has passed.
func (m *Model) runTraceChecks(now int64, limit int) {
	if m.warn.checkHead < len(m.warn.checks) && m.warn.checks[m.warn.checkHead].due <= now {
		m.warn.hints.resolve(m.syms)
	}
	for ; limit > 0 && m.warn.checkHead < len(m.warn.checks) && m.warn.checks[m.warn.checkHead].due <= now; limit-- {
		t := m.warn.checks[m.warn.checkHead].t
		m.warn.checks[m.warn.checkHead].t = nil
		m.warn.checkHead++
		if t.count == 0 {
			continue // gone
		}
		if t.due > now {
			m.warn.checks = append(m.warn.checks, traceCheck{t, t.due}) // spans arrived since: wait again
			continue
		}
		t.queued = false
		m.checkTrace(t)
	}
	if m.warn.checkHead == len(m.warn.checks) {
		m.warn.checks, m.warn.checkHead = m.warn.checks[:0], 0
	} else if m.warn.checkHead > 4096 && m.warn.checkHead > len(m.warn.checks)/2 {
		n := copy(m.warn.checks, m.warn.checks[m.warn.checkHead:])
		m.warn.checks, m.warn.checkHead = m.warn.checks[:n], 0
	}
}

// checkTrace sets or clears the orphan and no-remote-child warnings of
// every span of a trace, in one pass to index its spans by ID, one to mark
// the parents with a remote child and one to judge.
func (m *Model) checkTrace(t *traceRec) {
	ts := &m.warn.judging
	ts.reset(t.count)
	for slot := t.head; slot != noSlot; {
		c, i := m.store.at(slot)
		ts.add(c.cold[i].spanID, c.svc[i])
		slot = c.cold[i].nextT
	}
	for slot := t.head; slot != noSlot; {
		c, i := m.store.at(slot)
		// A SERVER child, in any service, is the far end of a propagated
		// call: a load generator (telemetrygen) or a test traces both ends
		// in one process. A child of any kind in another service is too.
		if p := c.cold[i].parent; !p.IsZero() {
			if k := ts.find(p); k >= 0 && (ts.spans[k].svc != c.svc[i] || c.kind[i] == KindServer) {
				ts.spans[k].remote = true
			}
		}
		slot = c.cold[i].nextT
	}
	for slot := t.head; slot != noSlot; {
		c, i := m.store.at(slot)
		cold := &c.cold[i]
		next := cold.nextT
		if p := cold.parent; !p.IsZero() {
			if ts.find(p) >= 0 {
				m.clearWarn(slot, WarnOrphan)
			} else {
				m.setWarn(slot, WarnOrphan)
			}
		}
		if c.kind[i] == KindClient && c.state[i] != StateRunning {
			// A remote child is the answer whatever the attributes say:
			// they are read only for a client span without one.
			if k := ts.find(cold.spanID); k >= 0 && ts.spans[k].remote {
				m.clearWarn(slot, WarnNoRemoteChild)
			} else if m.expectsRemoteChild(m.syms.String(c.name[i]), cold) {
				m.setWarn(slot, WarnNoRemoteChild)
			}
		}
		slot = next
	}
	ts.done()
}

// traceSpans indexes the spans of the trace being judged by span ID (a
// stored trace holds each span ID once). A trace of a few spans, the usual
// kind, is searched in a slice: hashing every span ID twice into maps was
// most of what judging a burst of small traces cost. A larger one is
// looked up through a map.
type traceSpans struct {
	spans  []judgedSpan
	byID   map[SpanID]int32 // kept for the next large trace
	useMap bool             // more than smallTraceSpans
}

type judgedSpan struct {
	id     SpanID
	svc    uint32
	remote bool // a child in another service, or a SERVER child
}

// smallTraceSpans is the most spans a trace has to be searched linearly.
const smallTraceSpans = 32

func (ts *traceSpans) reset(spans uint32) {
	ts.spans = ts.spans[:0]
	ts.useMap = spans > smallTraceSpans
	if ts.useMap {
		if ts.byID == nil {
			ts.byID = make(map[SpanID]int32, spans)
		}
		clear(ts.byID)
	}
}

func (ts *traceSpans) add(id SpanID, svc uint32) {
	if ts.useMap {
		ts.byID[id] = int32(len(ts.spans))
	}
	ts.spans = append(ts.spans, judgedSpan{id: id, svc: svc})
}

// find returns the index of span id in ts.spans, or -1.
func (ts *traceSpans) find(id SpanID) int {
	if ts.useMap {
		if k, ok := ts.byID[id]; ok {
			return int(k)
		}
		return -1
	}
	for k := range ts.spans {
		if ts.spans[k].id == id {
			return k
		}
	}
	return -1
}

// done lets go of what a huge trace made.
func (ts *traceSpans) done() {
	if cap(ts.spans) > 1<<12 {
		ts.spans, ts.byID = nil, nil
	}
}

// expectsRemoteChild: a client span calling a database or a broker has no
// instrumented peer, and neither has an OTLP export (the Collector's
// exporter sending to spantop or to any backend, which do not trace what
// they receive), so only the other client spans are judged. It reads the
// span's attributes once, by their keys' Syms (hintKeys), resolving no
// other string.
func (m *Model) expectsRemoteChild(name string, cold *spanCold) bool {
	if strings.HasPrefix(name, otlpServicePrefix) {
		return false
	}
	for b := cold.attrs; len(b) > 0; {
		k, tag, rest, ok := nextAttr(b)
		if !ok {
			return true
		}
		hint := m.warn.hints.of(k)
		if hint == hintNoPeer {
			return false
		}
		if hint != hintNone {
			v, _, ok := readValue(tag, rest, m.syms)
			if ok && (hint == hintRPCService && strings.HasPrefix(v.Str, otlpServicePrefix) || hint == hintURL && isOTLPPath(v.Str)) {
				return false
			}
		}
		if b, ok = skipValue(tag, rest); !ok {
			return true
		}
	}
	return true
}

// What an attribute of a client span says of its peer (expectsRemoteChild).
const (
	hintNone       = iota
	hintNoPeer     // a database or a broker: no instrumented peer
	hintRPCService // the gRPC service called: an OTLP export has no traced peer
	hintURL        // the URL called, likewise
)

// hintKeyNames are the attribute keys expectsRemoteChild reads: old and
// new conventions.
var hintKeyNames = [...]struct {
	key  string
	hint uint8
}{
	{"db.system", hintNoPeer}, {"db.system.name", hintNoPeer}, {"messaging.system", hintNoPeer},
	{"rpc.service", hintRPCService},
	{"url.full", hintURL}, {"http.url", hintURL}, {"url.path", hintURL}, {"http.target", hintURL},
}

// hintKeys are hintKeyNames' Syms for one run of trace checks: resolved
// at its start (a key not interned is on no stored span), as the writer
// may reclaim and reuse a Sym between runs.
type hintKeys struct {
	syms  [len(hintKeyNames)]Sym
	hints [len(hintKeyNames)]uint8
	n     int
}

func (h *hintKeys) resolve(syms *Symbols) {
	h.n = 0
	for _, k := range hintKeyNames {
		if id, ok := syms.lookup(k.key); ok {
			h.syms[h.n], h.hints[h.n] = id, k.hint
			h.n++
		}
	}
}

// of is what the attribute key id says, hintNone for any other key.
func (h *hintKeys) of(id Sym) uint8 {
	for i := range h.n {
		if h.syms[i] == id {
			return h.hints[i]
		}
	}
	return hintNone
}

// otlpServicePrefix starts the gRPC service names of OTLP exports
// (opentelemetry.proto.collector.trace.v1.TraceService/Export).
const otlpServicePrefix = "opentelemetry.proto.collector."

// isOTLPPath reports whether a URL or path is an OTLP/HTTP export.
func isOTLPPath(u string) bool {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return strings.HasSuffix(u, "/v1/traces") || strings.HasSuffix(u, "/v1/logs") || strings.HasSuffix(u, "/v1/metrics")
}

// Root bursts: a root span that is not a server or consumer span, started
// in a process while one of that process's server or consumer spans of
// another trace was live, most likely came from a goroutine started
// without the request's context. One is a hint; a burst is the pitfall.
const liveWindow = 32

// liveSpans remembers a service's recent server and consumer spans.
type liveSpans struct {
	spans [liveWindow]struct {
		trace       TraceID
		parent      SpanID
		parentLocal bool  // the sender said its parent is in the process
		start, end  int64 // end 0 while in flight
	}
	n     int
	roots [16]int64 // starts of recent suspicious roots (a ring)
	nr    int
}

func (m *Model) noteSpanForBursts(slot uint32, rec *SpanRec) {
	c, i := m.store.at(slot)
	svc := m.aggs.services[c.svc[i]]
	switch {
	case rec.Kind == KindServer || rec.Kind == KindConsumer:
		if svc.live == nil {
			svc.live = new(liveSpans)
			m.aggs.bytes += int64(unsafe.Sizeof(liveSpans{}))
		}
		l := svc.live
		for j := range min(l.n, liveWindow) { // a newer version of a span already noted
			if e := &l.spans[j]; e.trace == rec.TraceID && e.start == rec.Start {
				e.end = rec.End
				return
			}
		}
		e := &l.spans[l.n%liveWindow]
		e.trace, e.parent, e.parentLocal, e.start, e.end = rec.TraceID, rec.Parent, rec.ParentLocal, rec.Start, rec.End
		l.n++
	case rec.Parent.IsZero() && svc.live != nil && !linked(rec):
		l := svc.live
		inside := false
		for j := range min(l.n, liveWindow) {
			e := &l.spans[j]
			if e.trace != rec.TraceID && rec.Start > e.start && (e.end == 0 || rec.Start < e.end) &&
				!e.parentLocal && m.entersProcess(e.trace, e.parent, c.svc[i]) {
				inside = true
				break
			}
		}
		if !inside {
			return
		}
		l.roots[l.nr%len(l.roots)] = rec.Start
		l.nr++
		n := 0
		for j := range min(l.nr, len(l.roots)) {
			if d := rec.Start - l.roots[j]; d >= 0 && d < int64(time.Second) {
				n++
			}
		}
		if n >= m.cfg.Warn.RootBurst {
			m.setWarn(slot, WarnRootBurst)
		}
	}
}

// linked reports whether a span has links: a root that links to the
// spans it works for (the Collector's batch exporter, a batch consumer)
// left their contexts on purpose.
func linked(rec *SpanRec) bool { return rec.Ext != nil && len(rec.Ext.Links) > 0 }

// entersProcess reports whether a server or consumer span of service svc
// is a request coming into its process: a root, or the child of another
// service's span (as far as the recent spans of its trace tell; it is
// asked when a root arrives, by when the parent has usually arrived too).
// A load generator that traces both ends of its own calls is not serving
// requests.
func (m *Model) entersProcess(trace TraceID, parent SpanID, svc uint32) bool {
	if parent.IsZero() {
		return true
	}
	slot, ok := m.lookup(spanKey{trace, parent})
	if !ok {
		return true
	}
	c, i := m.store.at(slot)
	return c.svc[i] != svc
}

// checkGoroutine sets or clears a goroutine row's warnings.
func (m *Model) checkGoroutine(slot uint32, g *goInfo, now int64) {
	if g.longestRun >= int64(m.cfg.Warn.LongRun) {
		m.setWarn(slot, WarnNeverYields)
	}
	// Blocked long on a lock, a WaitGroup, a cond or a semaphore: a
	// deadlock, or very close to one. On a channel or in a select, a single
	// goroutine is usually an idle loop, and many parked at one place may be
	// an idle pool (grpc keeps a few per connection); many whose number
	// keeps rising are the leak.
	blocked := false
	if g.state == GoWaiting && g.since > 0 && now-g.since >= int64(m.cfg.Warn.Blocked) {
		switch g.wait {
		case WaitMutex, WaitRWMutex, WaitWaitGroup, WaitCond, WaitSemaphore:
			blocked = true
		default:
			blocked = g.wait.parks() && g.res != nil && g.res.waiters >= leakWaiters && g.res.parked.rising
		}
	}
	if blocked {
		m.setWarn(slot, WarnBlocked)
	} else {
		m.clearWarn(slot, WarnBlocked)
	}
}

// leakWaiters is how many goroutines parked on one channel operation or
// select, their number rising, make their long wait look like a leak
// rather than an idle loop.
const leakWaiters = 10

// checkGoroutines re-judges live goroutines: a blocked one's time grows
// with the clock, not with batches.
func (m *Model) checkGoroutines(now int64) {
	if now-m.warn.lastGoCheck < int64(time.Second) {
		return
	}
	m.warn.lastGoCheck = now
	for slot, g := range m.rt.gos {
		if g.state != GoExited && !g.proc.gone {
			m.checkGoroutine(slot, g, now)
		}
	}
}

// growth follows a count over its last 2×window samples: it is rising
// when the mean of the newer half is above the highest count of the older
// half, which a steady leak reaches once it adds more in half a window
// than the usual ups and downs.
type growth struct {
	counts []int64 // a ring
	n      int
	rising bool
}

// growthBytes is what a growth over window samples holds.
func growthBytes(window int) int64 { return int64(16 * window) }

func (g *growth) note(v int64, window int) {
	if v < 0 {
		return
	}
	if len(g.counts) != 2*window {
		g.counts, g.n = make([]int64, 2*window), 0
	}
	g.counts[g.n%len(g.counts)] = v
	g.n++
	if g.n < len(g.counts) {
		g.rising = false
		return
	}
	older, newer := int64(-1), int64(0)
	for k := range len(g.counts) { // k = 0 is the oldest sample
		v := g.counts[(g.n+k)%len(g.counts)]
		if k < window {
			older = max(older, v)
		} else {
			newer += v
		}
	}
	g.rising = newer > older*int64(window)
}
