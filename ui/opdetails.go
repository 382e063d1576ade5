package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// opDetailsView shows one operation: its figures, its latency histogram,
// its rate and p99 over the last minutes, and its slowest recent spans and
// those in flight, each a link that opens on enter. It is a page like
// every details view; ↑↓ go from span to span.
type opDetailsView struct {
	detailPage[model.OpDetail]
	// spans are the spans listed (slowest, then in flight), one per link.
	spans []model.OpSpan
	// errLogs counts the ERROR-or-worse logs of the operation's spans.
	errLogs int
}

func newOpDetailsView(id uint64) *opDetailsView {
	v := &opDetailsView{}
	// Its title is its own: no heading.
	v.detailPage = newDetailPage("operation", id, "", v.fetchOp, v.build, nil)
	v.missing = "operation " + strconv.FormatUint(id, 10) + " is not known."
	v.goneNote = "the operation is no longer known; showing the last copy"
	v.jump = true
	return v
}

// fetchOp asks for the operation with a histogram as wide as the page, and
// for the count of its error logs.
func (v *opDetailsView) fetchOp(src Source, id uint64) (model.OpDetail, bool) {
	d, ok := src.Operation(id, histChartWidth(max(v.width, 20)))
	v.errLogs = src.OperationErrorLogs(id)
	return d, ok
}

// selectedSpan returns the selected span, if any.
func (v *opDetailsView) selectedSpan() (model.OpSpan, bool) {
	if v.sel < 0 || v.sel >= len(v.spans) {
		return model.OpSpan{}, false
	}
	return v.spans[v.sel], true
}

// build prepares the page of the operation, found at least once.
func (v *opDetailsView) build(st *styles, now time.Time) {
	b := v.builder(st)
	w := b.w
	add := b.add
	v.spans = v.spans[:0]
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
	fig("error logs", fmtCount(int64(v.errLogs)), errLogStyle(st, v.errLogs))
	fig("time", st.fmtDur(r.Total), st.durStyle(r.Total))
	fig("max", st.fmtDur(r.Max), st.durStyle(r.Max))
	if hasOpTimes(r) {
		fig("busy", st.fmtDur(r.Busy), st.durStyle(r.Busy))
		fig("idle", st.fmtDur(r.Idle), st.durStyle(r.Idle))
	}
	b.flow(figs, "  ")

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

	spanRow := func(s *model.OpSpan) {
		sym, ssty := st.stateSymbol(s.State)
		var l strings.Builder
		l.WriteString("  ")
		l.WriteString(ssty.r(st.fit(sym, 2, false)))
		l.WriteString(st.fit(strconv.FormatUint(s.ID, 10), 8, true))
		l.WriteString("  ")
		l.WriteString(st.durStyle(s.Duration).r(st.fit(st.fmtDur(s.Duration), 9, true)))
		l.WriteString("  ")
		when := "in flight"
		if !s.Ended.IsZero() {
			when = fmtSpan(now.Sub(s.Ended)) + " ago"
		}
		l.WriteString(st.fit(when, 12, false))
		l.WriteString(st.muted.r("trace " + s.TraceID.String()[:16] + st.sym.ellipsis))
		if !s.Stored {
			l.WriteString(st.muted.r("  (no longer stored)"))
		}
		line := st.padLine(l.String(), w)
		if !s.Stored {
			line = st.dim.r(line)
		}
		v.spans = append(v.spans, *s)
		b.link(line, target{linkSpan, s.ID})
	}
	colHead := "  " + st.bold.r(st.fit("", 2, false)+st.fit("ID", 8, true)+"  "+st.fit("Duration", 9, true)+"  "+
		st.fit("Ended", 12, false)+"Trace")
	section("Slowest recent spans" + st.muted.r(" (enter opens one)"))
	if len(d.Slowest) == 0 {
		add(st.muted.r("  none finished in the last " + fmtSpan(time.Duration(steps)*d.Step)))
	} else {
		add(colHead)
		for i := range d.Slowest {
			spanRow(&d.Slowest[i])
		}
	}
	section("In flight now, longest first")
	if len(d.Running) == 0 {
		add(st.muted.r("  none"))
	} else {
		add(colHead)
		for i := range d.Running {
			spanRow(&d.Running[i])
		}
	}
	b.finish(&v.page)
}

// flow adds items separated by two spaces, wrapping onto new lines.
func (b *pageBuilder) flow(items []string, indent string) {
	line, lw := indent, width(indent)
	for _, it := range items {
		iw := ansi.StringWidth(it)
		if lw > width(indent) && lw+2+iw > b.w {
			b.add(line)
			line, lw = indent, width(indent)
		}
		if lw > width(indent) {
			line += "  "
			lw += 2
		}
		line += it
		lw += iw
	}
	b.add(line)
}

// describe describes the operation for the title line.
func (v *opDetailsView) describe(st *styles) string {
	if !v.found {
		return st.bold.r("operation " + strconv.FormatUint(v.id, 10))
	}
	r := &v.d.Row
	return st.bold.r("operation "+sanitize(r.Name)) + st.muted.r(" "+st.sym.bullet+" ") + sanitize(r.Service)
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

// title puts the mark first (a narrow screen cuts the end of the title)
// and names the operation with its service; unlike the other details
// pages it does not count the way back.
func (v *opDetailsView) title(a *App) string {
	mark := ""
	if v.gone {
		mark = a.st.warn.r(strings.TrimSpace(goneMark(true)) + " ")
	}
	return mark + v.describe(a.st) + a.lineRange(v.scroll, len(v.lines), a.detailRows())
}

func (v *opDetailsView) act(a *App, act action) (tea.Cmd, bool) {
	switch act {
	case actSpans:
		if v.found {
			r := &v.d.Row
			a.showOpSpans(r.Service, r.Name, r.Kind)
		}
	case actEnter:
		s, ok := v.selectedSpan()
		switch {
		case !ok:
			a.statusf(false, "no span to open")
		case !s.Stored:
			a.statusf(false, "that span is no longer stored (retention or the memory budget removed it)")
		default:
			a.open(target{linkSpan, s.ID})
		}
	default:
		return v.page.act(a, act)
	}
	return nil, true
}

// click selects the span on line y of the body; a second click opens it.
func (v *opDetailsView) click(a *App, _, y int) {
	i := v.linkAt(v.scroll + y)
	switch {
	case y < 0 || i < 0:
	case i == v.sel:
		v.act(a, actEnter)
	default:
		v.highlight(a.st, i)
	}
}
