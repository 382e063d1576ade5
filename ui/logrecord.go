package ui

import (
	"strconv"
	"strings"

	"github.com/spantop/spantop/model"
)

// logView shows one log record in full: its whole body wrapped, every
// attribute, its resource and scope, and a link to its span when that is
// stored.
type logView struct {
	id uint64
	latest[model.LogDetail]
	width int
	page
}

func newLogView(id uint64) *logView { return &logView{id: id, page: page{sel: -1}} }

var logKeys = pageKeys("log record")

func (v *logView) keys() *keySet { return logKeys }

func (v *logView) refresh(a *App, _ nav) {
	// A record never changes: ask again only until it is found, and to
	// learn when it is gone.
	d, ok := a.src.Log(v.id)
	v.set(d, ok)
	v.width = a.width
	v.build(a)
	v.scrollBy(0, a.detailRows())
}

func (v *logView) layout(a *App) {
	if v.width != a.width {
		v.width = a.width
		v.build(a)
		v.scrollBy(0, a.detailRows())
	}
}

func (v *logView) title(a *App) string {
	name := "log " + strconv.FormatUint(v.id, 10)
	if v.found {
		lvl, _ := a.st.severity(&v.d.LogRow)
		name += " " + lvl + " " + sanitize(v.d.Service)
	}
	return a.pageTitle(name, &v.page)
}

func (v *logView) status(a *App) string {
	if v.gone {
		return a.st.warn.r("log record " + strconv.FormatUint(v.id, 10) + " is no longer stored; showing the last copy")
	}
	return ""
}

// build prepares the page for the current width.
func (v *logView) build(a *App) {
	st := a.st
	b := pageBuilder{st: st, w: max(v.width, 20)}
	if !v.found {
		b.add("")
		b.add(st.warn.r("  log record " + strconv.FormatUint(v.id, 10) + " is no longer stored (retention or the memory budget removed it)."))
		b.add("  esc goes back.")
		b.finish(&v.page)
		return
	}
	d := &v.d
	b.field("time", fmtTime(d.Time)+st.muted.r("  "+logAge(a.now(), d.Time)), style{})
	lvl, sty := st.severity(&d.LogRow)
	sev := lvl
	if d.Severity != 0 {
		sev += st.muted.r(" (" + strconv.Itoa(int(d.Severity)) + ")")
	}
	if d.SeverityText != "" && !strings.EqualFold(d.SeverityText, lvl) {
		sev += st.muted.r(" text ") + sanitize(d.SeverityText)
	}
	b.field("severity", sev, sty)
	b.field("service", sanitize(d.Service), st.serviceStyle(d.Service))
	b.field("scope", sanitize(d.Scope), style{})
	if d.Event != "" {
		b.field("event", sanitize(d.Event), style{})
	}
	switch {
	case !d.HasTrace:
		b.field("trace", st.muted.r("none (logged outside a span)"), style{})
	default:
		b.field("trace id", d.TraceID.String()+st.muted.r(" ("+plural(d.TraceSpans, "span")+" stored)"), style{})
		switch {
		case d.Span != 0:
			b.linkField("span", d.SpanID.String()+st.muted.r(" (id "+strconv.FormatUint(d.Span, 10)+")"), target{linkSpan, d.Span})
		case d.HasSpan:
			b.field("span id", d.SpanID.String()+st.muted.r(" (not stored)"), style{})
		}
	}
	b.field("display id", strconv.FormatUint(d.ID, 10), style{})

	body := d.Body
	if body == "" && d.Event != "" {
		body = d.Event
	}
	b.section("Body", -1)
	b.bodyText(body, "  ")

	b.section("Attributes", len(d.Attrs))
	b.attrs(d.Attrs, "  ")
	b.section("Resource", len(d.Resource))
	b.attrs(d.Resource, "  ")
	b.finish(&v.page)
}

// bodyText adds a body whole, its lines kept and wrapped; one too long to
// show in place is cut and opens in a pager.
func (b *pageBuilder) bodyText(body, indent string) {
	if len(body) > maxShown || strings.Count(body, "\n") > 4*maxValueLines {
		b.cut(indent, "body", body)
		return
	}
	if body == "" {
		b.add(b.st.muted.r(indent + "(empty)"))
		return
	}
	for _, line := range strings.Split(strings.TrimRight(body, "\r\n"), "\n") {
		b.wrapped(indent, sanitize(strings.TrimSuffix(line, "\r")))
	}
}
