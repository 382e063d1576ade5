package agentlib

import (
	"math"
	"runtime/metrics"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
)

// Names of the runtime metrics agentlib sends (DESIGN.md §5).
const (
	metricGoroutines      = "spantop.go.goroutines"
	metricGoroutineStates = "spantop.go.goroutines.state"
	metricHeapBytes       = "spantop.go.heap.bytes"
	metricHeapGoal        = "spantop.go.heap.goal"
	metricGCCycles        = "spantop.go.gc.cycles"
	metricGCPause         = "spantop.go.gc.pause"
	metricSchedP50        = "spantop.go.sched.latency.p50"
	metricSchedP99        = "spantop.go.sched.latency.p99"
	metricMutexWait       = "spantop.go.mutex.wait"

	// agentlib's own counters, so that its losses show in spantop.
	metricSpansDropped = "spantop.agent.spans.dropped"
	metricTraceDropped = "spantop.agent.trace.dropped_generations"
	metricTraceBytes   = "spantop.agent.trace.bytes"
)

// runtime/metrics names read. The goroutine states exist from Go 1.26 on;
// a name the running Go does not know is skipped.
const (
	rmGoroutines = "/sched/goroutines:goroutines"
	rmRunning    = "/sched/goroutines/running:goroutines"
	rmRunnable   = "/sched/goroutines/runnable:goroutines"
	rmWaiting    = "/sched/goroutines/waiting:goroutines"
	rmNotInGo    = "/sched/goroutines/not-in-go:goroutines"
	rmHeap       = "/memory/classes/heap/objects:bytes"
	rmHeapGoal   = "/gc/heap/goal:bytes"
	rmGCCycles   = "/gc/cycles/total:gc-cycles"
	rmGCPauses   = "/sched/pauses/total/gc:seconds"
	rmSchedLat   = "/sched/latencies:seconds"
	rmMutexWait  = "/sync/mutex/wait/total:seconds"
)

// sampler reads runtime/metrics into OTLP. It belongs to the control
// goroutine: samples and the previous latency histogram are reused.
type sampler struct {
	a       *agent
	samples []metrics.Sample
	index   map[string]int
	states  []stateSample // goroutine states the runtime reports
	prevLat []uint64      // /sched/latencies counts at the last sample
	start   uint64        // start time of cumulative sums, Unix ns
}

type stateSample struct {
	state string
	i     int
}

func newSampler(a *agent) *sampler {
	known := map[string]bool{}
	for _, d := range metrics.All() {
		known[d.Name] = true
	}
	s := &sampler{a: a, index: map[string]int{}, start: uint64(time.Now().UnixNano())}
	for _, name := range []string{rmGoroutines, rmRunning, rmRunnable, rmWaiting, rmNotInGo,
		rmHeap, rmHeapGoal, rmGCCycles, rmGCPauses, rmSchedLat, rmMutexWait} {
		if !known[name] {
			continue
		}
		s.index[name] = len(s.samples)
		s.samples = append(s.samples, metrics.Sample{Name: name})
	}
	for _, st := range [...]struct{ state, name string }{
		{"running", rmRunning}, {"runnable", rmRunnable}, {"waiting", rmWaiting}, {"syscall", rmNotInGo},
	} {
		if i, ok := s.index[st.name]; ok {
			s.states = append(s.states, stateSample{st.state, i})
		}
	}
	return s
}

