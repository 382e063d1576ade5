package model

import (
	"strings"
	"testing"
	"time"
)

// warnCount returns the panel's count for a kind (0 when absent).
func warnCount(m *Model, k WarnKind) int64 {
	for _, w := range m.Warnings() {
		if w.Kind == k {
			return w.Count
		}
	}
	return 0
}

// taskWarnings returns the Warn column of the task named name.
func taskWarnings(t *testing.T, m *Model, name string) int {
	t.Helper()
	p := m.Tasks(Query{Sort: TaskID, Limit: 100, Filter: "name=" + name})
	if len(p.Rows) == 0 {
		p = m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 100, Filter: "name=" + name})
	}
	if len(p.Rows) != 1 {
		t.Fatalf("%d rows named %q", len(p.Rows), name)
	}
	return p.Rows[0].Warnings
}

func TestWarnSpanInFlightTooLong(t *testing.T) {
	for _, tc := range []struct {
		live time.Duration
		want int64
	}{{11 * time.Second, 1}, {5 * time.Second, 0}} {
		m, clk := newTestModel(Config{})
		start := clk.Now()
		for s := time.Duration(0); s <= tc.live; s += time.Second {
			m.Apply(m.batch(spec{trace: 1, span: 1, name: "job", start: start, inflight: true, seq: uint32(s/time.Second) + 1}))
			m.Sweep()
			clk.Advance(time.Second)
		}
		if got := warnCount(m, WarnLongInFlight); got != tc.want {
			t.Errorf("live %v: %d warnings, want %d", tc.live, got, tc.want)
		}
		if got := taskWarnings(t, m, "job"); int64(got) != tc.want {
			t.Errorf("live %v: Warn column %d, want %d", tc.live, got, tc.want)
		}
	}
}

func TestWarnLostSpan(t *testing.T) {
	m, clk := newTestModel(Config{})
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "gone", start: clk.Now(), inflight: true, seq: 1},
		spec{trace: 2, span: 2, name: "alive", start: clk.Now(), inflight: true, seq: 1}))
	for s := uint32(2); s <= 5; s++ {
		clk.Advance(time.Second)
		m.Apply(m.batch(spec{trace: 2, span: 2, name: "alive", start: clk.Now(), inflight: true, seq: s}))
		m.Sweep()
	}
	if warnCount(m, WarnLost) != 1 || taskWarnings(t, m, "gone") != 1 || taskWarnings(t, m, "alive") != 0 {
		t.Fatalf("lost warnings: %+v", m.Warnings())
	}
	d, _ := m.Span(m.Tasks(Query{Sort: TaskID, Limit: 1, Filter: "name=gone"}).Rows[0].ID)
	if len(d.Warnings) != 1 {
		t.Fatalf("details warnings = %q", d.Warnings)
	}
	// It comes back: the warning goes.
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "gone", start: clk.Now(), inflight: true, seq: 9}))
	if warnCount(m, WarnLost) != 0 {
		t.Fatalf("lost warning stayed after the span came back")
	}
}

func TestWarnClientWithoutRemoteChild(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now()
	m.Apply(m.batch(
		// Trace 1: the client's only child is its own retry, in its own
		// service: the far end never joined the trace.
		spec{trace: 1, span: 1, name: "call-a", service: "web", kind: KindClient, start: now, dur: time.Millisecond},
		spec{trace: 1, span: 2, parent: 1, name: "retry-a", service: "web", kind: KindInternal, start: now, dur: time.Millisecond},
		// Trace 4: a SERVER child in the same service is the far end of
		// the call (a load generator or a test tracing both ends).
		spec{trace: 4, span: 6, name: "call-c", service: "web", kind: KindClient, start: now, dur: time.Millisecond},
		spec{trace: 4, span: 7, parent: 6, name: "handle-c", service: "web", kind: KindServer, start: now, dur: time.Millisecond},
		// Trace 2: the child is in another service.
		spec{trace: 2, span: 3, name: "call-b", service: "web", kind: KindClient, start: now, dur: time.Millisecond},
		spec{trace: 2, span: 4, parent: 3, name: "handle-b", service: "api", kind: KindServer, start: now, dur: time.Millisecond},
		// Trace 3: a database call has no instrumented peer.
		spec{trace: 3, span: 5, name: "SELECT", service: "web", kind: KindClient, start: now, dur: time.Millisecond, attrs: map[string]string{"db.system": "postgresql"}},
	))
	clk.Advance(4 * time.Second)
	m.Sweep()
	if n := warnCount(m, WarnNoRemoteChild); n != 0 {
		t.Fatalf("judged before the trace was quiet: %d", n)
	}
	clk.Advance(2 * time.Second)
	m.Sweep()
	if warnCount(m, WarnNoRemoteChild) != 1 || taskWarnings(t, m, "call-a") != 1 || taskWarnings(t, m, "call-b") != 0 || taskWarnings(t, m, "call-c") != 0 || taskWarnings(t, m, "SELECT") != 0 {
		t.Fatalf("no-remote-child: %+v", m.Warnings())
	}
}

