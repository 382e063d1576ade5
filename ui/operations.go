package ui

import (
	"math"
	"strings"

	tea "charm.land/bubbletea/v2"
	"time"

	"github.com/spantop/spantop/model"
)

// opColumns is the operations table: header, width, format and sort key of
// every column, in display order.
func opColumns() []column[model.OpRow] {
	dur := func(get func(*model.OpRow) time.Duration) func(*styles, *model.OpRow, int) (string, style) {
		return func(st *styles, r *model.OpRow, _ int) (string, style) {
			d := get(r)
			return st.fmtDur(d), st.durStyle(d)
		}
	}
	// measured leaves Busy and Idle blank for operations whose spans had no such times.
	measured := func(get func(*model.OpRow) time.Duration) func(*styles, *model.OpRow, int) (string, style) {
		cell := dur(get)
		return func(st *styles, r *model.OpRow, w int) (string, style) {
			if !hasOpTimes(r) {
				return "", style{}
			}
			return cell(st, r, w)
		}
	}
	return []column[model.OpRow]{
		{key: model.OpService, title: "Service", min: 8, ideal: 16, prio: 90,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) { return sanitize(r.Service), style{} }},
		{key: model.OpName, title: "Name", min: 12, ideal: 30, prio: 100, flex: 1,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) { return sanitize(r.Name), style{} }},
		{key: model.OpKind, title: "Kind", min: 8, ideal: 9, prio: 40,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) { return r.Kind.String(), st.muted }},
		{key: model.OpCount, title: "Count", min: 7, ideal: 8, prio: 95, right: true, desc: true,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) { return fmtCount(r.Count), style{} }},
		{key: model.OpRate, title: "Rate/s", min: 7, ideal: 8, prio: 92, right: true, desc: true,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) { return fmtRate(r.Rate), style{} }},
		{key: model.OpInFlight, title: "InFlight", min: 9, ideal: 9, prio: 75, right: true, desc: true,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) {
				if r.InFlight == 0 {
					return "0", st.muted
				}
				return fmtCount(r.InFlight), st.good
			}},
		{key: model.OpErrors, title: "Err%", min: 6, ideal: 6, prio: 80, right: true, desc: true,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) {
				if r.Errors == 0 {
					return "0%", st.muted
				}
				return fmtPercent(r.Errors, r.Count), st.bad
			}},
		{key: model.OpP50, title: "p50", min: 8, ideal: 9, prio: 85, right: true, desc: true,
			cell: dur(func(r *model.OpRow) time.Duration { return r.P50 })},
		{key: model.OpP95, title: "p95", min: 8, ideal: 9, prio: 70, right: true, desc: true,
			cell: dur(func(r *model.OpRow) time.Duration { return r.P95 })},
		{key: model.OpP99, title: "p99", min: 8, ideal: 9, prio: 88, right: true, desc: true,
			cell: dur(func(r *model.OpRow) time.Duration { return r.P99 })},
		{key: model.OpMax, title: "Max", min: 8, ideal: 9, prio: 65, right: true, desc: true,
			cell: dur(func(r *model.OpRow) time.Duration { return r.Max })},
		{key: model.OpBusy, group: 1, present: hasOpTimes, title: "Busy", min: 8, ideal: 9, prio: 35, right: true, desc: true,
			cell: measured(func(r *model.OpRow) time.Duration { return r.Busy })},
		{key: model.OpIdle, group: 1, present: hasOpTimes, title: "Idle", min: 8, ideal: 9, prio: 34, right: true, desc: true,
			cell: measured(func(r *model.OpRow) time.Duration { return r.Idle })},
		{key: model.OpTotal, title: "Time", min: 8, ideal: 9, prio: 91, right: true, desc: true,
			cell: dur(func(r *model.OpRow) time.Duration { return r.Total })},
		{key: noSort, title: "Rate", min: 10, ideal: 30, prio: 30, flex: 1,
			cell: func(st *styles, r *model.OpRow, w int) (string, style) { return st.sparkline(r.Spark, w), st.accent }},
	}
}

// hasOpTimes reports whether an operation's spans had busy and idle times
// (tracing-opentelemetry's, agentlib's); other operations leave the Busy
// and Idle columns out.
func hasOpTimes(r *model.OpRow) bool { return r.Busy != 0 || r.Idle != 0 }

// opTable is the operations view.
type opTable = table[model.OpRow]

// opsKind makes the operations view: the top of the system.
type opsKind struct{}

func newOpTable() *opTable { return newTable[model.OpRow](opsKind{}) }

func (opsKind) columns() []column[model.OpRow]    { return opColumns() }
func (opsKind) defaultSort() (model.Column, bool) { return model.OpTotal, true }
func (opsKind) rowID(r *model.OpRow) uint64       { return r.ID }
func (opsKind) dimmed(*model.OpRow) bool          { return false }
func (opsKind) noun() string                      { return "operations" }
func (opsKind) keys() *keySet                     { return opsKeys }
func (opsKind) cacheKey(r *model.OpRow) rowKey    { return opKey(r) }
func (opsKind) fetch(src Source, q model.Query) model.Page[model.OpRow] {
	return src.Operations(q)
}

var opsKeys = tableKeySet("operations",
	binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
		desc: "the operation's details: percentiles, histogram, recent history, slowest spans", foot: "details", footPrio: 70},
	keyOpSpans)

func (opsKind) figures(a *App, b *strings.Builder) {
	b.WriteString(a.st.muted.r(" " + a.st.sym.bullet + " "))
	b.WriteString(plural(a.hdr.Services, "service"))
}

func (opsKind) empty(a *App) string {
	if a.opts.Listen != "" {
		return "no operations yet: point an OTLP exporter at " + sanitize(a.opts.Listen)
	}
	return "no operations yet"
}

func (opsKind) act(a *App, t *opTable, act action) (tea.Cmd, bool) {
	switch act {
	case actEnter:
		if t.selID == 0 || len(t.rows) == 0 {
			a.statusf(false, "no operation selected")
			break
		}
		a.open(target{linkOperation, t.selID})
	case actSpans:
		if t.selRow < len(t.rows) {
			r := &t.rows[t.selRow]
			a.showOpSpans(r.Service, r.Name, r.Kind)
		}
	default:
		return nil, false
	}
	return nil, true
}

// opKey is an operation row's cache key: its Version, and its rate and
// sparkline, which move with the clock (the sparkline's counts are folded
// into one number).
func opKey(r *model.OpRow) rowKey {
	var spark uint64
	for _, v := range r.Spark {
		spark = spark*1099511628211 + uint64(v) + 1
	}
	return rowKey{version: r.Version, clock: [3]uint64{math.Float64bits(r.Rate), spark}}
}
