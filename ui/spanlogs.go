package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// A span's logs on its details page, and the marks the waterfall puts on
// spans that have logs.

// timelineSection adds the span's events and log records interleaved in
// time order, each at its offset from the span's start; a log record is
// a link to its page.
func timelineSection(b *pageBuilder, d *model.SpanDetail, entries []model.TimelineEntry) {
	st := b.st
	logs := 0
	for i := range entries {
		if entries[i].Log != nil {
			logs++
		}
	}
	b.add("")
	b.add(st.title.r(st.bold.r("Events and logs (" + plural(len(entries)-logs, "event") + ", " + plural(logs, "log") + ")")))
	for i := range entries {
		e := &entries[i]
		off := e.Time.Sub(d.Start)
		sign := "+"
		if off < 0 {
			sign, off = "-", -off
		}
		at := "  " + st.durStyle(off).r(st.fit(sign+st.fmtDur(off), 10, true)) + "  "
		if ev := e.Event; ev != nil {
			b.wrapped(at, st.bold.r(sanitize(clip(ev.Name, maxShown))))
			b.attrs(ev.Attrs, "      ")
			continue
		}
		r := e.Log
		lvl, sty := st.severity(r)
		room := max(b.w-ansi.StringWidth(at)-8, 8)
		b.link(at+sty.r(st.fit(lvl, 5, false))+" "+st.truncate(logBodyLine(r), room), target{linkLog, r.ID})
		if len(r.Attrs) > 0 {
			b.add("      " + st.muted.r(st.truncate(fieldsText(r.Attrs), max(b.w-8, 8))))
		}
	}
}

// logMark is what the waterfall adds after a span's name when logs refer
// to it: ≡ and their count, and ! when one is ERROR or worse. It is plain
// text: the row measures and styles it with the name's tail.
func (s *styles) logMark(m model.LogMark) string {
	if m.Logs == 0 {
		return ""
	}
	glyph := "≡"
	if s.ascii {
		glyph = "L"
	}
	text := " " + glyph + strconv.Itoa(m.Logs)
	if m.Errors > 0 {
		text += "!"
	}
	return text
}

// traceLogMarks asks which spans of a trace have logs; nil when none do.
func traceLogMarks(src Source, trace model.TraceID) map[model.SpanID]model.LogMark {
	if trace.IsZero() {
		return nil
	}
	return src.TraceLogMarks(trace)
}

// errLogStyle colours a count of error logs: muted when none.
func errLogStyle(st *styles, n int) style {
	if n > 0 {
		return st.bad
	}
	return st.muted
}

// logRate adds the logs per second to the header's first line once logs
// arrive.
func (a *App) logRate(b *strings.Builder, sep string) {
	h := a.hdr
	if h.Logs == 0 && h.LogsReceived == 0 {
		return
	}
	b.WriteString(sep)
	b.WriteString(a.st.bold.r(fmtRate(h.LogsPerSec)))
	b.WriteString(a.st.muted.r(" logs/s"))
}

// signalLosses adds the logs and metric streams lost to the header's
// second line, only when there are some: logs refused, evicted or dropped
// by the memory budget, new streams over --max-streams.
func signalLosses(h model.Header, pick func(long, short string) string, kv func(string, int64, style), st *styles) {
	if n := h.LogsRefused + h.LogsEvicted + h.LogsDropped; n > 0 {
		kv(pick("logs lost", "logs-"), n, st.warn)
	}
	if h.StreamsDropped > 0 {
		kv(pick("streams dropped", "strm-"), h.StreamsDropped, st.bad)
	}
}
