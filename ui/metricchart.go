package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// metricView charts one metric over the last five minutes: all its
// streams together or the one selected, the list of its streams (each a
// link: enter charts it), and, for a distribution, its buckets.
type metricView struct {
	detailPage[model.MetricDetail]
	// stream is the stream charted; 0 charts the metric (all streams).
	stream uint64
}

func newMetricView(id uint64) *metricView {
	v := &metricView{}
	v.detailPage = newDetailPage("metric", id, "its streams stopped reporting", Source.Metric, v.build, v.titleName)
	v.jump = true
	v.byRows = true // the chart is a third of the rows high
	return v
}

var metricKeys = pageKeys("metric chart")

func (v *metricView) keys() *keySet { return metricKeys }

// titleName names the metric by its ID and its name.
func (v *metricView) titleName(a *App) (lead, rest string) {
	return idAndName(a, "metric", v.id, v.found, v.d.Name)
}

// act charts the selected stream on enter; the rest is the page's.
func (v *metricView) act(a *App, act action) (tea.Cmd, bool) {
	if act == actEnter {
		if t, ok := v.selected(); ok && t.kind == linkStream {
			v.stream = t.id
			v.build(a.st, a.now())
			v.scroll = 0 // show the chart
			return nil, true
		}
	}
	return v.page.act(a, act)
}

// chartStream returns the stream charted, nil for the whole metric.
func (v *metricView) chartStream() *model.StreamDetail {
	for i := range v.d.Streams {
		if v.d.Streams[i].ID == v.stream {
			return &v.d.Streams[i]
		}
	}
	return nil
}

// build prepares the page of the metric, found at least once, for the
// current size.
func (v *metricView) build(st *styles, now time.Time) {
	b := v.builder(st)
	w := b.w
	d := &v.d
	sep := st.muted.r(st.dot())
	head := st.serviceStyle(d.Service).r(sanitize(d.Service)) + sep + st.bold.r(sanitize(d.Name)) + sep + metricTypeText(&d.MetricRow)
	if d.Unit != "" {
		head += sep + st.muted.r("unit ") + sanitize(d.Unit)
	}
	if d.Type == model.MetricSum || d.Type == model.MetricHistogram {
		temp := "cumulative"
		if d.Delta {
			temp = "delta"
		}
		head += sep + st.muted.r(temp)
	}
	b.wrapped("  ", head)
	if d.Description != "" {
		b.wrapped("  ", st.muted.r(sanitize(d.Description)))
	}

	series, what := d.Spark, "all "+plural(len(d.Streams), "stream")
	value, p50, p99 := d.Value, d.P50, d.P99
	if s := v.chartStream(); s != nil {
		series, what = streamSeries(&d.MetricRow, s, now), "stream "+strconv.FormatUint(s.ID, 10)
		if t := fieldsText(s.Attrs); t != "" {
			what += " " + t
		}
		value, p50, p99 = s.Value, s.P50, s.P99
	} else {
		v.stream = 0
	}
	figs := metricValue(value, d.IsRate)
	if figs == "" {
		figs = "-"
	}
	if !math.IsNaN(p50) {
		figs += sep + "p50 " + fmtMetric(p50) + sep + "p99 " + fmtMetric(p99)
	}
	label := "value"
	if d.IsRate {
		label = "rate per second"
	}
	b.section("Last 5 minutes, "+label, -1)
	b.wrapped("  ", st.muted.r(sanitize(what))+sep+st.bold.r(figs))
	chartH := min(max(v.rows/3, 4), 12)
	for _, l := range chartLines(st, series, w-2, chartH) {
		b.add("  " + l)
	}

	b.section("Streams", len(d.Streams))
	mark := "  "
	if v.stream == 0 {
		mark = st.accent.r(st.sym.running) + " "
	}
	b.link(mark+"all streams together", target{linkStream, 0})
	for i := range d.Streams {
		s := &d.Streams[i]
		mark := "  "
		if s.ID == v.stream {
			mark = st.accent.r(st.sym.running) + " "
		}
		attrs := fieldsText(s.Attrs)
		if attrs == "" {
			attrs = "(no attributes)"
		}
		val := st.fit(metricValue(s.Value, s.IsRate), 11, true)
		line := mark + st.bold.r(val) + "  " + st.muted.r(st.fit(strconv.FormatUint(s.ID, 10), 5, true)) + "  " + st.truncate(attrs, max(w-24, 8))
		b.link(line, target{linkStream, s.ID})
	}

	if d.Type == model.MetricHistogram || d.Type == model.MetricExpHistogram || d.Type == model.MetricSummary {
		dist := v.distribution()
		b.section("Distribution over the last interval", len(dist))
		for _, l := range distLines(st, dist, w) {
			b.add(l)
		}
	}
	b.finish(&v.page)
	if v.sel < 0 || v.sel >= len(v.links) {
		return
	}
	// Keep the charted stream's link selected.
	if i := v.linkTo(target{linkStream, v.stream}); i >= 0 && i != v.sel {
		v.highlight(st, i)
	}
}

