package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// opDetailsView shows one operation: its figures, percentiles, a mini
// histogram of its latencies, its rate and p99 over the last minutes, and
// its slowest recent spans and those in flight, which open on enter.
type opDetailsView struct {
	id uint64
	latest[model.OpDetail]
	// spans are the selectable spans (slowest, then in flight); sel
	// indexes them, selID keeps the selection by ID across refreshes.
	spans []model.OpSpan
	sel   int
	selID uint64
	// spanLine is the line of each selectable span.
	spanLine []int
	lines    []string
	scroll   int
	width    int
	height   int // content lines on screen
}

func newOpDetailsView(id uint64) *opDetailsView { return &opDetailsView{id: id} }

// refreshFrom queries the operation and rebuilds the lines.
func (v *opDetailsView) refreshFrom(src Source, st *styles, now time.Time) {
	d, ok := src.Operation(v.id, histChartWidth(max(v.width, 20)))
	v.set(d, ok)
	v.spans = append(append(v.spans[:0], v.d.Slowest...), v.d.Running...)
	v.sel = min(max(v.sel, 0), max(len(v.spans)-1, 0))
	for i := range v.spans {
		if v.spans[i].ID == v.selID && v.selID != 0 {
			v.sel = i
		}
	}
	if v.sel < len(v.spans) {
		v.selID = v.spans[v.sel].ID
	}
	v.build(st, now)
}

// move moves the selection among the spans, or scrolls without any.
func (v *opDetailsView) move(n int, st *styles, now time.Time) {
	if len(v.spans) == 0 {
		v.scrollBy(n)
		return
	}
	v.sel = min(max(v.sel+n, 0), len(v.spans)-1)
	v.selID = v.spans[v.sel].ID
	v.build(st, now)
	v.showSelected()
}

// showSelected scrolls so that the selected span is on screen. Only a
// move does: a refresh leaves the figures at the top in view.
func (v *opDetailsView) showSelected() {
	if v.sel >= len(v.spanLine) {
		return
	}
	l := v.spanLine[v.sel]
	if l < v.scroll {
		v.scroll = max(l-1, 0)
	}
	if l >= v.scroll+v.height {
		v.scroll = l - v.height + 1
	}
	v.scrollBy(0)
}

func (v *opDetailsView) scrollBy(n int) {
	v.scroll = min(max(v.scroll+n, 0), max(len(v.lines)-v.height, 0))
}

// selected returns the selected span, if any.
func (v *opDetailsView) selected() (model.OpSpan, bool) {
	if v.sel < 0 || v.sel >= len(v.spans) {
		return model.OpSpan{}, false
	}
	return v.spans[v.sel], true
}

