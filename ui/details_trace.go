package ui

import (
	"strconv"

	"github.com/spantop/spantop/model"
)

// The span details begin with the part of the span's trace around it: a
// few rows of the waterfall, the span in the middle, each row a link to
// its span, and the way to the whole trace.

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
		v.marks = traceLogMarks(src, tv.TraceID)
	}
}

// traceSection adds the waterfall section.
func (v *detailsView) traceSection(b *pageBuilder) {
	st, w, t := b.st, b.w, &v.trace
	if v.wfRows <= 0 {
		return
	}
	head := "Trace"
	if t.Found {
		head += " (" + plural(t.Spans, "span") + ", " + st.fmtDur(t.Duration) + ", " + plural(len(t.Services), "service") + ")"
	}
	b.add(st.title.r(st.bold.r(head)) + st.muted.r("  w: the whole trace"))
	if !t.Found {
		b.add(st.muted.r("  no span of the trace is stored"))
		b.add("")
		return
	}
	l := waterfallLayout(w)
	l.marks = v.marks
	b.add(st.waterfallHeader(t, l))
	for i := range t.Rows {
		r := &t.Rows[i]
		if r.Missing {
			b.add(st.waterfallRow(r, t, l))
			continue
		}
		b.link(st.waterfallRow(r, t, l), target{linkSpan, r.ID})
	}
	if more := t.Total - t.Offset - len(t.Rows); more > 0 || t.Offset > 0 {
		b.add(st.muted.r("  " + strconv.Itoa(t.Offset) + " rows above, " + strconv.Itoa(more) + " below"))
	}
	b.add("")
}