// distribution is the charted stream's buckets, or the buckets of all
// streams added up when their bounds agree.
func (v *metricView) distribution() []model.Bucket {
	if s := v.chartStream(); s != nil {
		return s.Distribution
	}
	var out []model.Bucket
	for i := range v.d.Streams {
		ds := v.d.Streams[i].Distribution
		switch {
		case out == nil:
			out = append([]model.Bucket(nil), ds...)
		case len(ds) == len(out):
			for j := range ds {
				if ds[j].Lo != out[j].Lo || ds[j].Hi != out[j].Hi {
					return v.d.Streams[0].Distribution
				}
				out[j].Count += ds[j].Count
			}
		default:
			return v.d.Streams[0].Distribution
		}
	}
	return out
}

// streamSeries puts a stream's samples into the steps of a metric row's
// sparkline (the latest sample of each step), NaN where none arrived.
func streamSeries(r *model.MetricRow, s *model.StreamDetail, now time.Time) []float64 {
	out := make([]float64, model.SparkPoints)
	for i := range out {
		out[i] = math.NaN()
	}
	start := now.Add(-model.MetricHistory)
	for _, p := range s.Series {
		i := int(p.At.Sub(start) / model.SparkStep)
		if i < 0 || i >= len(out) {
			continue
		}
		if r.IsRate {
			out[i] = p.Rate
		} else {
			out[i] = p.Value
		}
	}
	return out
}

// chartLines draws values (oldest first, NaN: no point) as a column chart
// w cells wide and h lines high, the columns in eighths of a cell, with
// the largest value on the top line's left and the time axis below.
func chartLines(st *styles, values []float64, w, h int) []string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range values {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if math.IsInf(lo, 1) {
		return []string{st.muted.r("no points in the last 5 minutes")}
	}
	// From zero, unless the values vary little far from it: then the
	// axis starts under the smallest, which the bottom label says.
	switch {
	case lo > 0 && hi > lo && lo > 2*(hi-lo):
		lo -= (hi - lo) / 4
	default:
		lo = min(lo, 0)
	}
	if hi <= lo {
		hi = lo + 1
	}
	labelW := 8
	plotW := max(w-labelW-2, 4)
	// Each value spans plotW/len columns; the newest at the right.
	cols := make([]float64, plotW)
	for c := range cols {
		i := c * len(values) / plotW
		cols[c] = values[min(i, len(values)-1)]
	}
	levels := st.sym.spark
	full := string(levels[len(levels)-1])
	out := make([]string, 0, h+1)
	for row := range h {
		var b strings.Builder
		label := ""
		switch row {
		case 0:
			label = fmtMetric(hi)
		case h - 1:
			label = fmtMetric(lo)
		}
		b.WriteString(st.muted.r(st.fit(label, labelW, true) + " " + st.sym.v))
		var line strings.Builder
		floor := float64(h-1-row) / float64(h) // this line's bottom, 0..1
		for _, x := range cols {
			if math.IsNaN(x) {
				line.WriteByte(' ')
				continue
			}
			f := (x - lo) / (hi - lo) // 0..1
			eighths := int((f-floor)*float64(h)*8 + 1e-9)
			switch {
			case eighths >= 8:
				line.WriteString(full)
			case eighths <= 0:
				if row == h-1 && x > lo {
					line.WriteRune(levels[0])
				} else {
					line.WriteByte(' ')
				}
			default:
				line.WriteRune(levels[eighths-1])
			}
		}
		b.WriteString(st.accent.r(line.String()))
		out = append(out, b.String())
	}
	axis := "-5m"
	mid := "-2m30s"
	end := "now"
	gap := max(plotW-len(axis)-len(mid)-len(end), 2)
	out = append(out, st.muted.r(strings.Repeat(" ", labelW+1)+" "+axis+strings.Repeat(" ", gap/2)+mid+strings.Repeat(" ", gap-gap/2)+end))
	return out
}

// distLines draws a distribution's buckets as horizontal bars, one line
// per bucket with a count (empty buckets at either end left out).
func distLines(st *styles, dist []model.Bucket, w int) []string {
	first, last := -1, -1
	var top uint64
	for i, bk := range dist {
		if bk.Count > 0 {
			if first < 0 {
				first = i
			}
			last = i
			top = max(top, bk.Count)
		}
	}
	if first < 0 {
		return []string{st.muted.r("  no observations in the last interval")}
	}
	const maxLines = 24
	var out []string
	barW := max(w-32, 4)
	for i := first; i <= last && len(out) < maxLines; i++ {
		bk := dist[i]
		rng := "(" + fmtMetric(bk.Lo) + ", " + fmtMetric(bk.Hi) + "]"
		if math.IsInf(bk.Lo, -1) {
			rng = "≤ " + fmtMetric(bk.Hi)
		}
		if math.IsInf(bk.Hi, 1) {
			rng = "> " + fmtMetric(bk.Lo)
		}
		n := int(bk.Count * uint64(barW) / max(top, 1))
		bar := strings.Repeat(st.sym.barCrit, n)
		if bk.Count > 0 && n == 0 {
			bar = st.sym.eighths[max(len(st.sym.eighths)-1, 0)]
			if bar == "" {
				bar = "."
			}
		}
		out = append(out, "  "+st.fit(rng, 18, true)+" "+st.fit(fmtCount(int64(min(bk.Count, 1<<62))), 8, true)+" "+st.accent.r(bar))
	}
	return out
}
