package agentlib

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"

	oteltrace "go.opentelemetry.io/otel/trace"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
)

func TestMetricsSent(t *testing.T) {
	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr, ServiceName: "metered", DisableExecutionTrace: true})
	want := []string{metricGoroutines, metricHeapBytes, metricHeapGoal, metricGCCycles, metricGCPause,
		metricSchedP50, metricSchedP99, metricMutexWait, metricSpansDropped}
	hasStates := len(newSampler(&agent{spans: newSpanTable()}).states) > 0
	if hasStates {
		want = append(want, metricGoroutineStates)
	}
	waitFor(t, 10*time.Second, "two metrics exports", func() bool { return len(f.metricList()) >= 2 })
	got := f.metricList()[1]
	if v, _ := attrOf(got.res, "service.name"); v.GetStringValue() != "metered" {
		t.Errorf("service.name = %s", describe(v))
	}
	for _, k := range []string{"process.pid", "process.runtime.name", "process.runtime.version", "host.name"} {
		if _, ok := attrOf(got.res, k); !ok {
			t.Errorf("resource lacks %s", k)
		}
	}
	byName := map[string]*metricspb.Metric{}
	for _, m := range got.metrics {
		byName[m.Name] = m
	}
	for _, name := range want {
		m := byName[name]
		if m == nil {
			t.Errorf("metric %s missing", name)
			continue
		}
		var points []*metricspb.NumberDataPoint
		switch d := m.Data.(type) {
		case *metricspb.Metric_Gauge:
			points = d.Gauge.DataPoints
		case *metricspb.Metric_Sum:
			points = d.Sum.DataPoints
			if !d.Sum.IsMonotonic || d.Sum.AggregationTemporality != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
				t.Errorf("%s: want a cumulative monotonic sum", name)
			}
		}
		if len(points) == 0 {
			t.Errorf("%s: no data points", name)
		}
		for _, p := range points {
			if _, ok := p.Value.(*metricspb.NumberDataPoint_AsInt); !ok || p.TimeUnixNano == 0 {
				t.Errorf("%s: want int points with a time, got %v", name, p)
			}
		}
	}
	if v := byName[metricGoroutines].GetGauge().DataPoints[0].GetAsInt(); v < 2 {
		t.Errorf("goroutines = %d", v)
	}
	if hasStates {
		states := map[string]bool{}
		for _, p := range byName[metricGoroutineStates].GetGauge().DataPoints {
			v, _ := attrOf(p.Attributes, "state")
			states[v.GetStringValue()] = true
		}
		for _, s := range []string{"running", "runnable", "waiting", "syscall"} {
			if !states[s] {
				t.Errorf("no goroutine count for state %q", s)
			}
		}
	}
}

func TestSchedLatencyQuantiles(t *testing.T) {
	s := newSampler(&agent{spans: newSpanTable()})
	s.sample() // the first sample measures from zero
	if s.hist(rmSchedLat) == nil {
		t.Skip("no /sched/latencies in this runtime")
	}
	// A burst of goroutines makes scheduling latencies to measure.
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		go func() { defer wg.Done(); runtime.Gosched() }()
	}
	wg.Wait()
	req := s.sample()
	var p50, p99 int64 = -1, -1
	for _, m := range req.ResourceMetrics[0].ScopeMetrics[0].Metrics {
		switch m.Name {
		case metricSchedP50:
			p50 = m.GetGauge().DataPoints[0].GetAsInt()
		case metricSchedP99:
			p99 = m.GetGauge().DataPoints[0].GetAsInt()
		}
	}
	if p50 <= 0 || p99 < p50 {
		t.Errorf("p50 %d, p99 %d: want 0 < p50 <= p99", p50, p99)
	}
}

