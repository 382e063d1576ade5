package model

import (
	"testing"
	"time"
)

func opID(t *testing.T, m *Model, name string) uint64 {
	t.Helper()
	for _, r := range m.Operations(Query{Sort: OpName, Limit: 100}).Rows {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no operation %q", name)
	return 0
}

func TestOperationDetailPercentilesAndHistogram(t *testing.T) {
	m, clk := newTestModel(Config{})
	var specs []spec
	for i := range 100 {
		specs = append(specs, spec{trace: uint64(i + 1), span: 1, name: "GET /x", start: clk.Now(), dur: time.Duration(i+1) * time.Millisecond})
	}
	m.Apply(m.batch(specs...))
	d, ok := m.Operation(opID(t, m, "GET /x"), 10)
	if !ok {
		t.Fatal("not found")
	}
	l := d.Latency
	if l.Count != 100 || l.Min != time.Millisecond || l.Max != 100*time.Millisecond || len(l.Percentiles) != len(PercentileRanks) {
		t.Fatalf("latency = %+v", l)
	}
	for k, p := range PercentileRanks {
		want := time.Duration(p) * time.Millisecond
		if p == 99.9 {
			want = 100 * time.Millisecond
		}
		if got := l.Percentiles[k]; got < want*98/100 || got > want*102/100 {
			t.Errorf("p%v = %v, want about %v", p, got, want)
		}
	}
	var sum uint64
	for k, n := range l.Buckets {
		sum += n
		if n < 9 || n > 11 {
			t.Errorf("bucket %d [%v, %v) holds %d of a uniform 100", k, l.BucketEdges[k], l.BucketEdges[k+1], n)
		}
	}
	if sum != 100 || len(l.BucketEdges) != 11 || l.BucketEdges[0] != time.Millisecond || l.BucketEdges[10] < 100*time.Millisecond {
		t.Errorf("sum %d edges %v", sum, l.BucketEdges)
	}
	if d.Row.Count != 100 || d.Row.Name != "GET /x" {
		t.Errorf("row = %+v", d.Row)
	}
	if _, ok := m.Operation(999, 10); ok {
		t.Error("unknown operation found")
	}
}

func TestOperationDetailOutliers(t *testing.T) {
	m, clk := newTestModel(Config{})
	var specs []spec
	for i := range 1000 {
		specs = append(specs, spec{trace: uint64(i + 1), span: 1, name: "q", start: clk.Now(), dur: time.Duration(10+i%10) * time.Millisecond})
	}
	specs = append(specs, spec{trace: 5000, span: 1, name: "q", start: clk.Now(), dur: 30 * time.Second})
	m.Apply(m.batch(specs...))
	d, _ := m.Operation(opID(t, m, "q"), 20)
	var sum uint64
	for _, n := range d.Latency.Buckets {
		sum += n
	}
	if d.Latency.Count-sum != 1 || d.Latency.Max != 30*time.Second || d.Latency.BucketEdges[20] > time.Second {
		t.Errorf("outliers %d max %v top edge %v", d.Latency.Count-sum, d.Latency.Max, d.Latency.BucketEdges[20])
	}
}

func TestOperationDetailHistory(t *testing.T) {
	m, clk := newTestModel(Config{})
	// Align to a step so the arithmetic below is exact.
	clk.Advance(time.Duration(OpStep.Nanoseconds() - clk.Now().UnixNano()%OpStep.Nanoseconds()))
	n := uint64(0)
	send := func(count int, dur time.Duration, status StatusCode) {
		var specs []spec
		for range count {
			n++
			specs = append(specs, spec{trace: n, span: 1, name: "job", start: clk.Now().Add(-dur), dur: dur, status: status})
		}
		m.Apply(m.batch(specs...))
	}
	send(10, 10*time.Millisecond, StatusOK) // step 0
	clk.Advance(OpStep)
	send(5, 200*time.Millisecond, StatusError) // step 1
	clk.Advance(3 * OpStep)
	send(20, time.Millisecond, StatusOK) // step 4, still open
	d, _ := m.Operation(opID(t, m, "job"), 10)
	if len(d.Rate) != opSteps || len(d.P99) != opSteps || d.Step != OpStep {
		t.Fatalf("history lengths %d %d", len(d.Rate), len(d.P99))
	}
	last := opSteps - 1
	checks := []struct {
		k      int
		rate   float64
		errors uint32
		p99    time.Duration
	}{
		{last - 4, 2, 0, 10 * time.Millisecond},
		{last - 3, 1, 5, 200 * time.Millisecond},
		{last - 2, 0, 0, 0},
		{last, 4, 0, time.Millisecond},
	}
	for _, c := range checks {
		if d.Rate[c.k] != c.rate || d.Errors[c.k] != c.errors || d.P99[c.k] < c.p99*99/100 || d.P99[c.k] > c.p99*101/100 {
			t.Errorf("step %d: rate %v errors %d p99 %v, want %v %d %v", c.k, d.Rate[c.k], d.Errors[c.k], d.P99[c.k], c.rate, c.errors, c.p99)
		}
	}
	if d.Rate[0] != 0 {
		t.Errorf("oldest step %v", d.Rate[0])
	}
	// The history moves with the clock and forgets what is older than OpHistory.
	clk.Advance(OpHistory - OpStep)
	d, _ = m.Operation(opID(t, m, "job"), 10)
	if d.Rate[0] != 4 || d.Rate[1] != 0 {
		t.Errorf("after the history's length: %v", d.Rate[:3])
	}
	clk.Advance(OpStep)
	send(1, time.Millisecond, StatusOK)
	d, _ = m.Operation(opID(t, m, "job"), 10)
	var total float64
	for _, r := range d.Rate {
		total += r
	}
	if total != 0.2 {
		t.Errorf("rates after the history wrapped: %v", d.Rate)
	}
}

func TestOperationDetailSlowestAndRunning(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Minute})
	var specs []spec
	for i := range 30 {
		specs = append(specs, spec{trace: uint64(i + 1), span: 1, name: "job", start: clk.Now(), dur: time.Duration(i+1) * time.Millisecond})
	}
	for i := range 12 {
		specs = append(specs, spec{trace: uint64(100 + i), span: 1, name: "job", start: clk.Now().Add(-time.Duration(i) * time.Second), inflight: true, seq: 1})
	}
	m.Apply(m.batch(specs...))
	d, _ := m.Operation(opID(t, m, "job"), 10)
	if len(d.Slowest) != slowKept {
		t.Fatalf("%d slowest", len(d.Slowest))
	}
	for k, s := range d.Slowest {
		if want := time.Duration(30-k) * time.Millisecond; s.Duration != want || !s.Stored || s.TraceID != traceID(uint64(30-k)) {
			t.Errorf("slowest[%d] = %+v, want %v", k, s, want)
		}
	}
	// They open: the IDs are those of the stored spans.
	if sd, ok := m.Span(d.Slowest[0].ID); !ok || sd.Duration != 30*time.Millisecond {
		t.Errorf("slowest span: %+v", sd)
	}
	if len(d.Running) != maxOpRunning || d.Running[0].Duration != 11*time.Second || d.Running[9].Duration != 2*time.Second {
		t.Errorf("running: %d, first %v last %v", len(d.Running), d.Running[0].Duration, d.Running[len(d.Running)-1].Duration)
	}
	// Evicted spans stay listed, marked.
	clk.Advance(2 * time.Minute)
	m.Sweep()
	d, _ = m.Operation(opID(t, m, "job"), 10)
	if len(d.Slowest) != slowKept || d.Slowest[0].Stored {
		t.Errorf("after retention: %d, stored %v", len(d.Slowest), d.Slowest[0].Stored)
	}
	// And they are forgotten once older than the history.
	clk.Advance(OpHistory)
	d, _ = m.Operation(opID(t, m, "job"), 10)
	if len(d.Slowest) != 0 {
		t.Errorf("%d slowest after the history", len(d.Slowest))
	}
}

func TestOperationHistoryChargedToBudget(t *testing.T) {
	m, clk := newTestModel(Config{})
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "job", start: clk.Now(), inflight: true, seq: 1}))
	before := m.aggs.bytes
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "job", start: clk.Now(), dur: time.Millisecond}))
	if grew := m.aggs.bytes - before; grew < opHistoryBytes {
		t.Errorf("the first finished span charged %d bytes, want at least %d", grew, opHistoryBytes)
	}
	before = m.aggs.bytes
	m.Apply(m.batch(spec{trace: 2, span: 1, name: "job", start: clk.Now(), dur: time.Millisecond}))
	if m.aggs.bytes != before {
		t.Errorf("a second span in the same bucket charged %d bytes", m.aggs.bytes-before)
	}
}
