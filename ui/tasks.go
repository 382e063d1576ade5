package ui

import (
	tea "charm.land/bubbletea/v2"
	"strconv"
	"strings"
	"time"

	"github.com/spantop/spantop/model"
)

// taskColumns is the tasks table: header, width, format and sort key of
// every column, in display order.
func taskColumns() []column[model.TaskRow] {
	goroutineDur := func(get func(*model.TaskRow) int64) func(*styles, *model.TaskRow, int) (string, style) {
		return func(st *styles, r *model.TaskRow, _ int) (string, style) {
			if !hasRuntime(r) || get(r) < 0 { // negative: not measured by the sender
				return "", style{}
			}
			d := durOf(get(r))
			return st.fmtDur(d), st.durStyle(d)
		}
	}
	return []column[model.TaskRow]{
		{key: model.TaskWarn, title: "Warn", min: 5, ideal: 5, prio: 70, desc: true,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				if r.Warnings <= 0 {
					return "", style{}
				}
				return st.sym.warn + " " + strconv.Itoa(r.Warnings), st.warn
			}},
		{key: model.TaskID, title: "ID", min: 6, ideal: 7, prio: 100, right: true, desc: true,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return strconv.FormatUint(r.ID, 10), style{}
			}},
		{key: model.TaskState, title: "St", min: 3, ideal: 3, prio: 95,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return st.stateSymbol(r.State)
			}},
		{key: model.TaskName, title: "Name", min: 12, ideal: 20, prio: 98, flex: 2,
			cell: func(st *styles, r *model.TaskRow, w int) (string, style) {
				return treeName(st, r, w), style{}
			}},
		{key: model.TaskTotal, title: "Total", min: 8, ideal: 9, prio: 96, right: true, desc: true,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return st.fmtDur(r.Total), st.durStyle(r.Total)
			}},
		{key: model.TaskBusy, group: 1, present: hasRuntime, title: "Busy", min: 8, ideal: 9, prio: 30, right: true, desc: true,
			cell: goroutineDur(func(r *model.TaskRow) int64 { return int64(r.Busy) })},
		{key: model.TaskSched, group: 1, present: hasRuntime, title: "Sched", min: 8, ideal: 9, prio: 28, right: true, desc: true,
			cell: goroutineDur(func(r *model.TaskRow) int64 { return int64(r.Sched) })},
		{key: model.TaskIdle, group: 1, present: hasRuntime, title: "Idle", min: 8, ideal: 9, prio: 29, right: true, desc: true,
			cell: goroutineDur(func(r *model.TaskRow) int64 { return int64(r.Idle) })},
		{key: model.TaskPolls, group: 1, present: hasRuntime, title: "Polls", min: 6, ideal: 7, prio: 27, right: true, desc: true,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				if r.Kind != model.KindGoroutine && r.Polls == 0 {
					return "", style{}
				}
				return fmtCount(int64(r.Polls)), style{}
			}},
		{key: model.TaskKind, title: "Kind", min: 9, ideal: 9, prio: 80,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return r.Kind.String(), st.muted
			}},
		{key: model.TaskService, title: "Service", min: 8, ideal: 10, prio: 85,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return sanitize(r.Service), style{}
			}},
		{key: model.TaskTarget, title: "Target", min: 8, ideal: 16, prio: 44,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return sanitize(r.Target), st.muted
			}},
		{key: model.TaskLocation, title: "Location", min: 9, ideal: 20, prio: 62,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return sanitize(r.Location), st.muted
			}},
		{key: model.TaskFields, title: "Fields", min: 7, ideal: 24, prio: 40, flex: 3,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return fieldsText(r.Fields), style{}
			}},
	}
}

// hasRuntime reports whether a task row has busy, scheduled and idle times:
// every goroutine has, and so do the spans of Go apps running agentlib. A
// span without them shows blanks there, not zeroes.
func hasRuntime(r *model.TaskRow) bool {
	return r.Kind == model.KindGoroutine || r.Busy != 0 || r.Sched != 0 || r.Idle != 0 || r.Polls != 0
}

// fieldsText formats attributes as k=v k=v, sanitised.
func fieldsText(attrs []model.Attr) string {
	if len(attrs) == 0 {
		return ""
	}
	var b strings.Builder
	for i := range attrs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sanitize(attrs[i].Key))
		b.WriteByte('=')
		b.WriteString(sanitize(attrs[i].Value.String()))
	}
	return b.String()
}

// taskTable is the tasks view.
type taskTable = table[model.TaskRow]

// tasksKind makes the tasks view: spans, live and recently finished
// (goroutines have a table of their own, goroutinetable.go).
type tasksKind struct{}

func newTaskTable() *taskTable { return newTable[model.TaskRow](tasksKind{}) }