// sample reads the runtime's metrics now and builds an export request.
func (s *sampler) sample() *metricspb.MetricsData {
	metrics.Read(s.samples)
	now := uint64(time.Now().UnixNano())
	var ms []*metricspb.Metric
	gauge := func(name, unit string, v int64, attrs ...*commonpb.KeyValue) *metricspb.Metric {
		return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
			DataPoints: []*metricspb.NumberDataPoint{intPoint(now, 0, v, attrs)}}}}
	}
	sum := func(name, unit string, v int64) *metricspb.Metric {
		return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
			AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE,
			IsMonotonic:            true,
			DataPoints:             []*metricspb.NumberDataPoint{intPoint(now, s.start, v, nil)}}}}
	}
	if v, ok := s.uint(rmGoroutines); ok {
		ms = append(ms, gauge(metricGoroutines, "{goroutine}", v))
	}
	if len(s.states) > 0 {
		g := &metricspb.Gauge{}
		for _, st := range s.states {
			v := s.samples[st.i].Value
			if v.Kind() != metrics.KindUint64 {
				continue
			}
			g.DataPoints = append(g.DataPoints, intPoint(now, 0, clampInt(v.Uint64()),
				[]*commonpb.KeyValue{kv("state", stringValue(st.state))}))
		}
		ms = append(ms, &metricspb.Metric{Name: metricGoroutineStates, Unit: "{goroutine}", Data: &metricspb.Metric_Gauge{Gauge: g}})
	}
	if v, ok := s.uint(rmHeap); ok {
		ms = append(ms, gauge(metricHeapBytes, "By", v))
	}
	if v, ok := s.uint(rmHeapGoal); ok {
		ms = append(ms, gauge(metricHeapGoal, "By", v))
	}
	if v, ok := s.uint(rmGCCycles); ok {
		ms = append(ms, sum(metricGCCycles, "{gc_cycle}", v))
	}
	if h := s.hist(rmGCPauses); h != nil {
		ms = append(ms, sum(metricGCPause, "ns", histTotalNs(h)))
	}
	if h := s.hist(rmSchedLat); h != nil {
		p50, p99 := s.latency(h)
		ms = append(ms, gauge(metricSchedP50, "ns", p50), gauge(metricSchedP99, "ns", p99))
	}
	if i, ok := s.index[rmMutexWait]; ok && s.samples[i].Value.Kind() == metrics.KindFloat64 {
		ms = append(ms, sum(metricMutexWait, "ns", secondsToNs(s.samples[i].Value.Float64())))
	}
	ms = append(ms, sum(metricSpansDropped, "{span}", clampInt(s.a.spans.dropped.Load())))
	if t := s.a.tracer; t != nil {
		ms = append(ms,
			sum(metricTraceDropped, "{generation}", clampInt(t.dropped.Load())),
			sum(metricTraceBytes, "By", clampInt(t.bytes.Load())))
	}
	return &metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource:     s.a.resPB,
		ScopeMetrics: []*metricspb.ScopeMetrics{{Scope: agentScope(), Metrics: ms}},
	}}}
}

func intPoint(now, start uint64, v int64, attrs []*commonpb.KeyValue) *metricspb.NumberDataPoint {
	return &metricspb.NumberDataPoint{
		TimeUnixNano:      now,
		StartTimeUnixNano: start,
		Value:             &metricspb.NumberDataPoint_AsInt{AsInt: v},
		Attributes:        attrs,
	}
}

func (s *sampler) uint(name string) (int64, bool) {
	i, ok := s.index[name]
	if !ok || s.samples[i].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return clampInt(s.samples[i].Value.Uint64()), true
}

func (s *sampler) hist(name string) *metrics.Float64Histogram {
	i, ok := s.index[name]
	if !ok || s.samples[i].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s.samples[i].Value.Float64Histogram()
}

// latency returns the 50th and 99th percentiles, in ns, of the scheduling
// latencies recorded since the previous sample (0 when there were none).
func (s *sampler) latency(h *metrics.Float64Histogram) (p50, p99 int64) {
	if len(s.prevLat) != len(h.Counts) {
		// First sample (or the buckets changed): measure from nothing.
		s.prevLat = make([]uint64, len(h.Counts))
	}
	var total uint64
	for i, c := range h.Counts {
		total += c - min(c, s.prevLat[i])
	}
	if total > 0 {
		p50 = quantileNs(h, s.prevLat, total, 0.50)
		p99 = quantileNs(h, s.prevLat, total, 0.99)
	}
	copy(s.prevLat, h.Counts)
	return p50, p99
}

// quantileNs finds the bucket holding quantile q of the counts h minus
// prev (total of them) and returns its upper bound in ns (its lower bound
// for the last, unbounded bucket).
func quantileNs(h *metrics.Float64Histogram, prev []uint64, total uint64, q float64) int64 {
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.Counts {
		seen += c - min(c, prev[i])
		if seen >= rank {
			hi := h.Buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = h.Buckets[i]
			}
			return secondsToNs(hi)
		}
	}
	return secondsToNs(h.Buckets[len(h.Buckets)-1])
}

// histTotalNs estimates the sum of a duration histogram, taking each
// bucket at its midpoint (the runtime keeps no exact total of GC pauses).
func histTotalNs(h *metrics.Float64Histogram) int64 {
	var total float64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		switch {
		case math.IsInf(lo, -1):
			lo = 0
		case math.IsInf(hi, 1):
			hi = lo
		}
		total += float64(c) * (lo + hi) / 2
	}
	return secondsToNs(total)
}

func secondsToNs(s float64) int64 {
	ns := s * 1e9
	switch {
	case math.IsNaN(ns) || ns <= 0:
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(ns)
}

func clampInt(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
