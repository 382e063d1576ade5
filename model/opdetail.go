package model

import (
	"cmp"
	"slices"
	"time"
	"unsafe"
)

// An operation keeps, besides its lifetime aggregates, a bounded recent
// past for its details view: per OpStep over the last OpHistory, how many
// spans finished and their p99; and the slowest spans that finished lately.
// It is allocated with the operation's first finished span and charged to
// the memory budget.

const (
	// OpStep is the resolution of an operation's recent history.
	OpStep = 5 * time.Second
	// OpHistory is how far back it goes.
	OpHistory = 5 * time.Minute
	opSteps   = int(OpHistory / OpStep)
	// slowKept is how many of the slowest spans each epoch keeps; two
	// epochs of half the history are kept, so "recent" is the last 2.5 to
	// 5 minutes.
	slowKept  = 10
	slowEpoch = int64(OpHistory / 2)
)

type opHistory struct {
	steps [opSteps]opStepStat
	// step is the step (local Unix ns / OpStep) cur collects for; steps
	// after it have nothing yet.
	step int64
	cur  Histogram
	// slow[0] holds the slowest spans of the current epoch, slow[1] those
	// of the previous one, each sorted slowest first.
	slow  [2][]slowSpan
	epoch int64
}

type opStepStat struct {
	count, errors uint32
	p99           int64
}

// slowSpan remembers a finished span well enough to show it after it is
// evicted, and to find it (slot and gen) while it is stored.
type slowSpan struct {
	id      uint64
	traceID TraceID
	dur     int64
	at      int64 // local Unix ns when it finished
	slot    uint32
	gen     uint32
	status  StatusCode
}

// opHistoryBytes is the memory of one history besides its histogram groups.
const opHistoryBytes = int64(unsafe.Sizeof(opHistory{})) + 2*slowKept*int64(unsafe.Sizeof(slowSpan{}))

// recordRecent adds a finished span to its operation's recent history.
// Only the writer calls it.
func (m *Model) recordRecent(op *operation, slot uint32, dur int64, now int64) {
	h := op.recent
	if h == nil {
		h = &opHistory{step: now / int64(OpStep), epoch: now / slowEpoch}
		h.slow[0] = make([]slowSpan, 0, slowKept)
		h.slow[1] = make([]slowSpan, 0, slowKept)
		op.recent = h
		m.aggs.bytes += opHistoryBytes
	}
	step := now / int64(OpStep)
	if step > h.step {
		h.steps[h.step%int64(opSteps)].p99 = int64(h.cur.Quantile(0.99))
		for s := h.step + 1; s <= step && s <= h.step+int64(opSteps); s++ {
			h.steps[s%int64(opSteps)] = opStepStat{}
		}
		h.step = step
		h.cur.reset()
	}
	c, i := m.store.at(slot)
	if step == h.step { // a clock that stepped back records into the current step
		st := &h.steps[step%int64(opSteps)]
		st.count++
		if c.cold[i].status == StatusError {
			st.errors++
		}
		m.aggs.bytes += h.cur.Record(dur)
	}

	if e := now / slowEpoch; e > h.epoch {
		if e == h.epoch+1 {
			h.slow[0], h.slow[1] = h.slow[1][:0], h.slow[0]
		} else {
			h.slow[0], h.slow[1] = h.slow[0][:0], h.slow[1][:0]
		}
		h.epoch = e
	}
	list := h.slow[0]
	if len(list) == slowKept && dur <= list[slowKept-1].dur {
		return
	}
	s := slowSpan{id: c.id[i], traceID: c.cold[i].traceID, dur: dur, at: now, slot: slot, gen: c.cold[i].gen, status: c.cold[i].status}
	at, _ := slices.BinarySearchFunc(list, dur, func(x slowSpan, d int64) int { return cmp.Compare(d, x.dur) })
	if len(list) < slowKept {
		list = append(list, slowSpan{})
	}
	copy(list[at+1:], list[at:])
	list[at] = s
	h.slow[0] = list
}

// reset empties a histogram, keeping its bucket arrays.
func (h *Histogram) reset() {
	for _, g := range h.groups {
		if g != nil {
			*g = [subBuckets]uint32{}
		}
	}
	h.count, h.max, h.min = 0, 0, 0
}

// OpSpan is one span in an operation's details.
type OpSpan struct {
	// ID is the span's display ID. Stored is false once it has been
	// evicted (it can no longer be opened).
	ID       uint64
	Stored   bool
	TraceID  TraceID
	Duration time.Duration // a live span: so far
	// Ended is when it finished, by the local clock (zero while in flight).
	Ended  time.Time
	State  State
	Status StatusCode
}

