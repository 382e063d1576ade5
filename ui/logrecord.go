package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/spantop/spantop/model"
)

// logView shows one log record in full: its whole body wrapped, every
// attribute, its resource and scope, and a link to its span when that is
// stored.
type logView struct {
	detailPage[model.LogDetail]
}

func newLogView(id uint64) *logView {
	v := &logView{}
	// A record never changes: it is asked for again to learn when it is
	// gone.
	v.detailPage = newDetailPage("log record", id, "retention or the memory budget removed it",
		Source.Log, v.build, v.titleName)
	return v
}

var logKeys = pageKeys("log record")

func (v *logView) keys() *keySet { return logKeys }

// titleName names the record by its ID, its level and its service.
func (v *logView) titleName(a *App) (lead, rest string) {
	if v.found {
		lvl, _ := a.st.severity(&v.d.LogRow)
		rest = " " + lvl + " " + sanitize(v.d.Service)
	}
	return "log " + strconv.FormatUint(v.id, 10), rest
}

// build prepares the page of the record, found at least once, for the
// current width.
func (v *logView) build(st *styles, now time.Time) {
	b := v.builder(st)
	d := &v.d
	b.field("time", fmtTime(d.Time)+st.muted.r("  "+logAge(now, d.Time)), style{})
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
