package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// detailsView shows everything known about one span.
type detailsView struct {
	id   uint64
	from viewID // the table esc returns to
	latest[model.SpanDetail]
	// lines are the prepared content lines, each exactly width cells.
	lines  []string
	scroll int
	width  int
	// trace is the waterfall around the span, wfRows rows of it; wfLine
	// holds the line of each of its rows.
	trace  model.TraceView
	wfRows int
	wfLine []int
}

// open starts showing span id.
func (v *detailsView) open(id uint64, from viewID) {
	*v = detailsView{id: id, from: from, width: v.width, wfRows: v.wfRows}
}

// refresh fetches the span again and rebuilds the lines.
func (v *detailsView) refresh(src Source, st *styles) {
	d, ok := src.Span(v.id)
	v.set(d, ok)
	v.fetchTrace(src)
	v.build(st)
}

// scrollBy moves the view by n lines within [0, len-height].
func (v *detailsView) scrollBy(n, height int) {
	v.scroll = min(max(v.scroll+n, 0), max(len(v.lines)-height, 0))
}

// build prepares the content lines for the current width.
func (v *detailsView) build(st *styles) {
	w := max(v.width, 20)
	v.lines = v.lines[:0]
	add := func(s string) { v.lines = append(v.lines, st.padLine(s, w)) }
	if !v.found {
		add("")
		add(st.warn.r("  span " + strconv.FormatUint(v.id, 10) + " is no longer stored (retention or the memory budget removed it)."))
		add("  esc goes back.")
		return
	}
	d := &v.d
	const labelW = 13
	field := func(label, value string, sty style) {
		if value == "" {
			value, sty = "-", st.muted
		}
		v.wrapped("  "+st.muted.r(st.fit(label, labelW, false))+" ", value, sty, st, w)
	}
	section := func(title string, n int) {
		add("")
		add(st.title.r(st.bold.r(title + " (" + strconv.Itoa(n) + ")")))
	}
	v.traceSection(st, w)
	field("name", sanitize(d.Name), st.bold)
	field("trace id", d.TraceID.String(), style{})
	field("span id", d.SpanID.String(), style{})
	parent := d.Parent.String()
	if d.Parent.IsZero() {
		parent = "(root span)"
	}
	field("parent id", parent, style{})
	field("display id", strconv.FormatUint(d.ID, 10), style{})
	field("kind", d.Kind.String(), style{})
	sym, ssty := st.stateSymbol(d.State)
	field("state", sym+" "+d.State.String(), ssty)
	status := d.Status.String()
	if d.StatusMsg != "" {
		status += ": " + sanitize(d.StatusMsg)
	}
	stSty := style{}
	if d.Status == model.StatusError {
		stSty = st.bad
	}
	field("status", status, stSty)
	for _, w := range d.Warnings {
		field(st.sym.warn+" warning", sanitize(w), st.warn)
	}
	field("start", fmtTime(d.Start), style{})
	if d.End.IsZero() {
		field("end", "(in flight)", st.good)
	} else {
		field("end", fmtTime(d.End), style{})
	}
	field("duration", st.fmtDur(d.Duration), st.durStyle(d.Duration))
	field("service", sanitize(d.Service), style{})
	scope := sanitize(d.Scope)
	if d.ScopeVersion != "" {
		scope += " " + sanitize(d.ScopeVersion)
	}
	field("scope", scope, style{})
	field("location", sanitize(d.Location), style{})
	field("trace state", sanitize(d.TraceState), style{})
	seq := "none (not an in-flight snapshot)"
	if d.SnapshotSeq > 0 {
		seq = strconv.FormatUint(uint64(d.SnapshotSeq), 10)
	}
	field("snapshot seq", seq, style{})
	field("trace spans", strconv.Itoa(d.TraceSpans)+" stored", style{})
	dropped := "attributes " + strconv.FormatUint(uint64(d.DroppedAttrs), 10) +
		", events " + strconv.FormatUint(uint64(d.DroppedEvents), 10) +
		", links " + strconv.FormatUint(uint64(d.DroppedLinks), 10)
	dsty := style{}
	if d.DroppedAttrs+d.DroppedEvents+d.DroppedLinks > 0 {
		dsty = st.warn
	}
	field("dropped", dropped, dsty)

	section("Attributes", len(d.Attrs))
	v.attrs(d.Attrs, "  ", st, w)

	section("Events", len(d.Events))
	for i := range d.Events {
		e := &d.Events[i]
		off := e.Time.Sub(d.Start)
		sign := "+"
		if off < 0 {
			sign, off = "-", -off
		}
		v.wrapped("  "+st.durStyle(off).r(st.fit(sign+st.fmtDur(off), 10, true))+"  ", sanitize(e.Name), st.bold, st, w)
		v.attrs(e.Attrs, "      ", st, w)
	}

	section("Links", len(d.Links))
	for i := range d.Links {
		l := &d.Links[i]
		v.wrapped("  ", "trace "+l.TraceID.String()+" span "+l.SpanID.String(), style{}, st, w)
		v.attrs(l.Attrs, "      ", st, w)
	}

	section("Resource", len(d.Resource))
	v.attrs(d.Resource, "  ", st, w)
}

// attrs adds one "key = value" line per attribute.
func (v *detailsView) attrs(attrs []model.Attr, indent string, st *styles, w int) {
	for i := range attrs {
		a := &attrs[i]
		prefix := indent + st.key.r(sanitize(a.Key)) + " = "
		// A multi-line value (a stack trace, a query) keeps its lines.
		for j, line := range strings.Split(strings.TrimRight(a.Value.String(), "\r\n"), "\n") {
			if j == 1 {
				prefix = strings.Repeat(" ", ansi.StringWidth(prefix))
			}
			v.wrapped(prefix, sanitize(strings.TrimSuffix(line, "\r")), style{}, st, w)
		}
	}
}

// wrapped adds prefix+value, wrapping a long value onto indented lines
// rather than cutting it.
func (v *detailsView) wrapped(prefix, value string, sty style, st *styles, w int) {
	pw := ansi.StringWidth(prefix)
	room := w - pw
	if room < 10 || width(value) <= room {
		v.lines = append(v.lines, st.padLine(prefix+sty.r(value), w))
		return
	}
	parts := strings.Split(ansi.Hardwrap(value, room, true), "\n")
	indent := strings.Repeat(" ", pw)
	for i, p := range parts {
		if i == 0 {
			v.lines = append(v.lines, st.padLine(prefix+sty.r(p), w))
		} else {
			v.lines = append(v.lines, st.padLine(indent+sty.r(p), w))
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05.000000 MST")
}
