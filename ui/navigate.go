package ui

import (
	"os"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// This file holds how the App moves between the details views: a
// goroutine's and a resource's details link to each other and to spans,
// and esc goes back along the way taken.

// pageUI is what the App needs of a details view.
type pageUI interface {
	content() (lines []string, scroll int)
	scrollBy(n, height int)
}

func (v *detailsView) content() ([]string, int) { return v.lines, v.scroll }

// maxHistory bounds the way back through followed links.
const maxHistory = 32

// curPage returns the details view on screen, or nil for a table.
func (a *App) curPage() pageUI {
	switch a.view {
	case viewDetails:
		return &a.det
	case viewGoroutine:
		return &a.gor
	case viewResource:
		return &a.rsd
	}
	return nil
}

// linkPage returns the details view on screen if it has links.
func (a *App) linkPage() *page {
	switch a.view {
	case viewGoroutine:
		return &a.gor.page
	case viewResource:
		return &a.rsd.page
	}
	return nil
}

// tableFor is the table a view key shows.
func tableFor(act action) viewID {
	switch act {
	case actOps:
		return viewOps
	case actResources:
		return viewResources
	}
	return viewTasks
}

// switchTo shows table v, leaving any details and forgetting the way back.
func (a *App) switchTo(v viewID) {
	a.stack = a.stack[:0]
	if a.view != v {
		a.view = v
		a.refresh(nav{row: a.cur().state().selRow})
	}
}

// taskTarget is what enter on task id opens: a goroutine's details or a
// span's.
func (a *App) taskTarget(id uint64) target {
	if i := a.tasks.selRow; i >= 0 && i < len(a.tasks.rows) && a.tasks.rows[i].ID == id &&
		a.tasks.rows[i].Kind == model.KindGoroutine {
		return target{viewGoroutine, id}
	}
	return target{viewDetails, id}
}

// showing reports whether the details t are on screen.
func (a *App) showing(t target) bool {
	switch t.view {
	case viewDetails:
		return a.view == viewDetails && a.det.id == t.id
	case viewGoroutine:
		return a.view == viewGoroutine && a.gor.id == t.id
	case viewResource:
		return a.view == viewResource && a.rsd.id == t.id
	}
	return false
}

// open shows the details t on top of what is on screen; esc comes back.
func (a *App) open(t target) {
	if a.showing(t) {
		return
	}
	if len(a.stack) > maxHistory {
		a.stack = slices.Delete(a.stack, 1, 2) // keep the table at the bottom
	}
	switch t.view {
	case viewDetails:
		a.openSpan(t.id)
	case viewGoroutine:
		a.push(viewGoroutine)
		a.gor.open(t.id)
		a.gor.width = a.width
		a.gor.refresh(a.src, a.st)
	case viewResource:
		a.push(viewResource)
		a.rsd.open(t.id)
		a.rsd.width = a.width
		a.rsd.refresh(a.src, a.st)
	}
	a.prepareChrome()
}

// enterRuntime handles enter in the resources table and in the details
// views with links.
func (a *App) enterRuntime() {
	switch a.view {
	case viewResources:
		id := a.res.selID
		if id == 0 {
			a.statusf(false, "no resource selected")
			return
		}
		a.open(target{viewResource, id})
	case viewGoroutine, viewResource:
		t, ok := a.linkPage().selected()
		if !ok {
			a.statusf(false, "nothing here leads anywhere")
			return
		}
		a.open(t)
	}
}

// doRuntime carries out the actions of the goroutine details.
func (a *App) doRuntime(act action) tea.Cmd {
	if a.view != viewGoroutine || !a.gor.found {
		return nil
	}
	d := &a.gor.d
	switch act {
	case actParent:
		if d.Parent.ID == 0 {
			a.statusf(false, "its parent is not known or no longer stored")
			return nil
		}
		a.open(target{viewGoroutine, d.Parent.ID})
	case actWaker:
		if d.Waker.ID == 0 {
			a.statusf(false, "the goroutine that woke it is not known or no longer stored")
			return nil
		}
		a.open(target{viewGoroutine, d.Waker.ID})
	case actBlockedOn:
		if d.Resource == 0 {
			a.statusf(false, "it waits on no known resource")
			return nil
		}
		a.open(target{viewResource, d.Resource})
	case actSaveTrace:
		return a.saveTrace()
	}
	return nil
}

// movePage steps through the links of a details view (one line at a time)
// or scrolls it; it reports false on a table.
func (a *App) movePage(n int) bool {
	p := a.curPage()
	if p == nil {
		return false
	}
	if lp := a.linkPage(); lp != nil && (n == 1 || n == -1) {
		lp.step(a.st, n, a.detailRows())
		return true
	}
	p.scrollBy(n, a.detailRows())
	return true
}

// clickPage handles a click on line y of a details view's body: a link is
// selected, and opened when it already was.
func (a *App) clickPage(y int) {
	p := a.linkPage()
	if p == nil || y < 0 {
		return
	}
	i := p.linkAt(p.scroll + y)
	switch {
	case i < 0:
	case i == p.sel:
		a.open(p.links[i].to)
	default:
		p.highlight(a.st, i)
	}
}

// refreshPage fetches the details view on screen again.
func (a *App) refreshPage() {
	switch a.view {
	case viewGoroutine:
		a.gor.refresh(a.src, a.st)
		a.gor.scrollBy(0, a.detailRows())
	case viewResource:
		a.rsd.refresh(a.src, a.st)
		a.rsd.scrollBy(0, a.detailRows())
	}
}

// layoutPages rebuilds the details view on screen for a new width.
func (a *App) layoutPages() {
	if a.gor.width != a.width {
		a.gor.width = a.width
		if a.view == viewGoroutine {
			a.gor.build(a.st)
			a.gor.scrollBy(0, a.detailRows())
		}
	}
	if a.rsd.width != a.width {
		a.rsd.width = a.width
		if a.view == viewResource {
			a.rsd.build(a.st)
			a.rsd.scrollBy(0, a.detailRows())
		}
	}
}

// pageTitle writes the title line of a goroutine's or a resource's details.
func (a *App) pageTitle(b *strings.Builder) {
	st := a.st
	var name string
	var p *page
	if a.view == viewGoroutine {
		name, p = a.gor.title(a.st), &a.gor.page
	} else {
		name, p = a.rsd.title(), &a.rsd.page
	}
	b.WriteString(st.bold.r(name))
	if n, h := len(p.lines), a.detailRows(); n > h {
		b.WriteString(st.muted.r("  lines " + strconv.Itoa(p.scroll+1) + "-" +
			strconv.Itoa(min(p.scroll+h, n)) + " of " + strconv.Itoa(n)))
	}
	if n := len(a.stack) - 1; n > 0 {
		b.WriteString(st.muted.r("  " + st.sym.bullet + " " + strconv.Itoa(n) + " back"))
	}
}

// pageGone says that the goroutine or resource on screen is gone.
func (a *App) pageGone() string {
	switch {
	case a.view == viewGoroutine && a.gor.gone:
		return "goroutine " + strconv.FormatUint(a.gor.id, 10) + " is no longer stored; showing the last copy"
	case a.view == viewResource && a.rsd.gone:
		return "resource " + strconv.FormatUint(a.rsd.id, 10) + " is no longer stored; showing the last copy"
	}
	return ""
}

// noun is what the rows of the current table are.
func (a *App) noun() string {
	switch a.base() {
	case viewOps:
		return "operations"
	case viewResources:
		return "resources"
	}
	return "spans"
}

// traceSavedMsg reports how saving an execution trace went.
type traceSavedMsg struct {
	path string
	size int64 // -1 when unknown
	err  error
}

// saveTrace asks the source to write the recent execution trace of the
// goroutine's process; the writing happens in the returned command.
func (a *App) saveTrace() tea.Cmd {
	if !a.gor.d.CanSaveTrace {
		a.statusf(true, "no execution trace of its process is held (agentlib sends one while spantop is reachable)")
		return nil
	}
	a.statusf(false, "saving the execution trace"+a.st.sym.ellipsis)
	src, id := a.src, a.gor.id
	return func() tea.Msg {
		path, err := src.SaveTrace(id)
		m := traceSavedMsg{path: path, size: -1, err: err}
		if err == nil {
			if fi, serr := os.Stat(path); serr == nil {
				m.size = fi.Size()
			}
		}
		return m
	}
}

// traceSaved shows where the trace went, or why it could not be saved.
func (a *App) traceSaved(m traceSavedMsg) {
	if m.err != nil {
		a.statusf(true, "saving the execution trace failed: "+sanitize(m.err.Error()))
		a.prepareChrome()
		return
	}
	p := sanitize(m.path)
	if strings.ContainsAny(p, " \t'\"") {
		p = strconv.Quote(p)
	}
	saved, short := "saved the execution trace", "saved"
	if m.size >= 0 {
		saved = "saved " + fmtBytes(m.size)
		short = saved
	}
	// The command to open it is what matters: on a narrow terminal the
	// words around it go first.
	forms := []string{
		saved + " to " + p + "; open with: go tool trace " + p,
		saved + "; open with: go tool trace " + p,
		short + ": go tool trace " + p,
	}
	msg := forms[len(forms)-1]
	for _, f := range forms {
		if width(f) <= a.width {
			msg = f
			break
		}
	}
	a.statusf(false, msg)
	a.prepareChrome()
}
