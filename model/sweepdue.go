package model

import (
	"math"
	"time"
)

// The writer sweeps when something is due, not on a clock: idle with a
// million spans stored, a sweep every 100 ms cost more than everything
// else the process did. Sweep ends by working out when the next thing it
// handles comes due; Run sleeps until then, or until a batch arrives
// (after which it sweeps within sweepAfterBatch, as what a batch brings
// may be due soon or push the budget).

// sweepAfterBatch is the longest a sweep waits after a batch was applied;
// it is also the shortest time between two sweeps.
const sweepAfterBatch = 100 * time.Millisecond

// idleSweepGap is the shortest time between two sweeps once no batch has
// arrived for as long. Idle, what comes due (traces judged, retention;
// spans lingering out take larger steps, lingerSlack) is taken two
// seconds' worth at a time rather than a tenth's: every sweep wakes the
// whole process (the scheduler, its monitor, the UI's redraw of what the
// sweep changed), which in the 20 s after a load cost more than the
// sweeps' work; and an idle sweep that changed nothing shown wakes no
// screen (sweepShown). Two seconds is the quiet screen's tick and the
// terminal's look (AlignedWait ends all of them on the same even second),
// so an idle spantop wakes once every two seconds for all of them.
const idleSweepGap = 2 * time.Second

// idle reports whether no batch has been applied for idleSweepGap at now.
func (m *Model) idle(now int64) bool { return now-m.lastApply >= int64(idleSweepGap) }

// sweepGap is the shortest time from a sweep at now to the next.
func (m *Model) sweepGap(now int64) time.Duration {
	if m.idle(now) {
		return idleSweepGap
	}
	return sweepAfterBatch
}

// never is the deadline of nothing due.
const never = int64(math.MaxInt64)

// nextSweep returns the local Unix ns at which the next sweep has work:
// a finished span leaves the live tables (linger, with its slack when
// idle) or the store (retention), a span in flight becomes lost or too
// long in flight, a process goes silent, a goroutine is re-judged, a
// trace's propagation is judged, the string collector takes its next
// step, a log record or a metric stream expires. The caller holds the
// write lock, right after a sweep at now.
func (m *Model) nextSweep(now int64) int64 {
	due := never
	at := func(t int64) { due = min(due, t) }

	if e, ok := m.ret.fifo.front(); ok {
		at(e.at + int64(m.cfg.Retain))
	}
	at(m.lingerDue(now))
	lostAfter := int64(LostAfterHeartbeats) * int64(m.cfg.Heartbeat)
	inFlight := int64(m.cfg.Warn.InFlight)
	for _, slot := range m.ret.running {
		c, i := m.store.at(slot)
		if c.kind[i] == KindGoroutine {
			continue
		}
		at(c.cold[i].lastSeen + lostAfter + 1)
		if d := c.dur[i]; d < 0 && -d+inFlight > now {
			at(-d + inFlight) // durKey reaches the threshold
		}
	}
	procAfter := int64(procLostAfter) * int64(m.cfg.Heartbeat)
	for _, p := range m.rt.procs {
		if !p.gone {
			at(p.lastSeen + procAfter + 1)
		}
	}
	for _, g := range m.rt.gos {
		if g.state != GoExited && !g.proc.gone {
			at(m.warn.lastGoCheck + int64(time.Second)) // checkGoroutines
			break
		}
	}
	if m.warn.checkHead < len(m.warn.checks) {
		at(m.warn.checks[m.warn.checkHead].due)
	}
	if sc := &m.strs; sc.phase == 1 {
		at(sc.openedAt + int64(collectEvery))
	} else if b := m.syms.Bytes(); b >= stringShare(m.cfg.MaxMemory) && (m.counters.OverBudget.Load() || b >= 2*sc.after) {
		at(sc.lastSweep + int64(collectEvery))
	}
	if m.counters.OverBudget.Load() {
		at(now + int64(time.Second)) // refusing: look again soon whatever frees room
	}
	if m.logs != nil {
		if t, ok := m.logs.frontAt(); ok {
			at(t + int64(m.cfg.Retain) + 1)
		}
	}
	if ms := m.metrics; ms != nil {
		keep := int64(metricKeep(m.cfg))
		for _, st := range ms.streams {
			at(st.lastSeen + keep + 1)
		}
	}
	return due
}