func (tasksKind) columns() []column[model.TaskRow]  { return taskColumns() }
func (tasksKind) defaultSort() (model.Column, bool) { return model.TaskTotal, true }
func (tasksKind) rowID(r *model.TaskRow) uint64     { return r.ID }
func (tasksKind) dimmed(r *model.TaskRow) bool      { return r.Finished }
func (tasksKind) noun() string                      { return "spans" }
func (tasksKind) keys() *keySet                     { return tasksKeys }
func (tasksKind) cacheKey(r *model.TaskRow) rowKey  { return taskKey(r) }
func (tasksKind) fetch(src Source, q model.Query) model.Page[model.TaskRow] {
	return src.Tasks(q)
}

var tasksKeys = tableKeySet("tasks",
	binding{keys: []string{"T"}, acts: []action{actTree}, label: "T",
		desc: "tree mode: children under their parents (again: a flat table)", foot: "tree", footPrio: 65},
	keyStored, keyOpenSpan, keyWholeTrace)

func (tasksKind) figures(a *App, b *strings.Builder) {
	st, h := a.st, a.hdr
	dot := func() { b.WriteString(st.muted.r(" " + st.sym.bullet + " ")) }
	dot()
	b.WriteString(strconv.Itoa(h.Running) + " running")
	if h.Lost > 0 {
		dot()
		b.WriteString(st.accent.r(strconv.Itoa(h.Lost) + " lost"))
	}
	if h.Errors > 0 {
		dot()
		b.WriteString(st.bad.r(plural(h.Errors, "error")))
	}
}

// kept is how many spans have left the live table after --linger and
// are still stored (the title says "+N kept"; a lists them).
func (tasksKind) kept(a *App) int { return a.hdr.Shelved }

// toggleStored switches a live table between the rows in it (finished
// ones for --linger) and every row stored (until --retain).
func toggleStored(a *App, t *taskTable) {
	t.stored = !t.stored
	t.refetch(a)
	if t.stored {
		a.statusf(false, "all stored "+t.kind.noun()+", those older than --linger too; a again: the live table")
	} else {
		a.statusf(false, "the live table: finished "+t.kind.noun()+" stay for --linger")
	}
}

// empty says why there are no spans: none arrived yet (and where to send
// them), all that arrived left the live table (and are still stored), or
// all have expired.
func (tasksKind) empty(a *App) string {
	h := a.hdr
	switch {
	case h.Shelved > 0:
		return "no span finished within --linger; older ones are still stored: a lists them, a trace ID in / finds its spans"
	case h.Spans == 0 && h.Received > 0:
		why := "retention, --retain"
		if h.Evicted > 0 {
			why = "retention, --retain, or the memory budget, --max-memory"
		}
		return "no spans stored: " + plural(int(min(h.Received, 1<<31)), "span") + " arrived and expired (" + why + ")"
	case h.Received == 0 && (a.opts.Listen != "" || h.BadRequests > 0):
		return a.waitingText()
	}
	return "no spans yet"
}

func (tasksKind) act(a *App, t *taskTable, act action) (tea.Cmd, bool) {
	switch act {
	case actTree:
		t.tree = !t.tree
		t.refetch(a)
	case actStored:
		toggleStored(a, t)
	case actEnter:
		if t.selID == 0 {
			a.statusf(false, "no span selected")
			break
		}
		a.open(taskTarget(t))
	case actTrace:
		if t.selID == 0 {
			a.statusf(false, "no span selected")
			break
		}
		a.push(newTraceView(model.TraceID{}, t.selID))
	default:
		return nil, false
	}
	return nil, true
}

// taskTarget is what enter on the selected span opens: its details.
func taskTarget(t *taskTable) target { return target{linkSpan, t.selID} }

// treeName is the Name cell: in tree mode the tree lines, then the name.
func treeName(st *styles, r *model.TaskRow, w int) string {
	name := sanitize(r.Name)
	switch {
	case r.Depth > 0:
		return st.treePrefix(r.Depth, r.Guides, r.Last, w/2) + name
	case r.Orphan:
		return st.sym.orphan + name
	}
	return name
}

func durOf(ns int64) time.Duration { return time.Duration(ns) }

// taskKey is a span row's cache key: its Version, its Total (which moves
// with the clock while it runs), its tree lines and whether it is dimmed.
func taskKey(r *model.TaskRow) rowKey {
	k := rowKey{version: r.Version, clock: [3]uint64{uint64(r.Total)}, tree: r.Guides, flags: uint32(r.Depth) << 3}
	if r.Last {
		k.flags |= 1
	}
	if r.Orphan {
		k.flags |= 2
	}
	if r.Finished {
		k.flags |= 4
	}
	return k
}
