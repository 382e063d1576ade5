package model

import (
	"math"
	"testing"
	"time"
)

// point builds a metric point of service "api".
func (m *Model) metricBatch(points ...MetricRec) *Batch {
	w := NewAttrWriter(m.Symbols())
	w.String([]byte("service.name"), []byte("api"))
	b := &Batch{Resources: []Resource{{ServiceName: m.Symbols().InternString("api"), Attrs: w.Blob()}}}
	b.Metrics = points
	return b
}

func (m *Model) point(name string, typ MetricType, attrs map[string]string, at time.Time, v float64) MetricRec {
	w := NewAttrWriter(m.Symbols())
	for k, val := range attrs {
		w.String([]byte(k), []byte(val))
	}
	return MetricRec{Name: m.Symbols().InternString(name), Type: typ, Attrs: w.Blob(), NumAttrs: uint16(w.Len()), Time: at.UnixNano(), Value: v}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*max(1, math.Abs(b)) }

func TestCumulativeCounterRateNeverNegative(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now()
	for i, v := range []float64{100, 150, 250, 10, 40} { // a reset after 250
		p := m.point("requests", MetricSum, nil, clk.Now(), v)
		p.Monotonic, p.Start = true, start.UnixNano()
		if i >= 3 {
			p.Start = start.Add(2 * time.Second).UnixNano() // restarted
		}
		m.Apply(m.metricBatch(p))
		rows := m.Metrics(Query{Limit: 5}).Rows
		if len(rows) != 1 {
			t.Fatalf("rows %d", len(rows))
		}
		r := rows[0]
		switch i {
		case 0:
			if !math.IsNaN(r.Value) || !r.IsRate {
				t.Fatalf("first point: rate %v, want unknown", r.Value)
			}
		case 1:
			if !near(r.Value, 50) {
				t.Fatalf("rate %v, want 50/s", r.Value)
			}
		case 3:
			if r.Value < 0 || !near(r.Value, 10) { // 10 counted in the 1s since the restart
				t.Fatalf("after a reset: rate %v", r.Value)
			}
		case 4:
			if !near(r.Value, 30) {
				t.Fatalf("rate %v, want 30/s", r.Value)
			}
		}
		clk.Advance(time.Second)
	}
	d, ok := m.Metric(m.Metrics(Query{Limit: 1}).Rows[0].ID)
	if !ok || len(d.Streams) != 1 || len(d.Streams[0].Series) != 5 {
		t.Fatalf("detail %+v", d)
	}
	for _, s := range d.Streams[0].Series {
		if s.Rate < 0 {
			t.Fatalf("negative rate in the series: %+v", s)
		}
	}
}

func TestDeltaSumGaugeAndStreams(t *testing.T) {
	m, clk := newTestModel(Config{})
	for range 3 {
		now := clk.Now()
		d := m.point("bytes", MetricSum, nil, now, 20)
		d.Delta, d.Monotonic, d.Start = true, true, now.Add(-2*time.Second).UnixNano()
		m.Apply(m.metricBatch(d,
			m.point("queue.depth", MetricGauge, map[string]string{"queue": "a"}, now, 3),
			m.point("queue.depth", MetricGauge, map[string]string{"queue": "b"}, now, 8),
		))
		clk.Advance(time.Second)
	}
	rows := m.Metrics(Query{Sort: MetricName, Limit: 5}).Rows
	if len(rows) != 2 || rows[0].Name != "bytes" || rows[1].Name != "queue.depth" {
		t.Fatalf("rows %+v", rows)
	}
	if !rows[0].IsRate || !near(rows[0].Value, 10) {
		t.Errorf("delta sum rate %v, want 10/s", rows[0].Value)
	}
	if rows[1].Streams != 2 || rows[1].IsRate || rows[1].Value != 8 {
		t.Errorf("gauge row %+v", rows[1])
	}
	if n := 0; true {
		for _, v := range rows[1].Spark {
			if !math.IsNaN(v) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("empty sparkline")
		}
	}
	if p := m.Metrics(Query{Filter: "type=gauge", Limit: 5}); len(p.Rows) != 1 || p.FilterErr != "" {
		t.Errorf("type=gauge: %d rows (%s)", len(p.Rows), p.FilterErr)
	}
}

