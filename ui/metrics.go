package ui

import (
	"math"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// metricColumns is the metrics table: header, width, format and sort key
// of every column, in display order.
func metricColumns() []column[model.MetricRow] {
	return []column[model.MetricRow]{
		{key: model.MetricName, title: "Name", min: 14, ideal: 30, prio: 100, flex: 1,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) { return sanitize(r.Name), style{} }},
		{key: model.MetricService, title: "Service", min: 8, ideal: 12, prio: 90,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) {
				return sanitize(r.Service), st.serviceStyle(r.Service)
			}},
		{key: model.MetricTypeCol, title: "Type", min: 7, ideal: 9, prio: 72,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) { return metricTypeText(r), st.muted }},
		{key: model.MetricUnit, title: "Unit", min: 5, ideal: 7, prio: 60,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) { return sanitize(r.Unit), st.muted }},
		{key: model.MetricStreams, title: "Strm", min: 5, ideal: 5, prio: 65, right: true, desc: true,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) { return strconv.Itoa(r.Streams), style{} }},
		{key: model.MetricValue, title: "Value", min: 10, ideal: 11, prio: 95, right: true, desc: true,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) {
				return metricValue(r.Value, r.IsRate), st.bold
			}},
		{key: model.MetricP50, title: "p50", min: 8, ideal: 8, prio: 70, right: true, desc: true,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) { return fmtMetric(r.P50), style{} }},
		{key: model.MetricP99, title: "p99", min: 8, ideal: 8, prio: 80, right: true, desc: true,
			cell: func(st *styles, r *model.MetricRow, _ int) (string, style) { return fmtMetric(r.P99), style{} }},
		{key: noSort, title: "Last 5m", min: 10, ideal: 30, prio: 85, flex: 1,
			cell: func(st *styles, r *model.MetricRow, w int) (string, style) {
				return st.floatSparkline(r.Spark, w), st.accent
			}},
	}
}

// metricTypeText names a metric's type the way a user thinks of it.
func metricTypeText(r *model.MetricRow) string {
	switch {
	case r.Type == model.MetricSum && r.Monotonic:
		return "counter"
	case r.Type == model.MetricSum:
		return "updown"
	case r.Type == model.MetricExpHistogram:
		return "exphist"
	case r.Type == model.MetricHistogram:
		return "histogram"
	}
	return r.Type.String()
}

// metricValue formats a row's value, a rate with /s.
func metricValue(v float64, isRate bool) string {
	s := fmtMetric(v)
	if isRate && s != "" {
		s += "/s"
	}
	return s
}

// fmtMetric formats a metric value in four significant digits with an
// SI suffix; NaN (not known yet) is blank.
func fmtMetric(v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	a := math.Abs(v)
	for _, u := range []struct {
		f float64
		s string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e4, "k"}} {
		if a >= u.f {
			return strconv.FormatFloat(v/u.f, 'f', 2, 64) + u.s
		}
	}
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.001:
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	return strconv.FormatFloat(v, 'e', 2, 64)
}

// floatSparkline draws values (NaN: no point) in w cells, scaled from the
// smallest to the largest value, the newest at the right.
func (s *styles) floatSparkline(v []float64, w int) string {
	if w <= 0 {
		return ""
	}
	if len(v) > w {
		v = v[len(v)-w:]
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if !math.IsNaN(x) {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if lo > 0 {
		lo = 0 // bars from zero unless the values go below it
	}
	levels := s.sym.spark
	var b strings.Builder
	b.Grow(w * 3)
	b.WriteString(strings.Repeat(" ", w-len(v)))
	for _, x := range v {
		switch {
		case math.IsNaN(x):
			b.WriteByte(' ')
		case hi <= lo:
			b.WriteRune(levels[0])
		default:
			i := int((x - lo) / (hi - lo) * float64(len(levels)-1))
			b.WriteRune(levels[min(max(i, 0), len(levels)-1)])
		}
	}
	return b.String()
}

// metricTable is the metrics view.
type metricTable = table[model.MetricRow]

// metricsKind makes the metrics view: one row per metric of a service.
type metricsKind struct{}

func newMetricTable() *metricTable { return newTable[model.MetricRow](metricsKind{}) }

func (metricsKind) columns() []column[model.MetricRow] { return metricColumns() }
func (metricsKind) defaultSort() (model.Column, bool)  { return model.MetricName, false }
func (metricsKind) rowID(r *model.MetricRow) uint64    { return r.ID }
func (metricsKind) dimmed(*model.MetricRow) bool       { return false }
func (metricsKind) noun() string                       { return "metrics" }
func (metricsKind) keys() *keySet                      { return metricsKeys }
func (metricsKind) cacheKey(r *model.MetricRow) rowKey { return metricKey(r) }
func (metricsKind) fetch(src Source, q model.Query) model.Page[model.MetricRow] {
	return src.Metrics(q)
}

var metricsKeys = tableKeySet("metrics",
	binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
		desc: "the metric's chart over the last 5 minutes, its streams and, for a histogram, its distribution", foot: "chart", footPrio: 70})

func (metricsKind) figures(a *App, b *strings.Builder) {
	st, h := a.st, a.hdr
	b.WriteString(st.muted.r(" " + st.sym.bullet + " "))
	b.WriteString(plural(h.Streams, "stream"))
	if h.StreamsDropped > 0 {
		b.WriteString(st.muted.r(" " + st.sym.bullet + " "))
		b.WriteString(st.bad.r(fmtCount(h.StreamsDropped) + " dropped (--max-streams)"))
	}
}

func (metricsKind) empty(a *App) string {
	if a.opts.Listen != "" {
		return "no metrics yet: point an OTLP metric exporter at " + sanitize(a.opts.Listen)
	}
	return "no metrics yet"
}

func (metricsKind) act(a *App, t *metricTable, act action) (tea.Cmd, bool) {
	if act != actEnter {
		return nil, false
	}
	if t.selID == 0 || len(t.rows) == 0 {
		a.statusf(false, "no metric selected")
	} else {
		a.push(newMetricView(t.selID))
	}
	return nil, true
}

// metricKey is a metric row's cache key: the figures it shows, which move
// with every export (metric rows carry no version), the sparkline folded
// into one number.
func metricKey(r *model.MetricRow) rowKey {
	spark := uint64(r.Streams)
	for _, v := range r.Spark {
		spark = spark*1099511628211 + math.Float64bits(v)
	}
	return rowKey{clock: [3]uint64{math.Float64bits(r.Value), math.Float64bits(r.P50)*31 + math.Float64bits(r.P99), spark}}
}
