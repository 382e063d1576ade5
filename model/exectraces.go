package model

import "sync/atomic"

// ExecTraces is the keeper of the Go execution traces received (gotrace's
// reader). The model asks it for its figures and whether it holds a
// process's trace, so that the header, the warnings and the goroutine
// details all come from one place, the model.
type ExecTraces interface {
	// TraceFigures are the generations parsed, the breaks in streams, the
	// chunks and generations lost (here or by the sender) and the corrupt
	// input.
	TraceFigures() (generations, gaps, dropped, corrupt uint64)
	// HasTrace says whether the recent trace of a process is held.
	HasTrace(res Resource, session uint64) bool
}

// execTraces holds the keeper, set once at start-up.
type execTraces struct{ p atomic.Pointer[ExecTraces] }

func (e *execTraces) get() ExecTraces {
	if p := e.p.Load(); p != nil {
		return *p
	}
	return nil
}

// SetExecTraces tells the model who keeps the execution traces.
func (m *Model) SetExecTraces(x ExecTraces) { m.exec.p.Store(&x) }

// traceFigures are the keeper's figures (zero without one).
func (m *Model) traceFigures() (generations, gaps, dropped, corrupt uint64) {
	if x := m.exec.get(); x != nil {
		return x.TraceFigures()
	}
	return 0, 0, 0, 0
}

// canSaveTrace says whether the trace of a goroutine's process is held.
func (m *Model) canSaveTrace(id uint64) bool {
	x := m.exec.get()
	if x == nil {
		return false
	}
	res, session, _, ok := m.GoroutineOrigin(id)
	return ok && x.HasTrace(res, session)
}
