package ui

import (
	"strconv"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// The span details begin with the part of the span's trace around it: a
// few rows of the waterfall, the span in the middle, and the way to the
// whole trace.

// fetchTrace queries the waterfall rows around the span.
func (v *detailsView) fetchTrace(src Source) {
	if !v.found || v.wfRows <= 0 {
		v.trace = model.TraceView{}
		return
	}
	n := v.wfRows
	tv := src.Trace(model.TraceQuery{TraceID: v.d.TraceID, Anchor: v.d.ID, Row: n / 2, Limit: n})
	if tv.Found || len(v.trace.Rows) == 0 {
		v.trace = tv
	}
}

// traceSection adds the waterfall section.
func (v *detailsView) traceSection(st *styles, w int) {
	t := &v.trace
	v.wfLine = v.wfLine[:0]
	if v.wfRows <= 0 {
		return
	}
	head := "Trace"
	if t.Found {
		head += " (" + plural(t.Spans, "span") + ", " + st.fmtDur(t.Duration) + ", " + plural(len(t.Services), "service") + ")"
	}
	v.lines = append(v.lines, st.padLine(st.title.r(st.bold.r(head))+st.muted.r("  w: the whole trace"), w))
	if !t.Found {
		v.lines = append(v.lines, st.padLine(st.muted.r("  no span of the trace is stored"), w))
		v.lines = append(v.lines, st.padLine("", w))
		return
	}
	l := waterfallLayout(w)
	v.lines = append(v.lines, st.padLine(st.waterfallHeader(t, l), w))
	for i := range t.Rows {
		r := &t.Rows[i]
		line := st.padLine(st.waterfallRow(r, t, l), w)
		if r.ID == v.id {
			line = st.reverse.r(ansi.Strip(line))
		}
		v.wfLine = append(v.wfLine, len(v.lines))
		v.lines = append(v.lines, line)
	}
	if more := t.Total - t.Offset - len(t.Rows); more > 0 || t.Offset > 0 {
		v.lines = append(v.lines, st.padLine(st.muted.r("  "+strconv.Itoa(t.Offset)+" rows above, "+strconv.Itoa(more)+" below"), w))
	}
	v.lines = append(v.lines, st.padLine("", w))
}

// traceRowAt returns the waterfall row on content line l, if any.
func (v *detailsView) traceRowAt(l int) (*model.TraceRow, bool) {
	for i, at := range v.wfLine {
		if at == l && i < len(v.trace.Rows) {
			return &v.trace.Rows[i], true
		}
	}
	return nil, false
}