func TestWarnOrphanClearsWhenTheParentArrives(t *testing.T) {
	m, clk := newTestModel(Config{})
	m.Apply(m.batch(spec{trace: 1, span: 2, parent: 1, name: "child", start: clk.Now(), dur: time.Millisecond},
		spec{trace: 2, span: 4, parent: 3, name: "fine", start: clk.Now(), dur: time.Millisecond},
		spec{trace: 2, span: 3, name: "root", start: clk.Now(), dur: 2 * time.Millisecond}))
	clk.Advance(6 * time.Second)
	m.Sweep()
	if warnCount(m, WarnOrphan) != 1 || taskWarnings(t, m, "child") != 1 || taskWarnings(t, m, "fine") != 0 {
		t.Fatalf("orphans: %+v", m.Warnings())
	}
	for filter, want := range map[string]int{"warn=orphan": 1, "warn>0": 1, "warn=0": 2, "warn!=orphan": 2, "warn=lost": 0} {
		if p := m.Tasks(Query{Sort: TaskID, Limit: 10, Filter: filter}); p.Total != want || p.FilterErr != "" {
			t.Errorf("%s: %d rows (%s), want %d", filter, p.Total, p.FilterErr, want)
		}
	}
	if p := m.Tasks(Query{Limit: 1, Filter: "warn=nonsense"}); !strings.Contains(p.FilterErr, "orphan") {
		t.Errorf("bad warn filter error = %q", p.FilterErr)
	}
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "late-parent", start: clk.Now(), dur: time.Millisecond}))
	clk.Advance(6 * time.Second)
	m.Sweep()
	if warnCount(m, WarnOrphan) != 0 {
		t.Fatalf("orphan warning stayed after the parent arrived: %+v", m.Warnings())
	}
}

