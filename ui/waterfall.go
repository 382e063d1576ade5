package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// The waterfall draws a trace as a tree of spans with time bars scaled to
// the trace's extent. The trace view shows it whole and lets the user
// move, fold and open spans; span details show the part around the span.

// wfLayout is where a waterfall row's cells go.
type wfLayout struct {
	width               int
	stateW, nameW, svcW int
	durW, barW          int
	// foldX is the column of the fold glyph at depth 0; barX of the bars.
	foldX, barX int
	// marks are the log marks of the trace's spans (ui/spanlogs.go).
	marks map[model.SpanID]model.LogMark
}

func waterfallLayout(w int) wfLayout {
	l := wfLayout{width: w, stateW: 2, durW: 9}
	switch {
	case w >= 160:
		l.svcW = 16
	case w >= 100:
		l.svcW = 12
	case w >= 60:
		l.svcW = 10
	default:
		l.svcW = 0
	}
	rest := w - l.stateW - l.svcW - l.durW - 3 // three spaces between cells
	if l.svcW == 0 {
		rest++
	}
	l.barW = max(rest*2/5, 4)
	if w >= 120 {
		l.barW = rest / 2
	}
	l.nameW = max(rest-l.barW, 6)
	l.foldX = l.stateW
	l.barX = w - l.barW
	return l
}

// waterfallRow renders one row: state, tree and name, service, duration
// and the bar, exactly l.width cells.
func (s *styles) waterfallRow(r *model.TraceRow, v *model.TraceView, l wfLayout) string {
	var b strings.Builder
	b.Grow(l.width * 3)
	// State.
	switch {
	case r.Missing:
		b.WriteString(s.marker.r(s.fit(s.sym.warn, l.stateW, false)))
	case r.Loop:
		b.WriteString(s.marker.r(s.fit(s.sym.loop, l.stateW, false)))
	default:
		sym, sty := s.stateSymbol(r.State)
		b.WriteString(sty.r(s.fit(sym, l.stateW, false)))
	}
	// Tree, fold and name.
	prefix := s.treePrefix(r.Depth, r.Guides, r.Last, l.nameW/2)
	fold := " "
	if r.Children > 0 {
		fold = s.sym.unfolded
		if r.Collapsed {
			fold = s.sym.folded
		}
	}
	name, nameSty := sanitize(r.Name), style{}
	switch {
	case r.Missing:
		name, nameSty = "missing parent "+r.SpanID.String(), s.marker
	case r.State == model.StateError:
		nameSty = s.bad
	}
	if r.Critical && !r.Missing {
		nameSty = style{nameSty.on + s.bold.on, s.bold.off + nameSty.off}
	}
	tail := ""
	if r.Collapsed {
		tail = " +" + strconv.Itoa(r.Hidden)
	}
	tail += s.logMark(l.marks[r.SpanID])
	room := l.nameW - width(prefix) - width(fold) - 1
	text := s.truncate(name, max(room-width(tail), 1))
	b.WriteString(s.muted.r(prefix))
	b.WriteString(s.muted.r(fold))
	b.WriteByte(' ')
	b.WriteString(nameSty.r(text))
	b.WriteString(s.muted.r(tail))
	b.WriteString(strings.Repeat(" ", max(room-width(text)-width(tail), 0)))
	b.WriteByte(' ')
	// Service.
	if l.svcW > 0 {
		svc := sanitize(r.Service)
		b.WriteString(s.serviceStyle(r.Service).r(s.fit(svc, l.svcW, false)))
		b.WriteByte(' ')
	}
	// Duration.
	durSty := s.durStyle(r.Duration)
	if r.Critical && !r.Missing {
		durSty = s.critical
	}
	b.WriteString(durSty.r(s.fit(s.fmtDur(r.Duration), l.durW, true)))
	b.WriteByte(' ')
	// Bar.
	b.WriteString(s.timeBar(r, v.Duration, l.barW))
	return b.String()
}

