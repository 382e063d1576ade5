package ui

import (
	"hash/maphash"
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
			if !hasRuntime(r) {
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
		{key: model.TaskLocation, title: "Location", min: 9, ideal: 20, prio: 50,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
				return sanitize(r.Location), st.muted
			}},
		{key: model.TaskFields, title: "Fields", min: 7, ideal: 24, prio: 60, flex: 3,
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

func newTaskTable() *taskTable {
	return newTable(taskColumns(), model.TaskTotal, true,
		func(r *model.TaskRow) uint64 { return r.ID },
		hashTask,
		func(r *model.TaskRow) bool { return r.Finished },
		func(src Source, q model.Query) model.Page[model.TaskRow] { return src.Tasks(q) })
}

func hashTask(h *maphash.Hash, r *model.TaskRow) {
	hashU64(h, r.ID)
	hashU64(h, uint64(r.Warnings))
	hashU64(h, uint64(r.State)|uint64(r.Kind)<<8)
	hashU64(h, uint64(r.Total))
	hashU64(h, uint64(r.Busy))
	hashU64(h, uint64(r.Sched))
	hashU64(h, uint64(r.Idle))
	hashU64(h, r.Polls)
	hashStr(h, r.Name)
	hashStr(h, r.Service)
	hashStr(h, r.Target)
	hashStr(h, r.Location)
	hashAttrs(h, r.Fields)
	if r.Finished {
		_ = h.WriteByte(1)
	}
	hashU64(h, uint64(r.Depth))
	hashU64(h, r.Guides)
	if r.Last {
		_ = h.WriteByte(2)
	}
	if r.Orphan {
		_ = h.WriteByte(3)
	}
}

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
