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
	id uint64
	latest[model.SpanDetail]
	width int
	// trace is the waterfall around the span, wfRows rows of it.
	trace  model.TraceView
	wfRows int
	// marks are the trace's log marks; timeline the span's events and
	// logs in time order.
	marks    map[model.SpanID]model.LogMark
	timeline []model.TimelineEntry
	page
	// placed is set once the span's own row was selected, when the span
	// was first shown.
	placed bool
}

func newDetailsView(id uint64) *detailsView {
	return &detailsView{id: id, page: page{sel: -1}}
}

// refreshFrom fetches the span again and rebuilds the page. Once the span
// is no longer stored (retention or the memory budget removed it), the
// page keeps what it showed last — fields, trace, events and logs — and
// says so in its title.
func (v *detailsView) refreshFrom(src Source, st *styles) {
	d, ok := src.Span(v.id)
	v.set(d, ok)
	if !v.gone {
		v.timeline = src.SpanTimeline(v.id)
		v.fetchTrace(src)
	}
	v.build(st)
}

// build prepares the page for the current width. The span's own row of
// the trace is selected when the page is first built.
func (v *detailsView) build(st *styles) {
	w := max(v.width, 20)
	b := pageBuilder{st: st, w: w}
	if !v.found {
		b.add("")
		b.add(st.warn.r("  span " + strconv.FormatUint(v.id, 10) + " is no longer stored (retention or the memory budget removed it)."))
		b.add("  esc goes back.")
		b.finish(&v.page)
		return
	}
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

func (v *detailsView) refresh(a *App, _ nav) {
	v.wfRows = min(max(a.detailRows()/3, 3), 15)
	v.width = a.width
	v.refreshFrom(a.src, a.st)
	v.scrollBy(0, a.detailRows())
}

func (v *detailsView) layout(a *App) {
	if v.width != a.width {
		v.width = a.width
		v.build(a.st)
		v.scrollBy(0, a.detailRows())
	}
}

func (v *detailsView) title(a *App) string {
	// The mark comes before the name, which a narrow screen cuts.
	name := "span " + strconv.FormatUint(v.id, 10) + goneMark(v.gone)
	if v.found {
		name += " " + sanitize(clip(v.d.Name, 4*a.width))
	}
	return a.pageTitle(name, &v.page)
}

func (v *detailsView) status(a *App) string {
	if v.gone {
		return a.st.warn.r("span " + strconv.FormatUint(v.id, 10) + " is no longer stored; showing the last copy")
	}
	return ""
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