// With spantop absent, Start returns at once, the application works as
// before, nothing accumulates, and stop releases everything.
func TestSpantopAbsent(t *testing.T) {
	before := runtime.NumGoroutine()
	begun := time.Now()
	stop, err := Start(context.Background(), Options{Endpoint: freeAddr(t), ExportSpans: true})
	if err != nil {
		t.Fatalf("Start with spantop absent: %v", err)
	}
	if d := time.Since(begun); d > 2*time.Second {
		t.Errorf("Start took %s with spantop absent", d)
	}
	tr := newTP(t).Tracer("test")
	var ms runtime.MemStats
	heap := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	run := func() {
		for range 20000 {
			_, s := tr.Start(context.Background(), "work")
			s.End()
		}
	}
	run()
	base := heap()
	for range 5 {
		run()
		time.Sleep(300 * time.Millisecond) // let the agent try a few times
	}
	if grown := int64(heap()) - int64(base); grown > 8<<20 {
		t.Errorf("heap grew by %d bytes with spantop absent", grown)
	}
	st := ReadStats()
	if st.Connected || st.Tracing || trace.IsEnabled() || st.LiveSpans != 0 || st.TraceQueued != 0 || st.SpansDropped != 0 {
		t.Errorf("with spantop absent: %+v, trace on %v", st, trace.IsEnabled())
	}
	begun = time.Now()
	if err := stop(context.Background()); err != nil {
		t.Errorf("stop: %v", err)
	}
	if d := time.Since(begun); d > 3*time.Second {
		t.Errorf("stop took %s", d)
	}
	if err := stop(context.Background()); err != nil {
		t.Errorf("second stop: %v", err)
	}
	waitFor(t, 5*time.Second, "agentlib's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestSpantopAppearsLater(t *testing.T) {
	addr := freeAddr(t)
	startAgent(t, Options{Endpoint: addr})
	time.Sleep(500 * time.Millisecond)
	if st := ReadStats(); st.Connected || st.Tracing {
		t.Fatalf("connected to nobody: %+v", st)
	}
	f := startFakeAt(t, addr)
	waitFor(t, 10*time.Second, "a whole trace generation", func() bool {
		for _, g := range reassemble(t, f.logList("spantop.go.trace")) {
			if g.final {
				return true
			}
		}
		return false
	})
	if len(f.metricList()) == 0 {
		t.Error("no metrics")
	}
}

func TestSpantopGoesAwayAndComesBack(t *testing.T) {
	// A worker started before agentlib (at init) is named in every
	// session, however late it starts.
	quit := make(chan struct{})
	defer close(quit)
	Go(context.Background(), "steady-worker", func(context.Context) { <-quit })
	namedIn := func(gens []*received, session int64) bool {
		var all []byte
		for _, g := range gens {
			if g.session == session && g.final {
				all = append(all, g.data...)
			}
		}
		return bytes.Contains(all, []byte(logNames)) && bytes.Contains(all, []byte(" steady-worker\n"))
	}

	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr})
	waitFor(t, 10*time.Second, "tracing", func() bool { return ReadStats().Tracing })
	first := ReadStats().TraceSession
	waitFor(t, 15*time.Second, "the worker named in the first session", func() bool {
		return namedIn(reassemble(t, f.logList("spantop.go.trace")), first)
	})

	f.close()
	waitFor(t, 10*time.Second, "tracing to stop", func() bool {
		st := ReadStats()
		return !st.Connected && !st.Tracing && !trace.IsEnabled()
	})

	f2 := startFakeAt(t, f.addr)
	var gens []*received
	waitFor(t, 15*time.Second, "a whole generation of a new session", func() bool {
		gens = reassemble(t, f2.logList("spantop.go.trace"))
		for _, g := range gens {
			if g.final && g.session != first {
				return true
			}
		}
		return false
	})
	for _, g := range gens {
		if g.session == first {
			t.Errorf("generation %d of the old session sent after the reconnect", g.gen)
		}
	}
	second := ReadStats().TraceSession
	waitFor(t, 15*time.Second, "the worker named in the new session", func() bool {
		return namedIn(reassemble(t, f2.logList("spantop.go.trace")), second)
	})
}

