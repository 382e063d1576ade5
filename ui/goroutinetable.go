package ui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// The goroutines table: the goroutines of Go apps running agentlib, with
// the columns only goroutines have. Spans have their own table (tasks.go).

// goroutineColumns is the goroutines table: header, width, format and
// sort key of every column, in display order. Columns the model cannot
// sort by are noSort.
func goroutineColumns() []column[model.TaskRow] {
	spanCols := taskColumns()
	col := func(key model.Column) column[model.TaskRow] {
		for _, c := range spanCols {
			if c.key == key {
				c.present, c.group = nil, 0
				return c
			}
		}
		panic("no task column " + strconv.Itoa(int(key)))
	}
	text := func(title string, min, ideal, prio, flex int, get func(*model.TaskRow) string) column[model.TaskRow] {
		return column[model.TaskRow]{key: noSort, title: title, min: min, ideal: ideal, prio: prio, flex: flex,
			cell: func(st *styles, r *model.TaskRow, _ int) (string, style) { return sanitize(get(r)), st.muted }}
	}
	goid := column[model.TaskRow]{key: noSort, title: "Goid", min: 6, ideal: 7, prio: 97, right: true,
		cell: func(st *styles, r *model.TaskRow, _ int) (string, style) {
			if r.GoID == 0 {
				return "", style{}
			}
			return strconv.FormatInt(r.GoID, 10), style{}
		}}
	name := col(model.TaskName)
	name.flex = 2
	return []column[model.TaskRow]{
		col(model.TaskWarn), goid, col(model.TaskState), name,
		text("Wait", 8, 14, 88, 0, func(r *model.TaskRow) string { return r.WaitReason }),
		text("Resource", 9, 20, 84, 1, func(r *model.TaskRow) string { return r.Resource }),
		col(model.TaskTotal), col(model.TaskBusy), col(model.TaskSched), col(model.TaskIdle), col(model.TaskPolls),
		text("Created by", 10, 18, 60, 1, func(r *model.TaskRow) string { return r.CreatedBy }),
		col(model.TaskService), col(model.TaskLocation),
	}
}

// goroutinesKind makes the goroutines table.
type goroutinesKind struct{}

func newGoroutineTable() *taskTable { return newTable[model.TaskRow](goroutinesKind{}) }

func (goroutinesKind) columns() []column[model.TaskRow]  { return goroutineColumns() }
func (goroutinesKind) defaultSort() (model.Column, bool) { return model.TaskTotal, true }
func (goroutinesKind) rowID(r *model.TaskRow) uint64     { return r.ID }
func (goroutinesKind) dimmed(r *model.TaskRow) bool      { return r.Finished }
func (goroutinesKind) noun() string                      { return "goroutines" }
func (goroutinesKind) keys() *keySet                     { return goroutinesKeys }
func (goroutinesKind) cacheKey(r *model.TaskRow) rowKey  { return taskKey(r) }
func (goroutinesKind) fetch(src Source, q model.Query) model.Page[model.TaskRow] {
	q.Goroutines, q.Tree = true, false
	return src.Tasks(q)
}

var goroutinesKeys = tableKeySet("goroutines", keyStored, binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
	desc: "the selected goroutine's details", foot: "details", footPrio: 70})

func (goroutinesKind) figures(a *App, b *strings.Builder) {
	st, h := a.st, a.hdr
	b.WriteString(st.muted.r(" " + st.sym.bullet + " "))
	b.WriteString(strconv.Itoa(h.Goroutines) + " live")
	if h.GoroutinesLost > 0 {
		// Lost: their process went silent (a clean exit ends them instead).
		b.WriteString(st.muted.r(" " + st.sym.bullet + " "))
		b.WriteString(st.accent.r(strconv.Itoa(h.GoroutinesLost) + " lost"))
	}
}

// kept is how many goroutine rows have left the live table after
// --linger and are still stored.
func (goroutinesKind) kept(a *App) int { return a.hdr.ShelvedGoroutines }

func (goroutinesKind) empty(a *App) string {
	return "no goroutines: a Go app shows its goroutines when it runs agentlib (see the README)"
}

func (goroutinesKind) act(a *App, t *taskTable, act action) (tea.Cmd, bool) {
	if act == actStored {
		toggleStored(a, t)
		return nil, true
	}
	if act != actEnter {
		return nil, false
	}
	if t.selID == 0 {
		a.statusf(false, "no goroutine selected")
	} else {
		a.open(target{linkGoroutine, t.selID})
	}
	return nil, true
}
