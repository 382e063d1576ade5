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

// waterfallKind makes the trace view's table: the rows of one trace's
// waterfall, fetched, placed and cached as every table's rows are, and
// drawn whole (tree lines, folds and time bars over the full width).
type waterfallKind struct {
	traceID model.TraceID
	span    uint64 // the span it was opened on, selected first
	// collapsed holds the IDs of the folded rows, in folding order.
	collapsed []uint64

	v           model.TraceView // the last answer (kept once the trace is gone)
	found, gone bool
	marks       map[model.SpanID]model.LogMark
	lay         wfLayout
}

// waterfallColumns: one column as wide as the table, which drawRow fills.
func (*waterfallKind) columns() []column[model.TraceRow] {
	return []column[model.TraceRow]{{key: noSort, min: 1, flex: 1, prio: 100,
		cell: func(*styles, *model.TraceRow, int) (string, style) { return "", style{} }}}
}
func (*waterfallKind) defaultSort() (model.Column, bool) { return noSort, false }
func (*waterfallKind) rowID(r *model.TraceRow) uint64    { return r.ID }
func (*waterfallKind) dimmed(*model.TraceRow) bool       { return false }
func (*waterfallKind) noun() string                      { return "spans" }
func (*waterfallKind) keys() *keySet                     { return traceKeys }
func (*waterfallKind) figures(*App, *strings.Builder)    {}
func (*waterfallKind) empty(*App) string                 { return "no span of this trace is stored" }

// fetch asks for the window of the trace; once the trace is gone the last
// copy stays on screen.
func (k *waterfallKind) fetch(src Source, q model.Query) model.Page[model.TraceRow] {
	tq := model.TraceQuery{TraceID: k.traceID, Collapsed: k.collapsed, Limit: q.Limit,
		Anchor: q.Anchor, Move: q.Move, Row: q.Row, Offset: q.Offset}
	if k.traceID.IsZero() {
		tq.Span = k.span
	}
	v := src.Trace(tq)
	switch {
	case v.Found:
		k.v, k.found, k.gone = v, true, false
		k.traceID = v.TraceID
		k.marks = traceLogMarks(src, v.TraceID)
	case k.found:
		k.gone = true // keep showing the last copy
	}
	k.lay.marks = k.marks
	return model.Page[model.TraceRow]{Rows: k.v.Rows, Total: k.v.Total, Offset: k.v.Offset, Selected: k.v.Selected}
}

// cacheKey is everything a row shows besides its span's Version: its
// place in the tree and on the time axis, the trace's extent (the bars'
// scale) and its span's log mark.
func (k *waterfallKind) cacheKey(r *model.TraceRow) rowKey {
	var bits uint32
	for i, b := range []bool{r.Last, r.Collapsed, r.Critical, r.Orphan, r.Missing, r.Loop, r.Children > 0} {
		if b {
			bits |= 1 << i
		}
	}
	mark := k.marks[r.SpanID]
	return rowKey{version: r.Version, clock: [3]uint64{uint64(r.Offset), uint64(r.Duration), uint64(k.v.Duration)},
		tree: r.Guides, flags: bits | uint32(min(r.Depth, 1<<24-1))<<8,
		extra: uint64(r.Hidden)<<32 | uint64(min(mark.Logs, 1<<30))<<1 | uint64(min(mark.Errors, 1))}
}

// drawRow and drawHeader make the waterfall a table whose rows are drawn
// whole (table.go's rowDrawer).
func (k *waterfallKind) drawRow(st *styles, r *model.TraceRow, w int) string {
	k.layFor(w)
	return st.padLine(st.waterfallRow(r, &k.v, k.lay), w)
}

func (k *waterfallKind) drawHeader(st *styles, w int) string {
	k.layFor(w)
	return st.padLine(st.waterfallHeader(&k.v, k.lay), w)
}

func (k *waterfallKind) layFor(w int) {
	if k.lay.width != w {
		k.lay = waterfallLayout(w)
		k.lay.marks = k.marks
	}
}