// A spantop that accepts connections but never answers must not slow the
// application down or make agentlib hoard memory.
func TestStalledReceiver(t *testing.T) {
	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr, ExportSpans: true})
	waitFor(t, 10*time.Second, "tracing", func() bool { return ReadStats().Tracing })
	f.setStall()
	defer f.release()

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	goroutines := runtime.NumGoroutine()

	tr := newTP(t).Tracer("test")
	// Some spans live long enough for snapshots; most end at once.
	var live []oteltrace.Span
	for range 2000 {
		_, s := tr.Start(context.Background(), "long")
		live = append(live, s)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40000 {
				_, s := tr.Start(context.Background(), "quick")
				s.End()
			}
		}()
	}
	wg.Wait() // would hang if OnStart or OnEnd waited for the network
	for _, s := range live {
		s.End()
	}
	st := ReadStats()
	if st.SpansDropped == 0 {
		t.Errorf("no spans dropped while spantop stalled: %+v", st)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grown := int64(ms.HeapAlloc) - int64(base); grown > 64<<20 {
		t.Errorf("heap grew by %d MiB while spantop stalled", grown>>20)
	}
	if n := runtime.NumGoroutine(); n > goroutines+16 {
		t.Errorf("goroutines: %d, were %d", n, goroutines)
	}
	// The metrics exports time out: agentlib takes spantop for gone.
	waitFor(t, 20*time.Second, "the trace to stop", func() bool {
		st := ReadStats()
		return !st.Connected && !st.Tracing
	})
	if q := ReadStats().TraceQueued; q != 0 {
		t.Errorf("%d trace bytes kept for a spantop that is gone", q)
	}
	f.release()
	waitFor(t, 15*time.Second, "tracing again", func() bool { return ReadStats().Tracing })
}

func TestTraceAlreadyStarted(t *testing.T) {
	if err := trace.Start(io.Discard); err != nil {
		t.Skipf("runtime/trace is already on: %v", err)
	}
	f := startFake(t)
	stop := startAgent(t, Options{Endpoint: f.addr})
	defer trace.Stop()
	defer func() { _ = stop(context.Background()) }()

	waitFor(t, 10*time.Second, "the status record", func() bool { return len(f.logList("spantop.agent.status")) > 0 })
	rec := f.logList("spantop.agent.status")[0]
	if got := rec.Body.GetStringValue(); got != msgTraceTaken {
		t.Errorf("status %q, want %q", got, msgTraceTaken)
	}
	n := len(f.metricList())
	waitFor(t, 10*time.Second, "metrics to go on", func() bool { return len(f.metricList()) >= n+2 })
	if st := ReadStats(); st.Tracing || len(f.logList("spantop.go.trace")) != 0 {
		t.Errorf("tracing without runtime/trace: %+v", st)
	}
	if len(f.logList("spantop.agent.status")) != 1 {
		t.Errorf("status said %d times, want once per connection", len(f.logList("spantop.agent.status")))
	}
}

func TestTraceBudgetTrips(t *testing.T) {
	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr, TraceBudget: 1})
	waitFor(t, 10*time.Second, "the breaker's status record", func() bool {
		for _, r := range f.logList("spantop.agent.status") {
			if strings.Contains(r.Body.GetStringValue(), "above the budget") {
				return true
			}
		}
		return false
	})
	waitFor(t, 10*time.Second, "the trace to stop", func() bool { return !ReadStats().Tracing && !trace.IsEnabled() })
	n := len(f.metricList())
	waitFor(t, 10*time.Second, "metrics to go on", func() bool { return len(f.metricList()) >= n+2 })
	if !ReadStats().Connected {
		t.Error("disconnected by the breaker")
	}
}

