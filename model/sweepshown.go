package model

// An idle sweep that changed nothing readers see is not a change: it does
// not move Header.Changes and wakes no screen (Changed). After a load most
// sweeps only judge traces that turn out healthy, and a screen woken by
// each asked for the same rows again and drew them the same. A sweep
// while batches arrive counts always: they change what readers see anyway,
// and comparing would cost on the busy path.

// shownState is what a sweep may change that readers see: the rows of the
// span and goroutine tables (rowEdits: a warning set or cleared on a row
// bumps its version too), the runtime's rows (its version), and the
// header's figures but its rates and memory (which the screen does not
// wait on either: ui's pace). The warnings' counts follow from these: a
// sweep does not change the counters, rates or runtime figures the
// others are judged on.
type shownState struct {
	rowEdits, runtime uint64
	header            Header
}

func (m *Model) shownState(now int64) shownState {
	h := m.header(now)
	h.SpansPerSec, h.LogsPerSec, h.MemoryUsed = 0, 0, 0
	return shownState{rowEdits: m.rowEdits, runtime: m.rt.version, header: h}
}

// sweepShown sweeps under the write lock and reports whether the sweep
// counts as a change.
func (m *Model) sweepShown(now int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	idle := m.idle(now)
	var before shownState
	if idle {
		before = m.shownState(now)
	}
	m.sweep(now)
	if idle && m.shownState(now) == before {
		return false
	}
	m.changes++
	return true
}
