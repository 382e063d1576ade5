package model

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Metrics columns, in display order.
const (
	MetricName Column = iota
	MetricService
	MetricTypeCol
	MetricUnit
	MetricStreams
	MetricValue
	MetricP50
	MetricP99
	MetricColumns // number of metric columns
)

// SparkPoints is the number of points of a metric's series: MetricHistory
// in steps of SparkStep.
const (
	SparkPoints = 60
	SparkStep   = MetricHistory / SparkPoints
)

// MetricRow is one row of the metrics table: a metric of one service.
type MetricRow struct {
	ID          uint64
	Name        string
	Service     string
	Type        MetricType
	Unit        string
	Description string
	// Monotonic and Delta are a sum's; Delta a histogram's temporality too.
	Monotonic, Delta bool
	Streams          int
	// Value is what the row shows: a monotonic sum's rate per second (the
	// sum over its streams), another sum's value (summed), a gauge's value
	// (the largest of its streams'), a distribution's count of
	// observations per second. IsRate says Value is a rate. NaN when not
	// known yet (a counter's first point).
	Value  float64
	IsRate bool
	// P50 and P99 are a distribution's over its last interval (the largest
	// of its streams'); NaN for other types.
	P50, P99 float64
	// Spark is Value over the last MetricHistory, SparkPoints steps,
	// oldest first; NaN where no point arrived.
	Spark []float64
}

// StreamDetail is one stream of a metric.
type StreamDetail struct {
	ID    uint64
	Attrs []Attr
	// Value, IsRate, P50 and P99 are as in MetricRow, for this stream.
	Value    float64
	IsRate   bool
	P50, P99 float64
	// Count and Sum are a distribution's totals.
	Count uint64
	Sum   float64
	// Series is every sample kept, oldest first.
	Series []MetricSample
	// Distribution is a histogram's buckets over its last interval.
	Distribution []Bucket
	LastSeen     time.Time
}

// MetricSample is one point of a stream's history.
type MetricSample struct {
	At       time.Time // when it arrived (local clock)
	Value    float64
	Rate     float64 // NaN when unknown
	P50, P99 float64 // NaN unless a distribution
}

// MetricDetail is a metric with its streams, for its chart.
type MetricDetail struct {
	MetricRow
	Streams []StreamDetail
}

// rowValue is what a stream's sample contributes to a row's Value.
func (m *metric) rowValue(s sample) (v float64, isRate bool) {
	switch {
	case m.typ == MetricSum && m.monotonic:
		return s.rate, true
	case m.typ == MetricHistogram || m.typ == MetricExpHistogram || m.typ == MetricSummary:
		return s.rate, true
	}
	return s.value, false
}

// combine merges a stream's contribution into a row's: sums and rates add
// up, gauges and percentiles take the largest.
func (m *metric) combine(acc, v float64) float64 {
	switch {
	case math.IsNaN(v):
		return acc
	case math.IsNaN(acc):
		return v
	case m.typ == MetricGauge:
		return max(acc, v)
	}
	return acc + v
}

func maxNaN(acc, v float64) float64 {
	if math.IsNaN(acc) || v > acc {
		return v
	}
	return acc
}

func (ms *metricStore) row(mm *Model, m *metric, now int64, spark bool) MetricRow {
	r := MetricRow{
		ID: m.id, Name: mm.syms.String(m.name), Service: mm.syms.String(mm.aggs.services[m.svc].name),
		Type: m.typ, Unit: mm.syms.String(m.unit), Description: mm.syms.String(m.desc),
		Monotonic: m.monotonic, Delta: m.delta, Streams: len(m.streams),
		Value: math.NaN(), P50: math.NaN(), P99: math.NaN(),
	}
	for _, st := range m.streams {
		v, isRate := m.rowValue(st.last)
		r.Value, r.IsRate = m.combine(r.Value, v), isRate
		r.P50, r.P99 = maxNaN(r.P50, st.last.p50), maxNaN(r.P99, st.last.p99)
	}
	if spark {
		r.Spark = make([]float64, SparkPoints)
		for i := range r.Spark {
			r.Spark[i] = math.NaN()
		}
		start := now - int64(MetricHistory)
		for _, st := range m.streams {
			var slot [SparkPoints]float64
			var have [SparkPoints]bool
			for i := range st.samples {
				s := st.samples[i]
				k := int((s.at - start) / int64(SparkStep))
				if k < 0 || k >= SparkPoints {
					continue
				}
				if v, _ := m.rowValue(s); !math.IsNaN(v) {
					slot[k], have[k] = v, true // the slot's last sample
				}
			}
			for k := range slot {
				if have[k] {
					r.Spark[k] = m.combine(r.Spark[k], slot[k])
				}
			}
		}
	}
	return r
}

