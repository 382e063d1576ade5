package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// logColumns is the logs table: header, width, format and sort key of
// every column, in display order.
func logColumns() []column[model.LogRow] {
	return []column[model.LogRow]{
		{key: model.LogTime, title: "Time", min: 12, ideal: 12, prio: 99,
			cell: func(st *styles, r *model.LogRow, _ int) (string, style) {
				return r.Time.Local().Format("15:04:05.000"), st.muted
			}},
		{key: model.LogSeverity, title: "Sev", min: 5, ideal: 5, prio: 98, desc: true,
			cell: func(st *styles, r *model.LogRow, _ int) (string, style) { return st.severity(r) }},
		{key: model.LogService, title: "Service", min: 8, ideal: 12, prio: 85,
			cell: func(st *styles, r *model.LogRow, _ int) (string, style) {
				return sanitize(r.Service), st.serviceStyle(r.Service)
			}},
		{key: model.LogBody, title: "Body", min: 16, ideal: 40, prio: 100, flex: 3,
			cell: func(st *styles, r *model.LogRow, _ int) (string, style) { return logBodyLine(r), style{} }},
		{key: model.LogTrace, title: "Trace/Span", min: 17, ideal: 17, prio: 60,
			cell: func(st *styles, r *model.LogRow, _ int) (string, style) { return shortContext(r), st.muted }},
		{key: model.LogAttrs, title: "Attributes", min: 10, ideal: 30, prio: 50, flex: 2,
			cell: func(st *styles, r *model.LogRow, _ int) (string, style) { return fieldsText(r.Attrs), st.muted }},
	}
}

// logBodyLine is a body on one line: its line breaks shown as ⏎ and
// everything sanitised; an event without a body shows its name.
func logBodyLine(r *model.LogRow) string {
	body := r.Body
	if body == "" && r.Event != "" {
		body = r.Event
	}
	body = strings.TrimRight(clip(body, maxShown), "\r\n")
	body = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ").Replace(body)
	if r.Truncated {
		body += "…"
	}
	return sanitize(body)
}

// shortContext is a record's trace and span IDs, eight hex digits each.
func shortContext(r *model.LogRow) string {
	if !r.HasTrace {
		return ""
	}
	s := r.TraceID.String()[:8]
	if r.HasSpan {
		s += "/" + r.SpanID.String()[:8]
	}
	return s
}

// severity is a record's level, coloured by how bad it is.
func (s *styles) severity(r *model.LogRow) (string, style) {
	lvl := r.Severity.Level()
	switch {
	case r.Severity == model.SevUnspecified:
		if r.SeverityText != "" {
			return sanitize(strings.ToLower(r.SeverityText)), s.muted
		}
		return "-", s.muted
	case r.Severity >= model.SevError:
		return lvl, s.bad
	case r.Severity >= model.SevWarn:
		return lvl, s.warn
	case r.Severity >= model.SevInfo:
		return lvl, s.good
	}
	return lvl, s.muted
}

// logTable is the table the logs view shows.
type logTable = table[model.LogRow]

// logsKind makes the logs table. tail, shared with the view, asks for the
// last page (the live tail) rather than the selection's window.
type logsKind struct{ tail *bool }

func (logsKind) columns() []column[model.LogRow]   { return logColumns() }
func (logsKind) defaultSort() (model.Column, bool) { return model.LogTime, false }
func (logsKind) rowID(r *model.LogRow) uint64      { return r.ID }
func (logsKind) dimmed(*model.LogRow) bool         { return false }
func (logsKind) noun() string                      { return "logs" }
func (logsKind) keys() *keySet                     { return logsKeys }
func (logsKind) cacheKey(*model.LogRow) rowKey     { return rowKey{} } // a record never changes
func (k logsKind) fetch(src Source, q model.Query) model.Page[model.LogRow] {
	if *k.tail && q.Sort == model.LogTime && !q.Desc {
		q.Anchor, q.Move, q.Row, q.Offset = 0, 0, q.Limit-1, model.FollowOffset
	}
	return src.Logs(q)
}

var logsKeys = func() *keySet {
	ks := tableKeySet("logs",
		binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
			desc: "the selected log record: its whole body, attributes, resource, and its span", foot: "record", footPrio: 70})
	// The ends of a live tail: G follows it again.
	for i := range ks.bindings {
		if ks.bindings[i].label == keyEnds.label {
			ks.bindings[i].desc = "go to the oldest record / the newest, following the tail again like tail -f (also home end)"
			ks.bindings[i].foot, ks.bindings[i].footPrio = "oldest/follow", 75
		}
	}
	return ks
}()

func (logsKind) figures(a *App, b *strings.Builder) {
	st, h := a.st, a.hdr
	dot := func() { b.WriteString(st.muted.r(" " + st.sym.bullet + " ")) }
	dot()
	b.WriteString(fmtRate(h.LogsPerSec) + "/s")
	if h.LogErrors > 0 {
		dot()
		b.WriteString(st.bad.r(strconv.Itoa(h.LogErrors) + " error"))
	}
}

func (logsKind) empty(a *App) string {
	h := a.hdr
	if h.LogsReceived > 0 {
		return "no logs stored: " + plural(int(min(h.LogsReceived, 1<<31)), "record") + " arrived and expired"
	}
	if a.opts.Listen != "" {
		return "no logs yet: point an OTLP log exporter at " + sanitize(a.opts.Listen)
	}
	return "no logs yet"
}

func (logsKind) act(a *App, t *logTable, act action) (tea.Cmd, bool) {
	if act != actEnter {
		return nil, false
	}
	if t.selID == 0 || len(t.rows) == 0 {
		a.statusf(false, "no log record selected")
	} else {
		a.open(target{linkLog, t.selID})
	}
	return nil, true
}

// logsView is the logs tab: a table that, while it follows, shows the
// newest records at the bottom like tail -f. Moving up, paging or
// sorting stops following; G (the bottom) follows again.
type logsView struct {
	*logTable
	tail bool
}

func newLogsView() *logsView {
	v := &logsView{tail: true}
	v.logTable = newTable[model.LogRow](logsKind{tail: &v.tail})
	v.live = false // the selection stays on its record when not following
	return v
}

// following reports whether the view shows the live tail.
func (v *logsView) following() bool { return v.tail && v.sort == model.LogTime && !v.desc }

func (v *logsView) act(a *App, act action) (tea.Cmd, bool) {
	switch act {
	case actBottom:
		v.tail = true
	case actUp, actPageUp, actTop:
		v.tail = false
	case actSortLeft, actSortRight, actInvert:
		// Another order has no tail to follow; back in time order it
		// follows again.
		v.tail = true
	}
	return v.logTable.act(a, act)
}

func (v *logsView) moveBy(a *App, n int) {
	if n < 0 {
		v.tail = false
	}
	v.logTable.moveBy(a, n)
}

func (v *logsView) click(a *App, x, y int) {
	if y >= 1 && y-1 != v.selRow {
		v.tail = false
	}
	v.logTable.click(a, x, y)
}

func (v *logsView) title(a *App) string {
	s := v.logTable.title(a)
	st := a.st
	switch {
	case v.following():
		return s + st.muted.r(" "+st.sym.bullet+" ") + st.live.r("following")
	case v.sort == model.LogTime && !v.desc:
		return s + st.muted.r(" "+st.sym.bullet+" ") + st.warn.r("not following (G follows)")
	}
	return s
}

// logAge is how long ago a record was logged, for the record's page.
func logAge(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	if d < 0 {
		return "in the future"
	}
	return fmtSpan(d.Truncate(time.Millisecond)) + " ago"
}
