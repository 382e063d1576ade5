package model

// An idle sweep that changed nothing readers see is not a change: it does
// not move Header.Changes and wakes no screen (Changed). After a load most
// sweeps only judge traces that turn out healthy, and a screen woken by
// each asked for the same rows again and drew them the same. A sweep
// while batches arrive counts always: they change what readers see anyway,
// and comparing would cost on the busy path.

// shownState is what a sweep may change that readers see: the rows of the
// span and goroutine tables (rowEdits), the runtime's figures (its
// version), the header's figures but its rates and memory (which the
// screen does not wait on either: ui's pace), and the warnings.
type shownState struct {
	rowEdits, runtime uint64
	header            Header
	warnings          []Warning
}

func (m *Model) shownState(now int64) shownState {
	h := m.header(now)
	h.SpansPerSec, h.LogsPerSec, h.MemoryUsed = 0, 0, 0
	return shownState{rowEdits: m.rowEdits, runtime: m.rt.version, header: h, warnings: m.warningsAt(now)}
}

func (s shownState) same(o shownState) bool {
	if s.rowEdits != o.rowEdits || s.runtime != o.runtime || s.header != o.header || len(s.warnings) != len(o.warnings) {
		return false
	}
	for i, w := range s.warnings {
		if w.Kind != o.warnings[i].Kind || w.Count != o.warnings[i].Count {
			return false
		}
	}
	return true
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
	if idle && m.shownState(now).same(before) {
		return false
	}
	m.changes++
	return true
}
