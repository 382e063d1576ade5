package model

import "time"

// syncRes is a resource goroutines of one service wait on: inferred from
// block stacks (keyed by call site) or named by agentlib. Like operations,
// it outlives the goroutines it counts.
type syncRes struct {
	id       uint64
	svc      uint32
	kind     WaitKind
	name     string
	location string
	// session and the base values are the last cumulative figures of the
	// current trace session; a new session's figures start from zero.
	session   uint64
	baseWaits uint64
	baseTotal int64

	waits   uint64
	total   int64
	max     int64
	waiters int
	// waiting and longest are the waits in progress as of asOf (local
	// Unix ns the generation that told them arrived: the local clock, as
	// the app's may be skewed).
	waiting, longest, asOf int64
	// parked follows the waiters of a channel operation or select, whose
	// long waits are a leak only while their number keeps rising.
	parked growth
	hist   Histogram
	wakers []Waker
	first  int64 // local Unix ns first seen
	last   int64 // local Unix ns it last had waiters or a wait
}

type resKey struct {
	svc      uint32
	kind     WaitKind
	name     string
	location string
}

const syncResBytes = 512

// maxResources bounds the sync resources kept; past it new ones are
// counted as dropped (call sites are few in practice; this stops a
// hostile trace from growing the table without end).
const maxResources = 1 << 16

func (m *Model) applySyncRes(svc uint32, session uint64, rec *SyncResourceRec, now int64) *syncRes {
	k := resKey{svc, rec.Kind, rec.Name, rec.Location}
	idx, ok := m.rt.resIndex[k]
	var r *syncRes
	if ok {
		r = m.rt.resources[idx]
	} else {
		need := syncResBytes + int64(2*(len(rec.Name)+len(rec.Location)))
		if rec.Kind.parks() {
			need += growthBytes(m.cfg.Warn.Growth)
		}
		if len(m.rt.resources) >= maxResources || !m.reserve(need) {
			m.rt.droppedResources++
			return nil
		}
		m.aggs.nextSvcID++ // services and resources share the resources view's IDs
		r = &syncRes{id: m.aggs.nextSvcID, svc: svc, kind: rec.Kind, name: rec.Name, location: rec.Location, first: now, session: session}
		m.rt.resIndex[k] = len(m.rt.resources)
		m.rt.resources = append(m.rt.resources, r)
		m.aggs.bytes += need
	}
	if r.session != session {
		r.session, r.baseWaits, r.baseTotal = session, 0, 0
	}
	if rec.Waits >= r.baseWaits {
		r.waits += rec.Waits - r.baseWaits
	}
	if rec.WaitTotal >= r.baseTotal {
		r.total += rec.WaitTotal - r.baseTotal
	}
	r.baseWaits, r.baseTotal = rec.Waits, rec.WaitTotal
	r.max = max(r.max, rec.WaitMax)
	r.first = min(r.first, now-rec.Longest) // in use since its longest wait began
	r.waiters, r.waiting, r.longest, r.asOf = rec.Waiters, rec.Waiting, rec.Longest, now
	if r.kind.parks() {
		r.parked.note(int64(r.waiters), m.cfg.Warn.Growth)
	}
	for _, v := range rec.WaitSamples {
		m.aggs.bytes += r.hist.Record(v)
	}
	if len(rec.Wakers) > 0 {
		r.wakers = append(r.wakers[:0], rec.Wakers[:min(len(rec.Wakers), 8)]...)
	}
	if r.waiters > 0 || len(rec.WaitSamples) > 0 {
		r.last = now
	}
	return r
}

// waitFigures returns the time goroutines have waited on r and the longest
// wait, the waits in progress included and grown with the clock since the
// generation that told them (for at most as long as a silent process
// still counts as alive).
func (r *syncRes) waitFigures(now int64) (total, longest int64) {
	total, longest = r.total, r.max
	if r.waiters == 0 {
		return total, longest
	}
	since := min(max(now-r.asOf, 0), procLostAfter*int64(time.Second))
	return total + r.waiting + int64(r.waiters)*since, max(longest, r.longest+since)
}

// stopWaiting ends the waits in progress when their process is gone: they
// lasted at least as long as last told.
func (r *syncRes) stopWaiting() {
	r.total += r.waiting
	r.max = max(r.max, r.longest)
	r.waiters, r.waiting, r.longest = 0, 0, 0
}

// parks reports whether goroutines may wait on k for good without anything
// being wrong: a channel operation or a select.
func (k WaitKind) parks() bool {
	return k == WaitChanSend || k == WaitChanRecv || k == WaitSelect
}

// typeName is the Type column of a resource.
func (r *syncRes) typeName() string {
	if r.name != "" {
		switch r.kind {
		case WaitMutex:
			return "agentlib.Mutex"
		case WaitSemaphore:
			return "agentlib.Semaphore"
		}
	}
	switch r.kind {
	case WaitMutex:
		return "sync.Mutex"
	case WaitRWMutex:
		return "sync.RWMutex"
	case WaitWaitGroup:
		return "sync.WaitGroup"
	case WaitCond:
		return "sync.Cond"
	case WaitChanSend, WaitChanRecv:
		return "chan"
	case WaitSelect:
		return "select"
	case WaitSleep:
		return "time"
	case WaitNetwork:
		return "net"
	case WaitSyscall:
		return "syscall"
	case WaitSemaphore:
		return "semaphore"
	}
	return "runtime"
}