// OpDetail is everything known about one operation.
type OpDetail struct {
	// Row holds the figures of its row in the operations table.
	Row OpRow
	// Latency summarises the latencies of every finished span, the mini
	// histogram's buckets linear from Min to the top of the bulk (values
	// above the last edge are outliers: Count minus the buckets' sum).
	Latency HistSummary
	// Rate (spans finished per second), Errors and P99 are per OpStep over
	// the last OpHistory, oldest first; P99 is 0 where no span finished.
	Step   time.Duration
	Rate   []float64
	Errors []uint32
	P99    []time.Duration
	// Slowest are the slowest spans that finished in the last minutes,
	// slowest first; Running its spans in flight now, longest first.
	Slowest []OpSpan
	Running []OpSpan
}

// maxOpRunning bounds the in-flight spans an operation's details list;
// maxOpBuckets the buckets of its histogram.
const (
	maxOpRunning = 10
	maxOpBuckets = 1024
)

// Operation returns the details of the operation with display ID id, its
// latency histogram in buckets buckets (the width the UI draws it in). It
// costs O(buckets + histogram groups + spans in flight).
func (m *Model) Operation(id uint64, buckets int) (OpDetail, bool) {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	// Operations are never removed and are numbered in order: ID n is
	// at n-1.
	if id == 0 || id > uint64(len(m.aggs.ops)) || m.aggs.ops[id-1].id != id {
		return OpDetail{}, false
	}
	idx := uint32(id - 1)
	op := m.aggs.ops[idx]
	buckets = min(buckets, maxOpBuckets)
	s := opStats{op: op, rate: op.rate.rate(now),
		p50: int64(op.hist.Quantile(0.50)), p95: int64(op.hist.Quantile(0.95)), p99: int64(op.hist.Quantile(0.99))}
	d := OpDetail{Row: m.opRow(&s, now), Latency: op.hist.SummaryIn(min(buckets, maxOpBuckets)), Step: OpStep}

	d.Rate = make([]float64, opSteps)
	d.Errors = make([]uint32, opSteps)
	d.P99 = make([]time.Duration, opSteps)
	if h := op.recent; h != nil {
		last := now / int64(OpStep)
		for k := range opSteps {
			step := last - int64(opSteps) + 1 + int64(k)
			if step > h.step || step <= h.step-int64(opSteps) {
				continue
			}
			st := h.steps[step%int64(opSteps)]
			d.Rate[k] = float64(st.count) / OpStep.Seconds()
			d.Errors[k] = st.errors
			d.P99[k] = time.Duration(st.p99)
			if step == h.step {
				d.P99[k] = h.cur.Quantile(0.99) // not closed yet
			}
		}
		e := now / slowEpoch
		var all []slowSpan
		if h.epoch == e || h.epoch == e-1 {
			all = append(all, h.slow[0]...)
		}
		if h.epoch == e {
			all = append(all, h.slow[1]...)
		}
		slices.SortStableFunc(all, func(a, b slowSpan) int { return cmp.Compare(b.dur, a.dur) })
		for _, sp := range all[:min(len(all), slowKept)] {
			o := OpSpan{ID: sp.id, TraceID: sp.traceID, Duration: time.Duration(sp.dur), Ended: time.Unix(0, sp.at),
				Status: sp.status, State: StateDone}
			if sp.status == StatusError {
				o.State = StateError
			}
			if int(sp.slot>>chunkBits) < len(m.store.chunks) {
				c, i := m.store.at(sp.slot)
				o.Stored = c.id[i] == sp.id && c.cold[i].gen == sp.gen
				if o.Stored {
					m.recent.put(sp.id, sp.slot)
				}
			}
			d.Slowest = append(d.Slowest, o)
		}
	}

	// The longest of its spans in flight: a bounded selection over the
	// running list.
	type live struct {
		OpSpan
		slot uint32
	}
	var top []live
	longestFirst := func(a, b live) int { return cmp.Compare(int64(b.Duration), int64(a.Duration)) }
	for _, slot := range m.ret.running {
		c, i := m.store.at(slot)
		if c.cold[i].op != idx {
			continue
		}
		o := live{OpSpan{ID: c.id[i], Stored: true, TraceID: c.cold[i].traceID, Duration: time.Duration(durKey(c.dur[i], now)),
			State: StateRunning, Status: c.cold[i].status}, slot}
		switch {
		case len(top) < maxOpRunning:
			top = append(top, o)
		case o.Duration > top[maxOpRunning-1].Duration:
			top[maxOpRunning-1] = o
		default:
			continue
		}
		slices.SortStableFunc(top, longestFirst)
	}
	for _, o := range top {
		d.Running = append(d.Running, o.OpSpan)
		m.recent.put(o.ID, o.slot)
	}
	return d, true
}
