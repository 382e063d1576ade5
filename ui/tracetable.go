package ui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// The traces table: one row per stored trace, its root (or, while the
// root is missing, its earliest span), services, spans, errors, duration,
// start and spans in flight. enter opens the trace's waterfall.

// traceColumns is the traces table: header, width, format and sort key of
// every column, in display order.
func traceColumns() []column[model.TraceListRow] {
	return []column[model.TraceListRow]{
		{key: model.TraceColID, title: "Trace", min: 8, ideal: 16, prio: 90,
			cell: func(st *styles, r *model.TraceListRow, w int) (string, style) {
				return r.TraceID.String()[:min(max(w, 8), 32)], st.muted
			}},
		{key: model.TraceColName, title: "Root", min: 12, ideal: 30, prio: 100, flex: 3,
			cell: func(st *styles, r *model.TraceListRow, _ int) (string, style) {
				if r.RootMissing {
					// The earliest span stands for the root not (yet) stored.
					return st.sym.warn + " " + sanitize(r.Name), st.marker
				}
				return sanitize(r.Name), style{}
			}},
		{key: model.TraceColServices, title: "Services", min: 10, ideal: 28, prio: 85, flex: 1, desc: true,
			cell: func(st *styles, r *model.TraceListRow, _ int) (string, style) {
				return servicesText(r), st.serviceStyle(firstOf(r.Services))
			}},
		{key: model.TraceColSpans, title: "Spans", min: 5, ideal: 6, prio: 92, right: true, desc: true,
			cell: func(st *styles, r *model.TraceListRow, _ int) (string, style) { return strconv.Itoa(r.Spans), style{} }},
		{key: model.TraceColErrors, title: "Err", min: 4, ideal: 5, prio: 88, right: true, desc: true,
			cell: func(st *styles, r *model.TraceListRow, _ int) (string, style) {
				if r.Errors == 0 {
					return "", style{}
				}
				return strconv.Itoa(r.Errors), st.bad
			}},
		{key: model.TraceColDuration, title: "Duration", min: 8, ideal: 9, prio: 98, right: true, desc: true,
			cell: func(st *styles, r *model.TraceListRow, _ int) (string, style) {
				return st.fmtDur(r.Duration), st.durStyle(r.Duration)
			}},
		{key: model.TraceColStart, title: "Start", min: 12, ideal: 12, prio: 70, desc: true,
			cell: func(st *styles, r *model.TraceListRow, _ int) (string, style) {
				return r.Start.Local().Format("15:04:05.000"), st.muted
			}},
		{key: model.TraceColInFlight, title: "Live", min: 4, ideal: 5, prio: 80, right: true, desc: true,
			cell: func(st *styles, r *model.TraceListRow, _ int) (string, style) {
				if r.Running == 0 {
					return "", style{}
				}
				return strconv.Itoa(r.Running), st.live
			}},
	}
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// servicesText is a trace's services: the name when it has one, else
// their count and the first names.
func servicesText(r *model.TraceListRow) string {
	if r.ServiceCount <= 1 {
		return sanitize(firstOf(r.Services))
	}
	s := strconv.Itoa(r.ServiceCount) + " " + sanitize(strings.Join(r.Services, ", "))
	if r.ServiceCount > len(r.Services) {
		s += ", …"
	}
	return s
}

// traceTable is the table the traces view shows.
type traceTable = table[model.TraceListRow]

// tracesKind makes the traces table.
type tracesKind struct{}

func newTraceTable() *traceTable { return newTable[model.TraceListRow](tracesKind{}) }

func (tracesKind) columns() []column[model.TraceListRow] { return traceColumns() }
func (tracesKind) defaultSort() (model.Column, bool)     { return model.TraceColStart, true }
func (tracesKind) rowID(r *model.TraceListRow) uint64    { return r.ID }
func (tracesKind) dimmed(*model.TraceListRow) bool       { return false }
func (tracesKind) noun() string                          { return "traces" }
func (tracesKind) keys() *keySet                         { return tracesKeys }
func (tracesKind) fetch(src Source, q model.Query) model.Page[model.TraceListRow] {
	return src.Traces(q)
}

// cacheKey: a trace in flight shows its duration so far, which moves with
// the clock; everything else moves with its Version.
func (tracesKind) cacheKey(r *model.TraceListRow) rowKey {
	k := rowKey{version: r.Version}
	if r.Running > 0 {
		k.clock[0] = uint64(r.Duration)
	}
	return k
}

var tracesKeys = tableKeySet("traces", binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
	desc: "the selected trace's waterfall (esc comes back)", foot: "waterfall", footPrio: 70})

func (tracesKind) figures(a *App, b *strings.Builder) {}

func (tracesKind) empty(a *App) string {
	if a.opts.Listen != "" {
		return "no traces yet: point an OTLP trace exporter at " + sanitize(a.opts.Listen)
	}
	return "no traces yet"
}

func (tracesKind) act(a *App, t *traceTable, act action) (tea.Cmd, bool) {
	if act != actEnter {
		return nil, false
	}
	if t.selID == 0 || t.selRow >= len(t.rows) {
		a.statusf(false, "no trace selected")
	} else {
		a.push(newTraceView(t.rows[t.selRow].TraceID, 0))
	}
	return nil, true
}