func (k *waterfallKind) act(a *App, t *table[model.TraceRow], act action) (tea.Cmd, bool) {
	switch act {
	case actCollapse, actExpand, actFold:
		k.foldAct(a, t, act)
	case actEnter:
		r, ok := selectedRow(t)
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

// selectedRow returns the selected row of a table, if any.
func selectedRow[T any](t *table[T]) (*T, bool) {
	if t.selRow < 0 || t.selRow >= len(t.rows) {
		return nil, false
	}
	return &t.rows[t.selRow], true
}

// fold folds (want true), unfolds (false) or toggles (nil) row id.
func (k *waterfallKind) fold(id uint64, want *bool) {
	at := -1
	for i, c := range k.collapsed {
		if c == id {
			at = i
		}
	}
	folded := at >= 0
	if want != nil && *want == folded {
		return
	}
	if folded {
		k.collapsed = append(k.collapsed[:at], k.collapsed[at+1:]...)
	} else {
		k.collapsed = append(k.collapsed, id)
	}
}

// foldAct folds, unfolds, or moves to the parent or first child.
func (k *waterfallKind) foldAct(a *App, t *table[model.TraceRow], act action) {
	r, ok := selectedRow(t)
	if !ok {
		return
	}
	n := nav{row: t.selRow}
	switch {
	case act == actFold && r.Children > 0:
		k.fold(r.ID, nil)
	case act == actCollapse && r.Children > 0 && !r.Collapsed:
		folded := true
		k.fold(r.ID, &folded)
	case act == actCollapse:
		if r.Parent == 0 {
			return
		}
		t.selID = r.Parent // to the parent
	case act == actExpand && r.Collapsed:
		unfolded := false
		k.fold(r.ID, &unfolded)
	case act == actExpand && r.Children > 0:
		n.move, n.row = 1, t.selRow+1 // to the first child
	default:
		return
	}
	t.fetch(a.src, a.rows(), n, a.st)
}

// describe describes the trace for the title line, the essentials first.
func (k *waterfallKind) describe(st *styles) string {
	v := &k.v
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

// legend names the trace's services in their colours.
func (k *waterfallKind) legend(st *styles) string {
	var b strings.Builder
	for i, svc := range k.v.Services {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(st.serviceStyle(svc).r(st.sym.barCrit))
		b.WriteByte(' ')
		b.WriteString(sanitize(svc))
	}
	return b.String()
}

// traceView is the trace view: a whole trace's waterfall, navigable. It
// is a table (its kind the waterfall) held by name, not embedded: it has
// no filter, so `/` filters the tab the user came from.
type traceView struct {
	tbl  *table[model.TraceRow]
	kind *waterfallKind
	// opened is set once the first refresh placed the selection.
	opened bool
	// traceID is the trace on show (the kind's, for tests and callers).
	traceID model.TraceID
}

func newTraceView(id model.TraceID, span uint64) *traceView {
	k := &waterfallKind{traceID: id, span: span}
	t := &traceView{tbl: newTable[model.TraceRow](k), kind: k, traceID: id}
	t.tbl.live = false // a trace does not follow its top
	t.tbl.selID = span
	return t
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
		t.tbl.selRow = a.rows() / 3 // the span a third down, its ancestors above it
	}
	t.fetch(a, nav{row: t.tbl.selRow, move: n.move, top: n.top, bottom: n.bottom})
}

// fetch queries the window after n; until the trace is found the
// selection waits on the span it was opened on.
func (t *traceView) fetch(a *App, n nav) {
	t.tbl.fetch(a.src, a.rows(), n, a.st)
	t.traceID = t.kind.traceID
	if !t.kind.found {
		t.tbl.selID = t.kind.span
	}
}

// layout lays the table out for the width and draws it again (the styles
// may have changed too).
func (t *traceView) layout(a *App) {
	t.tbl.setWidth(a.width, a.st)
	t.tbl.restyle(a.st)
}

func (t *traceView) title(a *App) string { return t.kind.describe(a.st) }

func (t *traceView) status(a *App) string {
	if t.kind.gone {
		return a.st.warn.r("the trace is no longer stored; showing the last copy")
	}
	return t.kind.legend(a.st)
}

func (t *traceView) body(a *App, h int, line func(string)) { t.tbl.body(a, h, line) }

func (t *traceView) act(a *App, act action) (tea.Cmd, bool) { return t.tbl.act(a, act) }

func (t *traceView) moveBy(a *App, n int) { t.tbl.moveBy(a, n) }

func (t *traceView) click(a *App, x, y int) {
	i := y - 1
	rows := t.tbl.rows
	if i < 0 || i >= len(rows) || i >= a.rows() {
		return
	}
	r := &rows[i]
	// The fold mark sits after the tree lines.
	foldX := t.kind.lay.foldX + width(a.st.treePrefix(r.Depth, r.Guides, r.Last, t.kind.lay.nameW/2))
	switch {
	case r.Children > 0 && x == foldX:
		t.tbl.pick(i, t.tbl.idAt)
		t.kind.fold(r.ID, nil)
		t.fetch(a, nav{row: i})
	case i == t.tbl.selRow:
		a.do(actEnter)
	default:
		t.tbl.selectRow(i)
	}
}