// build prepares the lines and keeps the selection on screen.
func (v *opDetailsView) build(st *styles, now time.Time) {
	w := max(v.width, 20)
	v.lines = v.lines[:0]
	v.spanLine = v.spanLine[:0]
	add := func(s string) { v.lines = append(v.lines, st.padLine(s, w)) }
	if !v.found {
		add("")
		add(st.warn.r("  operation " + strconv.FormatUint(v.id, 10) + " is not known."))
		add("  esc goes back.")
		return
	}
	d := &v.d
	r := &d.Row
	section := func(title string) {
		add("")
		add(st.title.r(st.bold.r(title)))
	}
	kv := func(b *strings.Builder, label, value string, sty style) {
		if b.Len() > 0 {
			b.WriteString("  ")
		}
		b.WriteString(st.muted.r(label + " "))
		b.WriteString(sty.r(value))
	}
	// Who it is and its lifetime figures, wrapped to the width.
	add("  " + st.serviceStyle(r.Service).r(sanitize(r.Service)) + st.muted.r(" "+st.sym.bullet+" ") +
		st.bold.r(sanitize(r.Name)) + st.muted.r(" "+st.sym.bullet+" "+r.Kind.String()))
	var figs []string
	fig := func(label, value string, sty style) {
		var b strings.Builder
		kv(&b, label, value, sty)
		figs = append(figs, b.String())
	}
	fig("count", fmtCount(r.Count), style{})
	fig("rate", fmtRate(r.Rate)+"/s", style{})
	inSty := st.muted
	if r.InFlight > 0 {
		inSty = st.good
	}
	fig("in flight", fmtCount(r.InFlight), inSty)
	errSty := st.muted
	if r.Errors > 0 {
		errSty = st.bad
	}
	fig("errors", fmtPercent(r.Errors, r.Count)+" ("+fmtCount(r.Errors)+")", errSty)
	fig("time", st.fmtDur(r.Total), st.durStyle(r.Total))
	fig("max", st.fmtDur(r.Max), st.durStyle(r.Max))
	v.flow(figs, "  ", st, w)

	add("")
	for _, l := range histLines(st, "Latency", "spans", &d.Latency, w) {
		add(l)
	}

	steps := len(d.Rate)
	sparkW := min(steps, max(w-48, 10))
	section("Last " + fmtSpan(time.Duration(sparkW)*d.Step) + st.muted.r(" (one column per "+fmtSpan(d.Step)+", newest right)"))
	var maxRate float64
	var maxP99 time.Duration
	var errs uint32
	for k := range d.Rate {
		maxRate = max(maxRate, d.Rate[k])
		maxP99 = max(maxP99, d.P99[k])
		errs += d.Errors[k]
	}
	spark := func(label, line, now, peak string) {
		add("  " + st.muted.r(st.fit(label, 7, false)) + " " + st.accent.r(line) +
			st.muted.r("  now ") + now + st.muted.r("  max ") + peak)
	}
	last := steps - 1
	if steps > 0 {
		spark("rate/s", st.rateSpark(d.Rate, sparkW), fmtRate(d.Rate[last]), fmtRate(maxRate))
		p99 := "-" // nothing finished in this step yet
		if d.P99[last] > 0 {
			p99 = st.fmtDur(d.P99[last])
		}
		spark("p99", st.durSpark(d.P99, sparkW), p99, st.fmtDur(maxP99))
		if errs > 0 {
			u := make([]uint32, len(d.Errors))
			copy(u, d.Errors)
			add("  " + st.muted.r(st.fit("errors", 7, false)) + " " + st.bad.r(st.sparkline(u, sparkW)) +
				st.muted.r("  total ") + fmtCount(int64(errs)))
		}
	}

	spanRow := func(i int, s *model.OpSpan) {
		sym, ssty := st.stateSymbol(s.State)
		var b strings.Builder
		b.WriteString("  ")
		b.WriteString(ssty.r(st.fit(sym, 2, false)))
		b.WriteString(st.fit(strconv.FormatUint(s.ID, 10), 8, true))
		b.WriteString("  ")
		b.WriteString(st.durStyle(s.Duration).r(st.fit(st.fmtDur(s.Duration), 9, true)))
		b.WriteString("  ")
		when := "in flight"
		if !s.Ended.IsZero() {
			when = fmtSpan(now.Sub(s.Ended)) + " ago"
		}
		b.WriteString(st.fit(when, 12, false))
		b.WriteString(st.muted.r("trace " + s.TraceID.String()[:16] + st.sym.ellipsis))
		if !s.Stored {
			b.WriteString(st.muted.r("  (no longer stored)"))
		}
		line := st.padLine(b.String(), w)
		switch {
		case i == v.sel:
			line = st.reverse.r(st.padLine(ansi.Strip(b.String()), w))
		case !s.Stored:
			line = st.dim.r(line)
		}
		v.spanLine = append(v.spanLine, len(v.lines))
		v.lines = append(v.lines, line)
	}
	colHead := "  " + st.bold.r(st.fit("", 2, false)+st.fit("ID", 8, true)+"  "+st.fit("Duration", 9, true)+"  "+
		st.fit("Ended", 12, false)+"Trace")
	section("Slowest recent spans" + st.muted.r(" (enter opens one)"))
	if len(d.Slowest) == 0 {
		add(st.muted.r("  none finished in the last " + fmtSpan(time.Duration(steps)*d.Step)))
	} else {
		add(colHead)
		for i := range d.Slowest {
			spanRow(i, &d.Slowest[i])
		}
	}
	section("In flight now, longest first")
	if len(d.Running) == 0 {
		add(st.muted.r("  none"))
	} else {
		add(colHead)
		for i := range d.Running {
			spanRow(len(d.Slowest)+i, &d.Running[i])
		}
	}
	v.scrollBy(0)
}