func TestStartStop(t *testing.T) {
	f := startFake(t)
	if _, err := Start(context.Background(), Options{Endpoint: "ftp://x"}); err == nil {
		t.Error("Start accepted a malformed endpoint")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Options{Endpoint: f.addr}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a done context: %v", err)
	}
	for i := range 2 {
		stop, err := Start(context.Background(), Options{Endpoint: f.addr})
		if err != nil {
			t.Fatalf("Start %d: %v", i, err)
		}
		if _, err := Start(context.Background(), Options{Endpoint: f.addr}); !errors.Is(err, errAlreadyStarted) {
			t.Errorf("second Start: %v", err)
		}
		waitFor(t, 10*time.Second, "tracing", func() bool { return ReadStats().Tracing })
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := stop(context.Background()); err != nil {
					t.Errorf("stop: %v", err)
				}
			}()
		}
		wg.Wait()
		if trace.IsEnabled() || ReadStats() != (Stats{}) {
			t.Errorf("after stop: trace on %v, stats %+v", trace.IsEnabled(), ReadStats())
		}
	}
	// The last generation of each session was flushed by stop.
	for _, g := range reassemble(t, f.logList("spantop.go.trace")) {
		if !g.final {
			t.Errorf("session %d generation %d left incomplete", g.session, g.gen)
		}
	}
}

// A trace.Stop elsewhere in the process ends agentlib's session; agentlib
// notices, says so, and does not stop the trace that runs next.
func TestTraceStoppedElsewhere(t *testing.T) {
	f := startFake(t)
	stop := startAgent(t, Options{Endpoint: f.addr})
	waitFor(t, 10*time.Second, "tracing", func() bool { return ReadStats().Tracing })
	trace.Stop()
	waitFor(t, 10*time.Second, "the status record", func() bool {
		for _, r := range f.logList("spantop.agent.status") {
			if r.Body.GetStringValue() == msgTraceStoppedElsewhere {
				return true
			}
		}
		return false
	})
	if ReadStats().Tracing {
		t.Error("still reports tracing")
	}
	if err := trace.Start(io.Discard); err != nil {
		t.Fatalf("trace.Start after agentlib's session ended: %v", err)
	}
	defer trace.Stop()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !trace.IsEnabled() {
		t.Error("stop ended a trace agentlib did not start")
	}
}

// stop gives up flushing when its context ends, and still releases all.
func TestStopHonoursContext(t *testing.T) {
	f := startFake(t)
	before := runtime.NumGoroutine()
	stop := startAgent(t, Options{Endpoint: f.addr, ExportSpans: true})
	waitFor(t, 10*time.Second, "tracing", func() bool { return ReadStats().Tracing })
	f.setStall()
	defer f.release()
	tr := newTP(t).Tracer("test")
	for range 100 {
		_, s := tr.Start(context.Background(), "pending")
		s.End()
	}
	time.Sleep(3 * spanTick) // an export is now waiting on the stalled receiver
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begun := time.Now()
	if err := stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stop with a stalled receiver and a short context: %v", err)
	}
	if d := time.Since(begun); d > 3*time.Second {
		t.Errorf("stop took %s with a 100ms context", d)
	}
	if trace.IsEnabled() {
		t.Error("the trace still runs after stop")
	}
	f.release()
	waitFor(t, 5*time.Second, "agentlib's goroutines to end", func() bool { return runtime.NumGoroutine() <= before+2 })
}

// With no service named, agentlib sends its metrics under the service of
// the spans it sees: one process is one service in spantop.
func TestServiceTakenFromSpans(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "")
	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr, DisableExecutionTrace: true})
	tp := newTP(t) // service.name "checkout"
	_, span := tp.Tracer("t").Start(context.Background(), "first")
	span.End()
	waitFor(t, 10*time.Second, "a metrics export", func() bool { return len(f.metricList()) >= 1 })
	res := f.metricList()[0].res
	if v, _ := attrOf(res, "service.name"); v.GetStringValue() != "checkout" {
		t.Errorf("metrics service.name = %s, want the spans' checkout", describe(v))
	}
	if _, ok := attrOf(res, "service.instance.id"); ok {
		t.Error("metrics carry a service.instance.id the spans lack")
	}
}
