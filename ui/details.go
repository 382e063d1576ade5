package ui

import (
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// detailsView shows everything known about one span: the part of its
// trace around it (each row a link to its span), its fields, attributes,
// events, links and resource. It is a page like every details view.
type detailsView struct {
	detailPage[model.SpanDetail]
	// trace is the waterfall around the span, wfRows rows of it.
	trace  model.TraceView
	wfRows int
	// marks are the trace's log marks; timeline the span's events and
	// logs in time order.
	marks    map[model.SpanID]model.LogMark
	timeline []model.TimelineEntry
	// placed is set once the span's own row was selected, when the span
	// was first shown.
	placed bool
}

func newDetailsView(id uint64) *detailsView {
	v := &detailsView{}
	v.detailPage = newDetailPage("span", id, "retention or the memory budget removed it",
		Source.Span, func(st *styles, _ time.Time) { v.build(st) }, v.titleName)
	v.fetched = v.fetchAround
	return v
}

// fetchAround fetches the span's trace and timeline, as long as the span
// is stored: once it is gone, the page keeps what it showed last —
// fields, trace, events and logs.
func (v *detailsView) fetchAround(src Source) {
	v.wfRows = min(max(v.rows/3, 3), 15)
	if !v.gone {
		v.timeline = src.SpanTimeline(v.id)
		v.fetchTrace(src)
	}
}

// build prepares the page of the span, found at least once, for the
// current width. The span's own row of the trace is selected when the
// page is first built.
func (v *detailsView) build(st *styles) {
	b := v.builder(st)
	d := &v.d
	v.traceSection(&b)
	b.long("name", d.Name, st.bold)
	b.field("trace id", d.TraceID.String(), style{})
	b.field("span id", d.SpanID.String(), style{})
	parent := d.Parent.String()
	if d.Parent.IsZero() {
		parent = "(root span)"
	}
	b.field("parent id", parent, style{})
	b.field("display id", strconv.FormatUint(d.ID, 10), style{})
	b.field("kind", d.Kind.String(), style{})
	sym, ssty := st.stateSymbol(d.State)
	b.field("state", sym+" "+d.State.String(), ssty)
	status := d.Status.String()
	if d.StatusMsg != "" {
		status += ": " + sanitize(clip(d.StatusMsg, maxShown))
	}
	stSty := style{}
	if d.Status == model.StatusError {
		stSty = st.bad
	}
	b.field("status", status, stSty)
	for _, w := range d.Warnings {
		b.field(st.sym.warn+" warning", sanitize(w), st.warn)
	}
	b.field("start", fmtTime(d.Start), style{})
	if d.End.IsZero() {
		b.field("end", "(in flight)", st.good)
	} else {
		b.field("end", fmtTime(d.End), style{})
	}
	b.field("duration", st.fmtDur(d.Duration), st.durStyle(d.Duration))
	b.field("service", sanitize(d.Service), style{})
	scope := sanitize(d.Scope)
	if d.ScopeVersion != "" {
		scope += " " + sanitize(d.ScopeVersion)
	}
	b.field("scope", scope, style{})
	b.field("location", sanitize(d.Location), style{})
	b.field("trace state", sanitize(d.TraceState), style{})
	seq := "none (not an in-flight snapshot)"
	if d.SnapshotSeq > 0 {
		seq = strconv.FormatUint(uint64(d.SnapshotSeq), 10)
	}
	b.field("snapshot seq", seq, style{})
	b.field("trace spans", strconv.Itoa(d.TraceSpans)+" stored", style{})
	dropped := "attributes " + strconv.FormatUint(uint64(d.DroppedAttrs), 10) +
		", events " + strconv.FormatUint(uint64(d.DroppedEvents), 10) +
		", links " + strconv.FormatUint(uint64(d.DroppedLinks), 10)
	dsty := style{}
	if d.DroppedAttrs+d.DroppedEvents+d.DroppedLinks > 0 {
		dsty = st.warn
	}
	b.field("dropped", dropped, dsty)
	if d.HasTimes {
		b.section("Time", -1)
		timeSplit(&b, [3]time.Duration{d.Busy, d.Sched, d.Idle})
	}

	b.section("Attributes", len(d.Attrs))
	b.attrs(d.Attrs, "  ")

	timelineSection(&b, d, v.timeline)

	b.section("Links", len(d.Links))
	for i := range d.Links {
		l := &d.Links[i]
		b.wrapped("  ", "trace "+l.TraceID.String()+" span "+l.SpanID.String())
		b.attrs(l.Attrs, "      ")
	}

	b.section("Resource", len(d.Resource))
	b.attrs(d.Resource, "  ")
	b.finish(&v.page)
	if !v.placed {
		v.placed = true
		v.highlight(st, v.linkTo(target{linkSpan, v.id}))
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05.000000 MST")
}

// The span details as a screen.

var detailsKeys = pageKeys("span details", keyWholeTrace)

func (v *detailsView) keys() *keySet { return detailsKeys }

// titleName names the span by its display ID and its name.
func (v *detailsView) titleName(a *App) (lead, rest string) {
	return idAndName(a, "span", v.id, v.found, v.d.Name)
}

func (v *detailsView) act(a *App, act action) (tea.Cmd, bool) {
	if act != actTrace {
		return v.page.act(a, act)
	}
	if !v.found {
		a.statusf(false, "the span is not stored")
	} else {
		a.push(newTraceView(v.d.TraceID, v.id))
	}
	return nil, true
}