// Metrics answers one window of the metrics table (filter as for spans:
// name=, service=, type=histogram, unit=, free text).
func (m *Model) Metrics(q Query) Page[MetricRow] {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	page := Page[MetricRow]{Selected: -1}
	f, err := parseFilter(q.Filter)
	if err != nil {
		page.FilterErr, f = err.Error(), nil
	}
	ms := m.metrics
	if ms == nil {
		return page
	}
	ranks := m.syms.rankOf(func(mark func(Sym)) {
		for _, svc := range m.aggs.services {
			mark(svc.name)
		}
		for _, mt := range ms.metrics {
			mark(mt.name)
		}
	})
	byID := make(map[uint64]*metric, len(ms.metrics))
	key := func(mt *metric) item {
		var k int64
		switch q.Sort {
		case MetricName:
			k = symKey(ranks, mt.name)
		case MetricService:
			k = symKey(ranks, m.aggs.services[mt.svc].name)
		case MetricTypeCol:
			k = int64(mt.typ)
		case MetricUnit:
			k = symKey(ranks, mt.unit)
		case MetricStreams:
			k = int64(len(mt.streams))
		case MetricValue, MetricP50, MetricP99:
			r := ms.row(m, mt, now, false)
			v := map[Column]float64{MetricValue: r.Value, MetricP50: r.P50, MetricP99: r.P99}[q.Sort]
			if math.IsNaN(v) {
				k = math.MinInt64 + 1
			} else {
				k = int64(math.Float64bits(v))
				if v < 0 {
					k = ^k | math.MinInt64 // negative floats order reversed
				}
			}
		}
		return sortItem(k, mt.id, q.Desc)
	}
	var anchor item
	hasAnchor := false
	visible := func(mt *metric) bool { return len(mt.streams) > 0 && (f == nil || m.matchMetric(f, mt)) }
	for _, mt := range ms.metrics {
		byID[mt.id] = mt
		if mt.id == q.Anchor && visible(mt) {
			anchor, hasAnchor = key(mt), true
		}
	}
	items, total, plan := scanWindow(q, anchor, hasAnchor, func(offer func(item)) {
		for _, mt := range ms.metrics {
			if visible(mt) {
				offer(key(mt))
			}
		}
	})
	page.Total, page.Offset, page.Selected = total, plan.off, plan.selected
	if page.Selected >= len(items) {
		page.Selected = len(items) - 1
	}
	for _, it := range items {
		page.Rows = append(page.Rows, ms.row(m, byID[itemID(it, q.Desc)], now, true))
	}
	return page
}

func (m *Model) matchMetric(f *filter, mt *metric) bool {
	for i := range f.terms {
		t := &f.terms[i]
		var ok bool
		switch {
		case t.field == fieldName:
			ok = t.matchSym(mt.name, m.syms)
		case t.field == fieldService:
			ok = t.matchSym(m.aggs.services[mt.svc].name, m.syms)
		case t.field == fieldKind || t.field == fieldAttr && strings.EqualFold(t.key, "type"):
			ok = t.matchString(mt.typ.String())
		case t.field == fieldAttr && strings.EqualFold(t.key, "unit"):
			ok = t.matchSym(mt.unit, m.syms)
		case t.field == fieldText:
			ok = t.matchSym(mt.name, m.syms) || t.matchSym(m.aggs.services[mt.svc].name, m.syms) || t.matchSym(mt.desc, m.syms)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

// Metric returns a metric with its streams (sorted by ID) and their
// series, for its chart.
func (m *Model) Metric(id uint64) (MetricDetail, bool) {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.metrics == nil {
		return MetricDetail{}, false
	}
	for _, mt := range m.metrics.metrics {
		if mt.id != id || len(mt.streams) == 0 {
			continue
		}
		d := MetricDetail{MetricRow: m.metrics.row(m, mt, now, true)}
		for _, st := range mt.streams {
			v, isRate := mt.rowValue(st.last)
			sd := StreamDetail{
				ID: st.id, Attrs: DecodeAttrs(st.attrs, m.syms), Value: v, IsRate: isRate,
				P50: st.last.p50, P99: st.last.p99, Count: st.count, Sum: st.sum,
				Distribution: slices.Clone(st.dist), LastSeen: time.Unix(0, st.lastSeen),
			}
			for _, s := range st.history(now) {
				sd.Series = append(sd.Series, MetricSample{At: time.Unix(0, s.at), Value: s.value, Rate: s.rate, P50: s.p50, P99: s.p99})
			}
			d.Streams = append(d.Streams, sd)
		}
		slices.SortFunc(d.Streams, func(a, b StreamDetail) int { return int(a.ID) - int(b.ID) })
		return d, true
	}
	return MetricDetail{}, false
}