func TestHistogramPercentilesAndDistribution(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now().UnixNano()
	bounds := []float64{10, 20, 50, 100}
	send := func(counts []uint64) {
		var n uint64
		for _, c := range counts {
			n += c
		}
		p := m.point("latency", MetricHistogram, nil, clk.Now(), 0)
		p.Start, p.Hist = start, &HistPoint{Count: n, Bounds: bounds, Counts: counts}
		m.Apply(m.metricBatch(p))
		clk.Advance(time.Second)
	}
	send([]uint64{100, 0, 0, 0, 0})
	send([]uint64{100, 0, 0, 100, 0}) // this interval: 100 in (50,100]
	r := m.Metrics(Query{Limit: 1}).Rows[0]
	if r.P50 < 50 || r.P50 > 100 || r.P99 < 50 || r.P99 > 100 || !near(r.Value, 100) {
		t.Fatalf("p50 %v p99 %v rate %v: the last interval's values are all in (50,100]", r.P50, r.P99, r.Value)
	}
	d, _ := m.Metric(r.ID)
	if dist := d.Streams[0].Distribution; len(dist) != 5 || dist[3].Count != 100 || dist[0].Count != 0 {
		t.Fatalf("distribution %+v", dist)
	}

	// Exponential histogram, scale 0: bucket i is (2^i, 2^(i+1)].
	e := m.point("size", MetricExpHistogram, nil, clk.Now(), 0)
	e.Delta = true
	e.Hist = &HistPoint{Count: 100, Scale: 0, PosOffset: 3, Pos: []uint64{50, 49, 1}}
	m.Apply(m.metricBatch(e))
	rows := m.Metrics(Query{Filter: "name=size", Limit: 1}).Rows
	if len(rows) != 1 || rows[0].P50 < 8 || rows[0].P50 > 16 || rows[0].P99 < 16 || rows[0].P99 > 32 {
		t.Fatalf("exp histogram p50/p99: %+v", rows)
	}
	s := m.point("rpc", MetricSummary, nil, clk.Now(), 0)
	s.Hist = &HistPoint{Count: 10, Quantiles: []Quantile{{0.5, 3}, {0.99, 9}}}
	m.Apply(m.metricBatch(s))
	if r := m.Metrics(Query{Filter: "name=rpc", Limit: 1}).Rows[0]; r.P50 != 3 || r.P99 != 9 {
		t.Fatalf("summary %+v", r)
	}
	clk.Advance(MetricHistory + time.Minute)
	m.Sweep()
	if m.metrics.bytes != 0 {
		t.Fatalf("%d bytes still accounted with every stream gone", m.metrics.bytes)
	}
}

func TestStreamCardinalityBounded(t *testing.T) {
	m, clk := newTestModel(Config{MaxStreams: 3})
	for i := range 5 {
		m.Apply(m.metricBatch(m.point("x", MetricGauge, map[string]string{"k": string(rune('a' + i))}, clk.Now(), 1)))
	}
	h := m.Header()
	if h.Streams != 3 || h.StreamsDropped != 2 || h.Metrics != 1 {
		t.Fatalf("streams %d dropped %d metrics %d", h.Streams, h.StreamsDropped, h.Metrics)
	}
	// Streams that stop reporting go after retention, making room.
	clk.Advance(MetricHistory + time.Second)
	m.Sweep()
	if h := m.Header(); h.Streams != 0 || h.Metrics != 0 || m.metrics.bytes != 0 || len(m.metrics.byName) != 0 {
		t.Fatalf("after retention: %d streams, %d bytes", h.Streams, m.metrics.bytes)
	}
}

func TestStreamRingCoversHistory(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Hour})
	for i := range 400 {
		m.Apply(m.metricBatch(m.point("g", MetricGauge, nil, clk.Now(), float64(i))))
		clk.Advance(time.Second)
	}
	d, _ := m.Metric(m.Metrics(Query{Limit: 1}).Rows[0].ID)
	ser := d.Streams[0].Series
	if len(ser) < 290 || len(ser) > 301 || ser[len(ser)-1].Value != 399 {
		t.Fatalf("%d samples, last %v: want the last 5 minutes", len(ser), ser[len(ser)-1].Value)
	}
	for i := 1; i < len(ser); i++ {
		if !ser[i].At.After(ser[i-1].At) {
			t.Fatalf("series out of order at %d", i)
		}
	}
}