// flow adds items separated by two spaces, wrapping onto new lines.
func (v *opDetailsView) flow(items []string, indent string, st *styles, w int) {
	line, lw := indent, width(indent)
	for _, it := range items {
		iw := ansi.StringWidth(it)
		if lw > width(indent) && lw+2+iw > w {
			v.lines = append(v.lines, st.padLine(line, w))
			line, lw = indent, width(indent)
		}
		if lw > width(indent) {
			line += "  "
			lw += 2
		}
		line += it
		lw += iw
	}
	v.lines = append(v.lines, st.padLine(line, w))
}

// describe describes the operation for the title line.
func (v *opDetailsView) describe(st *styles) string {
	if !v.found {
		return st.bold.r("operation " + strconv.FormatUint(v.id, 10))
	}
	r := &v.d.Row
	s := st.bold.r("operation "+sanitize(r.Name)) + st.muted.r(" "+st.sym.bullet+" ") + sanitize(r.Service)
	if n := len(v.lines); n > v.height {
		s += st.muted.r("  lines " + strconv.Itoa(v.scroll+1) + "-" + strconv.Itoa(min(v.scroll+v.height, n)) +
			" of " + strconv.Itoa(n))
	}
	return s
}

// lineAt maps a content line to the selectable span on it.
func (v *opDetailsView) spanAt(line int) (int, bool) {
	for i, l := range v.spanLine {
		if l == line {
			return i, true
		}
	}
	return 0, false
}

// fmtSpan formats a span of time coarsely: 5s, 5m, 2h.
func fmtSpan(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return strconv.Itoa(m) + "m"
		}
		return strconv.Itoa(m) + "m" + strconv.Itoa(s) + "s"
	default:
		return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
	}
}

// The operation details as a screen.

var opDetailsKeys = &keySet{name: "operation details",
	bindings: []binding{keyMoveSelect, keyPage, keyEnds,
		{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter", desc: "open the selected span (its details and trace)",
			foot: "open span", footPrio: 70},
		keyOpSpans, keyEscBack},
	mouse: "click a span: select (again: open); wheel: move"}

func (v *opDetailsView) keys() *keySet { return opDetailsKeys }

func (v *opDetailsView) refresh(a *App, _ nav) {
	v.width, v.height = a.width, a.detailRows()
	v.refreshFrom(a.src, a.st, a.now())
}

func (v *opDetailsView) layout(a *App) {
	v.width, v.height = a.width, a.detailRows()
	if v.found {
		v.build(a.st, a.now())
	}
}

func (v *opDetailsView) title(a *App) string { return v.describe(a.st) }

func (v *opDetailsView) status(a *App) string {
	if v.gone {
		return a.st.warn.r("the operation is no longer known; showing the last copy")
	}
	return ""
}

func (v *opDetailsView) body(_ *App, h int, line func(string)) {
	for i := range h {
		if j := v.scroll + i; j < len(v.lines) {
			line(v.lines[j])
		} else {
			line("")
		}
	}
}

func (v *opDetailsView) moveBy(a *App, n int) { v.move(n, a.st, a.now()) }

func (v *opDetailsView) act(a *App, act action) (tea.Cmd, bool) {
	switch act {
	case actUp:
		v.move(-1, a.st, a.now())
	case actDown:
		v.move(1, a.st, a.now())
	case actPageUp:
		v.move(-a.rows(), a.st, a.now())
	case actPageDown:
		v.move(a.rows(), a.st, a.now())
	case actTop:
		v.move(math.MinInt32/2, a.st, a.now())
		v.scroll = 0
	case actBottom:
		v.move(math.MaxInt32/2, a.st, a.now())
		v.scrollBy(len(v.lines))
	case actSpans:
		if v.found {
			r := &v.d.Row
			a.showOpSpans(r.Service, r.Name, r.Kind)
		}
	case actEnter:
		s, ok := v.selected()
		switch {
		case !ok:
			a.statusf(false, "no span to open")
		case !s.Stored:
			a.statusf(false, "that span is no longer stored (retention or the memory budget removed it)")
		default:
			a.open(target{linkSpan, s.ID})
		}
	default:
		return nil, false
	}
	return nil, true
}

func (v *opDetailsView) click(a *App, _, y int) {
	if k, ok := v.spanAt(v.scroll + y); ok {
		if k == v.sel {
			a.do(actEnter)
		} else {
			v.move(k-v.sel, a.st, a.now())
		}
	}
}
