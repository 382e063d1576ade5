package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"strconv"
	"time"

	"github.com/spantop/spantop/model"
)

// resColumns is the resources table: header, width, format and sort key of
// every column, in display order (DESIGN.md §4).
func resColumns() []column[model.ResourceRow] {
	dur := func(get func(*model.ResourceRow) time.Duration) func(*styles, *model.ResourceRow, int) (string, style) {
		return func(st *styles, r *model.ResourceRow, _ int) (string, style) {
			d := get(r)
			if d == 0 {
				return "0", st.muted
			}
			return st.fmtDur(d), st.durStyle(d)
		}
	}
	return []column[model.ResourceRow]{
		{key: model.ResID, title: "ID", min: 4, ideal: 6, prio: 100, right: true,
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				return strconv.FormatUint(r.ID, 10), style{}
			}},
		{key: model.ResParent, title: "Parent", min: 6, ideal: 6, prio: 40, right: true,
			present: func(r *model.ResourceRow) bool { return r.Parent != 0 },
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				if r.Parent == 0 {
					return "", style{}
				}
				return strconv.FormatUint(r.Parent, 10), st.muted
			}},
		{key: model.ResKind, title: "Kind", min: 9, ideal: 9, prio: 96,
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				if r.Kind == "service" {
					return sanitize(r.Kind), st.title
				}
				return sanitize(r.Kind), style{}
			}},
		{key: model.ResTotal, title: "Total", min: 8, ideal: 8, prio: 55, right: true, desc: true,
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				return st.fmtDur(r.Total), st.durStyle(r.Total)
			}},
		{key: model.ResTarget, title: "Target", min: 8, ideal: 10, prio: 94,
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				return sanitize(r.Target), style{}
			}},
		{key: model.ResType, title: "Type", min: 10, ideal: 18, prio: 70,
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				return sanitize(r.Type), st.muted
			}},
		{key: model.ResLocation, title: "Location", min: 12, ideal: 22, prio: 90, flex: 3,
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				return sanitize(r.Location), st.muted
			}},
		{key: model.ResWaiters, title: "Waiters", min: 7, ideal: 7, prio: 93, right: true, desc: true,
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				if r.Waiters == 0 {
					return "0", st.muted
				}
				return strconv.Itoa(r.Waiters), st.warn
			}},
		{key: model.ResWaitTotal, title: "Wait total", min: 11, ideal: 11, prio: 92, right: true, desc: true,
			cell: dur(func(r *model.ResourceRow) time.Duration { return r.WaitTotal })},
		{key: model.ResWaitMax, title: "Wait max", min: 8, ideal: 9, prio: 80, right: true, desc: true,
			cell: dur(func(r *model.ResourceRow) time.Duration { return r.WaitMax })},
		{key: model.ResAttrs, title: "Attributes", min: 10, ideal: 24, prio: 50, flex: 2,
			present: func(r *model.ResourceRow) bool { return len(r.Attrs) > 0 },
			cell: func(st *styles, r *model.ResourceRow, _ int) (string, style) {
				return fieldsText(r.Attrs), style{}
			}},
	}
}

// resTable is the resources view: services and the resources their
// goroutines wait on.
type resTable = table[model.ResourceRow]

// resourcesKind makes the resources view.
type resourcesKind struct{}

func newResTable() *resTable { return newTable[model.ResourceRow](resourcesKind{}) }

func (resourcesKind) columns() []column[model.ResourceRow] { return resColumns() }
func (resourcesKind) defaultSort() (model.Column, bool)    { return model.ResWaitTotal, true }
func (resourcesKind) rowID(r *model.ResourceRow) uint64    { return r.ID }
func (resourcesKind) dimmed(r *model.ResourceRow) bool     { return r.Finished }
func (resourcesKind) noun() string                         { return "resources" }
func (resourcesKind) keys() *keySet                        { return resourcesKeys }
func (resourcesKind) cacheKey(r *model.ResourceRow) rowKey { return resKey(r) }
func (resourcesKind) fetch(src Source, q model.Query) model.Page[model.ResourceRow] {
	return src.Resources(q)
}

var resourcesKeys = tableKeySet("resources", with(keyOpenLink, "details"))

func (resourcesKind) figures(a *App, b *strings.Builder) {
	b.WriteString(a.st.muted.r(" " + a.st.sym.bullet + " "))
	b.WriteString(plural(a.hdr.Services, "service"))
}

func (resourcesKind) empty(*App) string {
	return "no resources yet: services and the resources goroutines wait on come from Go apps running agentlib"
}

func (resourcesKind) act(a *App, t *resTable, act action) (tea.Cmd, bool) {
	if act != actEnter {
		return nil, false
	}
	if t.selID == 0 {
		a.statusf(false, "no resource selected")
	} else {
		a.open(target{linkResource, t.selID})
	}
	return nil, true
}

// resKey is a resource row's cache key: its Version, and its Total and
// wait figures, which move with the clock while waits are in progress.
func resKey(r *model.ResourceRow) rowKey {
	k := rowKey{version: r.Version, clock: [3]uint64{uint64(r.Total), uint64(r.WaitTotal), uint64(r.WaitMax)}}
	if r.Finished {
		k.flags = 1
	}
	return k
}