func TestWarnRootBurstInsideALiveSpan(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inside bool
		roots  int
		want   int64
		inProc bool // the live server span is the child of a client span of the same process
		// parent: the server span's parent has not arrived; local: the
		// sender flagged it as in the same process.
		parent, local bool
	}{{"burst inside a live request", true, 6, 2, false, false, false}, {"few roots", true, 4, 0, false, false, false},
		{"no live request", false, 6, 0, false, false, false},
		{"a load generator tracing both ends", true, 6, 0, true, false, false},
		{"a request from another process whose caller's span is still to come", true, 6, 2, false, true, false},
		{"a load generator whose client span ends after the bursts", true, 6, 0, false, true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			m, clk := newTestModel(Config{})
			start := clk.Now()
			if tc.inside {
				srv := spec{trace: 100, span: 100, name: "GET /order", kind: KindServer, start: start, inflight: true, seq: 1}
				if tc.inProc {
					m.Apply(m.batch(spec{trace: 100, span: 99, name: "call", kind: KindClient, start: start, inflight: true, seq: 1}))
					srv.parent = 99
				}
				if tc.parent {
					srv.parent = 98
				}
				b := m.batch(srv)
				b.Spans[0].ParentLocal = tc.local
				m.Apply(b)
			}
			for r := range tc.roots {
				m.Apply(m.batch(spec{trace: uint64(r + 1), span: uint64(r + 1), name: "detached", kind: KindInternal,
					start: start.Add(time.Duration(r+1) * 10 * time.Millisecond), dur: time.Millisecond}))
			}
			if got := warnCount(m, WarnRootBurst); got != tc.want {
				t.Fatalf("root-burst warnings = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestWarnGoroutines(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now().UnixNano()
	rb := &RuntimeBatch{Resource: m.svcResource("worker"), Session: 1, Start: now - 1e9, End: now,
		SyncResources: []SyncResourceRec{
			{Kind: WaitChanRecv, Location: "main.leak main.go:9"},
			{Kind: WaitChanRecv, Location: "main.loop main.go:30", Waiters: 1},
			{Kind: WaitChanRecv, Location: "main.pool main.go:40", Waiters: 2 * leakWaiters},
		},
		Goroutines: []GoroutineRec{
			{ID: 1, StartFunc: "main.idleloop", State: GoWaiting, Wait: WaitChanRecv, Since: now - int64(60*time.Second), Resource: 1},
			{ID: 2, StartFunc: "main.napper", State: GoWaiting, Wait: WaitSleep, Since: now - int64(60*time.Second), Resource: -1},
			{ID: 3, StartFunc: "main.waiter", State: GoWaiting, Wait: WaitMutex, Since: now - int64(2*time.Second), Resource: -1},
			{ID: 4, StartFunc: "main.spin", State: GoRunning, LongestRun: int64(300 * time.Millisecond), Resource: -1},
			{ID: 5, StartFunc: "main.polite", State: GoRunnable, LongestRun: int64(5 * time.Millisecond), Resource: -1},
		}}
	// An idle pool: as many parked at one place from the start, for good.
	for id := int64(200); id < 200+2*leakWaiters; id++ {
		rb.Goroutines = append(rb.Goroutines, GoroutineRec{ID: id, StartFunc: "main.pooled", State: GoWaiting, Wait: WaitChanRecv,
			Since: now - int64(60*time.Second), Resource: 2})
	}
	m.Apply(&Batch{Runtime: rb})
	if warnCount(m, WarnNeverYields) != 1 || taskWarnings(t, m, "main.spin") != 1 || taskWarnings(t, m, "main.polite") != 0 {
		t.Fatalf("never yields: %+v", m.Warnings())
	}
	// A leak: one more goroutine parks at main.leak every second.
	leaked := int64(0)
	generations := 2*m.cfg.Warn.Growth + 2
	for range generations {
		clk.Advance(time.Second)
		now = clk.Now().UnixNano()
		leaked++
		next := &RuntimeBatch{Resource: rb.Resource, Session: 1, Start: now - 1e9, End: now,
			SyncResources: append([]SyncResourceRec(nil), rb.SyncResources...),
			Goroutines: []GoroutineRec{{ID: 100 + leaked, StartFunc: "main.leaked", State: GoWaiting, Wait: WaitChanRecv,
				Created: now, Since: now, Resource: 0}}}
		next.SyncResources[0].Waiters = int(leaked)
		m.Apply(&Batch{Runtime: next})
		m.Sweep()
	}
	// Those parked longer than --warn-blocked are warned of, and the mutex
	// waiter blocked as long; the pool, the idle loop, the sleeper and the
	// young leaked goroutines are not.
	oldLeaked := generations - int(m.cfg.Warn.Blocked/time.Second)
	if p := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 100, Filter: "name=main.leaked warn=blocked"}); p.Total != oldLeaked {
		t.Fatalf("%d leaked goroutines warned of, want %d", p.Total, oldLeaked)
	}
	if warnCount(m, WarnBlocked) != int64(oldLeaked+1) || taskWarnings(t, m, "main.idleloop") != 0 || taskWarnings(t, m, "main.napper") != 0 {
		t.Fatalf("blocked: %+v (want %d leaked and the mutex waiter)", m.Warnings(), oldLeaked)
	}
	if p := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 100, Filter: "name=main.pooled warn>0"}); p.Total != 0 {
		t.Fatalf("an idle pool is warned of: %d rows", p.Total)
	}
	// The mutex waiter has been blocked long too: always worth a warning.
	if taskWarnings(t, m, "main.waiter") != 1 {
		t.Fatalf("the mutex waiter blocked for %ds is not warned of", generations+2)
	}
	// Their details say which kind of long wait each is.
	for name, want := range map[string]string{"main.waiter": "(deadlock?)", "main.leaked": "(leak?)"} {
		row := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 1, Filter: "warn=blocked name=" + name}).Rows[0]
		d, _ := m.Goroutine(row.ID)
		if len(d.Warnings) != 1 || !strings.HasSuffix(d.Warnings[0], want+" [--warn-blocked]") || strings.Count(d.Warnings[0], "?") != 1 {
			t.Errorf("%s: warnings %q, want one ending %s", name, d.Warnings, want)
		}
	}
	// Sorting by Warn puts warned rows first.
	if p := m.Tasks(Query{Goroutines: true, Sort: TaskWarn, Desc: true, Limit: 3}); p.Rows[0].Warnings != 1 || p.Rows[2].Warnings != 1 {
		t.Fatalf("by warn: %+v", p.Rows)
	}
	// The leak stops: once its number has stood still for a window, its
	// goroutines are no longer warned of (the resource still shows them).
	for range 2 * m.cfg.Warn.Growth {
		clk.Advance(time.Second)
		now = clk.Now().UnixNano()
		still := &RuntimeBatch{Resource: rb.Resource, Session: 1, Start: now - 1e9, End: now,
			SyncResources: append([]SyncResourceRec(nil), rb.SyncResources...)}
		still.SyncResources[0].Waiters = int(leaked)
		m.Apply(&Batch{Runtime: still})
		m.Sweep()
	}
	if p := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 100, Filter: "name=main.leaked warn>0"}); p.Total != 0 {
		t.Fatalf("%d leaked goroutines still warned of after their number stood still", p.Total)
	}
}

