package ui

import (
	"math"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// The views beyond the two tables (span details, a trace, an operation's
// details) open on top of each other; esc goes back one at a time, t and
// o go back to a table at once.

// stackEntry is one entry of the way back: a view and its state.
type stackEntry struct {
	view viewID
	det  detailsView
	wf   *traceView
	opd  *opDetailsView
	gor  goroutineView
	rsd  resourceView
}

// base is the table the user started from.
func (a *App) base() viewID {
	if len(a.stack) > 0 {
		return a.stack[0].view
	}
	if a.view == viewOps || a.view == viewResources {
		return a.view
	}
	return viewTasks
}

// push opens view v on top of the current one.
func (a *App) push(v viewID) {
	a.stack = append(a.stack, stackEntry{view: a.view, det: a.det, wf: a.wf, opd: a.opd, gor: a.gor, rsd: a.rsd})
	a.view = v
	a.det.lines = nil // the saved copy keeps its lines; build the new ones apart
}

// pop goes back to the previous view; false when there is none.
func (a *App) pop() bool {
	n := len(a.stack)
	if n == 0 {
		return false
	}
	sc := a.stack[n-1]
	a.stack = a.stack[:n-1]
	a.view, a.det, a.wf, a.opd, a.gor, a.rsd = sc.view, sc.det, sc.wf, sc.opd, sc.gor, sc.rsd
	a.layoutOther()
	a.refresh(nav{row: a.cur().state().selRow})
	return true
}

// openSpan shows the details of span id, its trace on top.
func (a *App) openSpan(id uint64) {
	a.push(viewDetails)
	a.det.open(id, a.base())
	a.det.width = a.width
	a.refresh(nav{})
}

// openTrace shows the whole trace of a span.
func (a *App) openTrace(traceID model.TraceID, span uint64) {
	a.push(viewTrace)
	a.wf = newTraceView(traceID, span)
	a.wf.selRow = a.rows() / 3 // the span a third down, its ancestors above it
	a.refresh(nav{})
}

// detailTraceRows is how many waterfall rows span details show.
func (a *App) detailTraceRows() int { return min(max(a.detailRows()/3, 3), 15) }

// doOther carries out the actions of the newer views.
func (a *App) doOther(act action) {
	switch act {
	case actTree:
		if a.view != viewTasks {
			return
		}
		a.tasks.tree = !a.tasks.tree
		a.tasks.fetch(a.src, a.rows(), nav{row: a.tasks.selRow}, a.st)
	case actTrace:
		switch a.view {
		case viewTasks:
			if a.tasks.selID == 0 {
				a.statusf(false, "no span selected")
				return
			}
			a.openTrace(model.TraceID{}, a.tasks.selID)
		case viewDetails:
			if !a.det.found {
				a.statusf(false, "the span is not stored")
				return
			}
			a.openTrace(a.det.d.TraceID, a.det.id)
		}
	case actSpans:
		switch a.view {
		case viewOps:
			if a.ops.selRow < len(a.ops.rows) {
				r := &a.ops.rows[a.ops.selRow]
				a.showOpSpans(r.Service, r.Name, r.Kind)
			}
		case viewOpDetails:
			if a.opd.found {
				r := &a.opd.d.Row
				a.showOpSpans(r.Service, r.Name, r.Kind)
			}
		}
	case actCollapse, actExpand, actFold:
		if a.view != viewTrace {
			return
		}
		t := a.wf
		r, ok := t.selected()
		if !ok {
			return
		}
		n := nav{row: t.selRow}
		switch {
		case act == actFold && r.Children > 0:
			t.fold(r.ID, nil)
		case act == actCollapse && r.Children > 0 && !r.Collapsed:
			folded := true
			t.fold(r.ID, &folded)
		case act == actCollapse:
			if r.Parent == 0 {
				return
			}
			t.selID = r.Parent // to the parent
		case act == actExpand && r.Collapsed:
			unfolded := false
			t.fold(r.ID, &unfolded)
		case act == actExpand && r.Children > 0:
			n.move, n.row = 1, t.selRow+1 // to the first child
		default:
			return
		}
		t.fetch(a.src, a.rows(), n, a.st, a.width)
	}
}

// navOther handles top and bottom in the newer views.
func (a *App) navOther(act action) bool {
	switch a.view {
	case viewTrace:
		n := nav{top: act == actTop, bottom: act == actBottom}
		if !(a.paused && a.wf.local(n)) {
			a.wf.fetch(a.src, a.rows(), n, a.st, a.width)
		}
		return true
	case viewOpDetails:
		if act == actTop {
			a.opd.move(math.MinInt32/2, a.st, a.now())
			a.opd.scroll = 0
		} else {
			a.opd.move(math.MaxInt32/2, a.st, a.now())
			a.opd.scrollBy(len(a.opd.lines))
		}
		return true
	}
	return false
}

// moveOther moves the selection by n rows in the newer views.
func (a *App) moveOther(n int) bool {
	switch a.view {
	case viewTrace:
		t := a.wf
		nv := nav{move: n, row: t.selRow + n}
		if !(a.paused && t.local(nv)) {
			t.fetch(a.src, a.rows(), nv, a.st, a.width)
		}
		return true
	case viewOpDetails:
		a.opd.move(n, a.st, a.now())
		return true
	}
	return false
}

// enterOther opens the selected span of the trace or operation view.
func (a *App) enterOther() {
	switch a.view {
	case viewTrace:
		r, ok := a.wf.selected()
		switch {
		case !ok:
			a.statusf(false, "no span selected")
		case r.Missing:
			a.statusf(false, "the parent span "+r.SpanID.String()+" never arrived: there are no details")
		default:
			a.openSpan(r.ID)
		}
	case viewOpDetails:
		s, ok := a.opd.selected()
		switch {
		case !ok:
			a.statusf(false, "no span to open")
		case !s.Stored:
			a.statusf(false, "that span is no longer stored (retention or the memory budget removed it)")
		default:
			a.openSpan(s.ID)
		}
	}
}

// clickOther handles a left click below the title in the newer views.
func (a *App) clickOther(m tea.Mouse) bool {
	switch a.view {
	case viewDetails:
		// A row of the trace at the top opens that span.
		if r, ok := a.det.traceRowAt(a.det.scroll + m.Y - colHeaderY); ok && !r.Missing && r.ID != a.det.id {
			a.openSpan(r.ID)
		}
		return true
	case viewTrace:
		t := a.wf
		i := m.Y - firstRowY
		if i < 0 || i >= len(t.v.Rows) || i >= a.rows() {
			return true
		}
		r := &t.v.Rows[i]
		// The fold mark sits after the tree lines.
		foldX := t.layout.foldX + width(a.st.treePrefix(r.Depth, r.Guides, r.Last, t.layout.nameW/2))
		switch {
		case r.Children > 0 && m.X == foldX:
			t.selRow, t.selID = i, r.ID
			t.fold(r.ID, nil)
			t.fetch(a.src, a.rows(), nav{row: i}, a.st, a.width)
		case i == t.selRow:
			a.enter()
		default:
			t.selRow, t.selID = i, r.ID
			t.prepare(a.st, a.width)
		}
		return true
	case viewOpDetails:
		v := a.opd
		if k, ok := v.spanAt(v.scroll + m.Y - firstRowY + 1); ok {
			if k == v.sel {
				a.enter()
			} else {
				v.move(k-v.sel, a.st, a.now())
			}
		}
		return true
	}
	return false
}

// refreshOther queries the source for the newer views.
func (a *App) refreshOther(n nav) bool {
	switch a.view {
	case viewTrace:
		a.wf.fetch(a.src, a.rows(), nav{row: a.wf.selRow, move: n.move, top: n.top, bottom: n.bottom}, a.st, a.width)
		return true
	case viewOpDetails:
		a.opd.width, a.opd.height = a.width, a.detailRows()
		a.opd.refresh(a.src, a.st, a.now())
		return true
	}
	return false
}

// layoutOther re-renders the newer views for a new size or new styles.
func (a *App) layoutOther() {
	if a.wf != nil {
		a.wf.prepare(a.st, a.width)
	}
	if a.opd != nil {
		a.opd.width, a.opd.height = a.width, a.detailRows()
		if a.opd.found {
			a.opd.build(a.st, a.now())
		}
	}
}

// viewOther draws the body of the newer views: body lines through line.
func (a *App) viewOther(body int, line func(string)) bool {
	switch a.view {
	case viewTrace:
		t := a.wf
		line(t.header)
		for i := range body - 1 {
			switch {
			case i == 0 && len(t.lines) == 0:
				line(a.st.padLine(a.st.muted.r("  no span of this trace is stored"), a.width))
			case i >= len(t.lines):
				line("")
			case i == t.selRow:
				line(a.st.reverse.r(ansi.Strip(t.lines[i])))
			default:
				line(t.lines[i])
			}
		}
		return true
	case viewOpDetails:
		v := a.opd
		for i := range body {
			if j := v.scroll + i; j < len(v.lines) {
				line(v.lines[j])
			} else {
				line("")
			}
		}
		return true
	}
	return false
}

// restyle renders everything again with styles for the background.
func (a *App) restyle() {
	svc := a.st.svcColours
	a.st = newStylesFor(a.opts, a.dark)
	a.st.svcColours = svc // a service keeps its colour
	for _, t := range []interface{ restyle(*styles) }{a.tasks, a.ops, a.res} {
		t.restyle(a.st)
	}
	a.footerFor = footerKey{}
	if a.view == viewDetails {
		a.det.build(a.st)
	}
	a.layoutOther()
	a.layout()
}

// restyle renders a table's header and rows again with new styles.
func (t *table[T]) restyle(st *styles) {
	t.gen++
	t.buildHeader(st)
	t.prepare(st)
}