// bar draws a span's time bar in w cells scaled to a trace of extent
// total: full cells, then eighths of a cell; a span still in flight ends
// in the growing glyph.
func (s *styles) timeBar(r *model.TraceRow, total time.Duration, w int) string {
	if w <= 0 {
		return ""
	}
	scale := float64(w) / math.Max(float64(total), 1)
	start := min(int(float64(r.Offset)*scale), w-1)
	end8 := int(math.Round(float64(r.Offset+r.Duration) * scale * 8))
	end8 = min(max(end8, start*8+1), w*8) // at least an eighth
	full, part := end8/8-start, end8%8
	glyph, sty := s.sym.barOther, s.serviceStyle(r.Service)
	switch {
	case r.Missing:
		glyph, sty = s.sym.barOther, s.marker
	case r.Critical:
		glyph = s.sym.barCrit
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", start))
	var bar strings.Builder
	n := full
	if r.State == model.StateRunning && n > 0 {
		n--
	}
	bar.WriteString(strings.Repeat(glyph, n))
	cells := start + n
	switch {
	case r.State == model.StateRunning:
		bar.WriteString(s.sym.growing)
		cells++
	case part > 0 && r.Critical && s.sym.eighths[part] != "":
		// Eighths are full height: only the solid critical bars take them.
		bar.WriteString(s.sym.eighths[part])
		cells++
	case part > 0 || full == 0:
		bar.WriteString(glyph) // a part of a cell drawn whole
		cells++
	}
	if r.Critical && !r.Missing {
		b.WriteString(s.bold.r(sty.r(bar.String())))
	} else {
		b.WriteString(sty.r(bar.String()))
	}
	if cells < w {
		b.WriteString(strings.Repeat(" ", w-cells))
	}
	return b.String()
}

// waterfallHeader is the column header: the columns' names and a time
// axis over the bars.
func (s *styles) waterfallHeader(v *model.TraceView, l wfLayout) string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", l.stateW))
	b.WriteString(s.fit("Span", l.nameW, false))
	b.WriteByte(' ')
	if l.svcW > 0 {
		b.WriteString(s.fit("Service", l.svcW, false))
		b.WriteByte(' ')
	}
	b.WriteString(s.fit("Duration", l.durW, true))
	b.WriteByte(' ')
	b.WriteString(s.axis(v.Duration, l.barW))
	return s.bold.r(b.String())
}

// axis labels the bars: 0 at the left, the extent at the right and,
// when there is room, the middle.
func (s *styles) axis(total time.Duration, w int) string {
	left, right := "0", s.fmtDur(total)
	if w < width(left)+width(right)+1 {
		return s.fit(right, w, true)
	}
	mid := ""
	if w >= 3*(width(right)+2) {
		mid = s.fmtDur(total / 2)
	}
	line := []byte(strings.Repeat(" ", w))
	copy(line, left)
	copy(line[w-len(right):], right)
	if mid != "" {
		at := w/2 - len(mid)/2
		copy(line[at:], mid)
	}
	return string(line)
}

// traceView is the trace view: a whole trace's waterfall, navigable.
type traceView struct {
	traceID model.TraceID
	span    uint64 // the span it was opened on, selected first
	// collapsed holds the IDs of the folded rows, in folding order.
	collapsed []uint64

	window
	v                model.TraceView
	found, gone      bool
	lay              wfLayout
	marks            map[model.SpanID]model.LogMark
	lines            []string
	header, services string
	// opened is set once the first refresh placed the selection.
	opened bool
}

func newTraceView(id model.TraceID, span uint64) *traceView {
	return &traceView{traceID: id, span: span, window: window{selID: span}}
}

// query builds the TraceQuery for a window of limit rows after n.
func (t *traceView) query(limit int, n nav) model.TraceQuery {
	q := model.TraceQuery{TraceID: t.traceID, Collapsed: t.collapsed, Limit: limit}
	if t.traceID.IsZero() {
		q.Span = t.span
	}
	q.Anchor, q.Move, q.Row, q.Offset = t.place(limit, n)
	return q
}

// fetch queries the trace for the window after n and prepares its rows.
func (t *traceView) fetch(src Source, limit int, n nav, st *styles, w int) {
	v := src.Trace(t.query(limit, n))
	switch {
	case v.Found:
		t.v, t.found, t.gone = v, true, false
		t.traceID = v.TraceID
		t.marks = traceLogMarks(src, v.TraceID)
	case t.found:
		t.gone = true // keep showing the last copy
	}
	if len(t.v.Rows) > 0 {
		t.settle(len(t.v.Rows), t.v.Total, t.v.Offset, t.v.Selected, t.idAt)
	}
	t.prepare(st, w)
}

// idAt is the ID of row i on screen.
func (t *traceView) idAt(i int) uint64 { return t.v.Rows[i].ID }

// prepare renders the rows, the header and the legend for width w.
func (t *traceView) prepare(st *styles, w int) {
	t.lay = waterfallLayout(w)
	t.lay.marks = t.marks
	t.lines = t.lines[:0]
	for i := range t.v.Rows {
		t.lines = append(t.lines, st.padLine(st.waterfallRow(&t.v.Rows[i], &t.v, t.lay), w))
	}
	t.header = st.padLine(st.waterfallHeader(&t.v, t.lay), w)
	var b strings.Builder
	for i, svc := range t.v.Services {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(st.serviceStyle(svc).r(st.sym.barCrit))
		b.WriteByte(' ')
		b.WriteString(sanitize(svc))
	}
	t.services = b.String()
}

// selected returns the selected row, if any.
func (t *traceView) selected() (*model.TraceRow, bool) {
	if t.selRow < 0 || t.selRow >= len(t.v.Rows) {
		return nil, false
	}
	return &t.v.Rows[t.selRow], true
}

// fold folds (want true), unfolds (false) or toggles (nil) row id.
func (t *traceView) fold(id uint64, want *bool) {
	at := -1
	for i, c := range t.collapsed {
		if c == id {
			at = i
		}
	}
	folded := at >= 0
	if want != nil && *want == folded {
		return
	}
	if folded {
		t.collapsed = append(t.collapsed[:at], t.collapsed[at+1:]...)
	} else {
		t.collapsed = append(t.collapsed, id)
	}
}