func TestWarnGoroutineGrowth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts func(i int) int64
		want   int64
	}{
		{"leak", func(i int) int64 { return int64(100 + i) }, 1},
		{"leak under noise", func(i int) int64 { return int64(100 + i + 6*(i%3)) }, 1},
		{"steady", func(i int) int64 { return int64(100 + i%3) }, 0},
		{"one step up", func(i int) int64 { return int64(100 + 50*min(i/20, 1)) }, 0},
	} {
		m, clk := newTestModel(Config{})
		for i := range 40 {
			st := newStats()
			st.Goroutines = tc.counts(i)
			m.Apply(&Batch{Samples: []RuntimeSample{{Resource: m.svcResource("api"), Stats: st}}})
			clk.Advance(time.Second)
		}
		if got := warnCount(m, WarnGoroutineGrowth); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func newStats() RuntimeStats {
	st := RuntimeStats{Goroutines: -1, HeapBytes: -1}
	for i := range st.ByState {
		st.ByState[i] = -1
	}
	return st
}

func TestWarnErrorSpike(t *testing.T) {
	for _, tc := range []struct {
		name string
		errs func(sec int) bool // whether this second's spans fail
		want int64
	}{
		{"spike", func(sec int) bool { return sec >= 52 }, 1},
		{"always failing a little", func(sec int) bool { return sec%10 == 0 }, 0},
	} {
		m, clk := newTestModel(Config{})
		id := uint64(1)
		for sec := range 60 {
			for range 5 {
				s := spec{trace: id, span: id, name: "pay", start: clk.Now(), dur: time.Millisecond}
				if tc.errs(sec) {
					s.status = StatusError
				}
				m.Apply(m.batch(s))
				id++
			}
			clk.Advance(time.Second)
		}
		if got := warnCount(m, WarnErrorSpike); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestWarnDroppedData(t *testing.T) {
	m, _ := newTestModel(Config{})
	if warnCount(m, WarnDropped) != 0 {
		t.Fatal("dropped warning without drops")
	}
	m.Counters().Refused.Add(3)
	m.Counters().Rejected.Add(1)
	if got := warnCount(m, WarnDropped); got != 4 {
		t.Fatalf("dropped = %d, want 4", got)
	}
}

// A trace is judged the same whether its spans are searched in a slice (a
// few spans) or through a map (more than smallTraceSpans).
func TestWarnPropagationSmallAndLargeTraces(t *testing.T) {
	for _, filler := range []int{0, smallTraceSpans + 8} {
		m, clk := newTestModel(Config{})
		now := clk.Now()
		specs := []spec{
			{trace: 1, span: 1, name: "root", service: "web", kind: KindServer, start: now, dur: 9 * time.Millisecond},
			{trace: 1, span: 2, parent: 1, name: "call-alone", service: "web", kind: KindClient, start: now, dur: time.Millisecond},
			{trace: 1, span: 3, parent: 2, name: "retry", service: "web", kind: KindInternal, start: now, dur: time.Millisecond},
			{trace: 1, span: 4, parent: 1, name: "call-joined", service: "web", kind: KindClient, start: now, dur: time.Millisecond},
			{trace: 1, span: 5, parent: 4, name: "handle", service: "api", kind: KindInternal, start: now, dur: time.Millisecond},
			{trace: 1, span: 6, parent: 99, name: "orphan", service: "web", start: now, dur: time.Millisecond},
		}
		for k := range filler {
			specs = append(specs, spec{trace: 1, span: uint64(100 + k), parent: 1, name: "filler", service: "web", start: now, dur: time.Millisecond})
		}
		m.Apply(m.batch(specs...))
		clk.Advance(6 * time.Second)
		m.Sweep()
		if warnCount(m, WarnNoRemoteChild) != 1 || taskWarnings(t, m, "call-alone") != 1 || taskWarnings(t, m, "call-joined") != 0 {
			t.Errorf("%d spans: no-remote-child %+v", len(specs), m.Warnings())
		}
		if warnCount(m, WarnOrphan) != 1 || taskWarnings(t, m, "orphan") != 1 || taskWarnings(t, m, "handle") != 0 {
			t.Errorf("%d spans: orphans %+v", len(specs), m.Warnings())
		}
	}
}

// Every attribute that says a client span has no traced peer spares it the
// warning, among other attributes before and after it; a span whose key
// is first interned after an earlier run of checks is judged with it.
func TestNoRemoteChildReadsEachPeerAttribute(t *testing.T) {
	m, clk := newTestModel(Config{})
	other := map[string]string{"http.request.method": "POST", "server.address": "api"}
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "plain", service: "web", kind: KindClient, start: clk.Now(), dur: time.Millisecond, attrs: other}))
	clk.Advance(6 * time.Second)
	m.Sweep()
	if taskWarnings(t, m, "plain") != 1 {
		t.Fatalf("a plain client call without a remote child: %+v", m.Warnings())
	}
	spared := map[string]map[string]string{
		"db":        {"db.system": "postgresql"},
		"db-new":    {"db.system.name": "mysql"},
		"broker":    {"messaging.system": "kafka"},
		"grpc-otlp": {"rpc.service": "opentelemetry.proto.collector.logs.v1.LogsService"},
		"url-full":  {"url.full": "http://collector:4318/v1/metrics?x=1"},
		"http-url":  {"http.url": "https://collector/v1/traces"},
		"url-path":  {"url.path": "/v1/logs"},
		"target":    {"http.target": "/v1/traces#frag"},
	}
	judged := map[string]map[string]string{
		"grpc-app": {"rpc.service": "shop.Checkout"},
		"url-app":  {"url.full": "http://api:8080/v1/tracesx"},
	}
	var specs []spec
	span := uint64(10)
	for _, set := range []map[string]map[string]string{spared, judged} {
		for name, attrs := range set {
			a := map[string]string{}
			for k, v := range other {
				a[k] = v
			}
			for k, v := range attrs {
				a[k] = v
			}
			span++
			specs = append(specs, spec{trace: span, span: span, name: name, service: "web", kind: KindClient, start: clk.Now(), dur: time.Millisecond, attrs: a})
		}
	}
	m.Apply(m.batch(specs...))
	clk.Advance(6 * time.Second)
	m.Sweep()
	for name := range spared {
		if n := taskWarnings(t, m, name); n != 0 {
			t.Errorf("%s: %d warnings, want none", name, n)
		}
	}
	for name := range judged {
		if n := taskWarnings(t, m, name); n != 1 {
			t.Errorf("%s: %d warnings, want the no-remote-child one", name, n)
		}
	}
}