// describe describes the trace for the title line, the essentials first.
func (t *traceView) describe(st *styles) string {
	v := &t.v
	var b strings.Builder
	id := v.TraceID.String()
	b.WriteString(st.bold.r("trace " + id[:8] + st.sym.ellipsis))
	if v.Root != "" {
		b.WriteString(" " + st.bold.r(sanitize(v.Root)))
	}
	dot := func() { b.WriteString(st.muted.r(" " + st.sym.bullet + " ")) }
	dot()
	b.WriteString(st.durStyle(v.Duration).r(st.fmtDur(v.Duration)))
	dot()
	b.WriteString(plural(v.Spans, "span"))
	if v.Running > 0 {
		dot()
		b.WriteString(st.good.r(strconv.Itoa(v.Running) + " running"))
	}
	if v.Errors > 0 {
		dot()
		b.WriteString(st.bad.r(plural(v.Errors, "error")))
	}
	if v.Orphans > 0 {
		dot()
		b.WriteString(st.marker.r(plural(v.Orphans, "orphan")))
	}
	dot()
	b.WriteString(st.critical.r("critical path " + plural(v.Critical, "span")))
	dot()
	b.WriteString(plural(len(v.Services), "service"))
	if v.Total > 0 {
		dot()
		b.WriteString(st.muted.r("rows " + strconv.Itoa(v.Offset+1) + "-" + strconv.Itoa(v.Offset+len(v.Rows)) +
			" of " + strconv.Itoa(v.Total)))
	}
	return b.String()
}

// The trace view as a screen.

var traceKeys = &keySet{name: "trace",
	bindings: []binding{keyMoveSelect, keyPage, keyEnds,
		{keys: []string{"left", "h", "right", "l"}, acts: []action{actCollapse, actCollapse, actExpand, actExpand},
			label: "←→ h l", ascii: "left/right h l",
			desc: "fold the span's children (folded or a leaf: go to the parent) / unfold them (unfolded: go down)",
			foot: "fold", footPrio: 80},
		{keys: []string{"c"}, acts: []action{actFold}, label: "c", desc: "fold / unfold the selected span's children",
			footPrio: 30},
		keyOpenSpan, keyEscBack},
	mouse: "click: select (again: open), its fold mark: fold; wheel: scroll"}

func (t *traceView) keys() *keySet { return traceKeys }

func (t *traceView) refresh(a *App, n nav) {
	if !t.opened {
		t.opened = true
		t.selRow = a.rows() / 3 // the span a third down, its ancestors above it
	}
	t.fetch(a.src, a.rows(), nav{row: t.selRow, move: n.move, top: n.top, bottom: n.bottom}, a.st, a.width)
}

func (t *traceView) layout(a *App) { t.prepare(a.st, a.width) }

func (t *traceView) title(a *App) string { return t.describe(a.st) }

func (t *traceView) status(a *App) string {
	if t.gone {
		return a.st.warn.r("the trace is no longer stored; showing the last copy")
	}
	return t.services
}

func (t *traceView) body(a *App, h int, line func(string)) {
	listBody(a, h, t.header, t.lines, t.selRow, "  no span of this trace is stored", line)
}

// goTo moves after navigation n, as a table does (window.goTo).
func (t *traceView) goTo(a *App, n nav) {
	t.window.goTo(a, n, len(t.v.Rows), t.idAt, func(n nav) { t.fetch(a.src, a.rows(), n, a.st, a.width) })
}

func (t *traceView) moveBy(a *App, n int) { t.goTo(a, nav{move: n, row: t.selRow + n}) }

func (t *traceView) act(a *App, act action) (tea.Cmd, bool) {
	if t.moves(a, act, func(n nav) { t.goTo(a, n) }) {
		return nil, true
	}
	switch act {
	case actCollapse, actExpand, actFold:
		t.foldAct(a, act)
	case actEnter:
		r, ok := t.selected()
		switch {
		case !ok:
			a.statusf(false, "no span selected")
		case r.Missing:
			a.statusf(false, "the parent span "+r.SpanID.String()+" never arrived: there are no details")
		default:
			a.open(target{linkSpan, r.ID})
		}
	default:
		return nil, false
	}
	return nil, true
}

// foldAct folds, unfolds, or moves to the parent or first child.
func (t *traceView) foldAct(a *App, act action) {
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

func (t *traceView) click(a *App, x, y int) {
	i := y - 1
	if i < 0 || i >= len(t.v.Rows) || i >= a.rows() {
		return
	}
	r := &t.v.Rows[i]
	// The fold mark sits after the tree lines.
	foldX := t.lay.foldX + width(a.st.treePrefix(r.Depth, r.Guides, r.Last, t.lay.nameW/2))
	switch {
	case r.Children > 0 && x == foldX:
		t.selRow, t.selID = i, r.ID
		t.fold(r.ID, nil)
		t.fetch(a.src, a.rows(), nav{row: i}, a.st, a.width)
	case i == t.selRow:
		a.do(actEnter)
	default:
		t.selRow, t.selID = i, r.ID
		t.prepare(a.st, a.width)
	}
}
