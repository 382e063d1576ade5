package model

import (
	"maps"
	"testing"
	"time"
)

func (m *Model) svcResource(name string) Resource {
	w := NewAttrWriter(m.Symbols())
	w.String([]byte("service.name"), []byte(name))
	return Resource{ServiceName: m.Symbols().InternString(name), Attrs: w.Blob()}
}

func TestGoroutinesAreTaskRowsWithRuntimeColumns(t *testing.T) {
	m, clk := newTestModel(Config{Retain: 10 * time.Second})
	now := clk.Now().UnixNano()
	res := m.svcResource("worker")
	idle := [WaitKinds]int64{}
	idle[WaitMutex] = int64(300 * time.Millisecond)
	rb := &RuntimeBatch{Resource: res, Session: 7, Start: now - int64(time.Second), End: now,
		SyncResources: []SyncResourceRec{{Kind: WaitMutex, Location: "main.work main.go:20", Waiters: 1, Waits: 3,
			WaitTotal: int64(300 * time.Millisecond), WaitMax: int64(150 * time.Millisecond), WaitSamples: []int64{1e8, 5e7, 15e7},
			Wakers: []Waker{{Goroutine: 2, Wakes: 3}}}},
		Goroutines: []GoroutineRec{
			{ID: 1, Name: "main", StartFunc: "main.main", State: GoRunning, Resource: -1, Busy: int64(900 * time.Millisecond), Polls: 4,
				CreateStack: []Frame{{Func: "runtime.main", File: "/go/src/runtime/proc.go", Line: 250}}, RunSamples: []int64{1e8, 2e8}},
			{ID: 2, StartFunc: "main.holder", Created: now - int64(500*time.Millisecond), State: GoWaiting, Wait: WaitSleep, WaitReason: "sleep", Resource: -1,
				Busy: int64(10 * time.Millisecond), Polls: 2},
			{ID: 3, StartFunc: "main.waiter", Parent: 1, Created: now - int64(500*time.Millisecond), State: GoWaiting, Wait: WaitMutex,
				WaitReason: "sync", Resource: 0, Since: now - int64(100*time.Millisecond), Idle: idle, Polls: 3, Waker: 2, Wakes: 3,
				BlockStack: []Frame{{Func: "sync.(*Mutex).Lock", File: "mutex.go", Line: 90}, {Func: "main.work", File: "main.go", Line: 20}}},
		},
		SpanTimes: []SpanTime{{TraceID: traceID(9), SpanID: spanID(1), Busy: int64(40 * time.Millisecond), Sched: 5e6, Idle: 1e6, Goroutines: []int64{3}}},
	}
	m.Apply(&Batch{Runtime: rb})

	page := m.Tasks(Query{Goroutines: true, Sort: TaskBusy, Desc: true, Limit: 10, Filter: "kind=goroutine"})
	if page.Total != 3 || names(page.Rows)[0] != "main" || page.Rows[0].Busy != 900*time.Millisecond || page.Rows[0].Polls != 4 {
		t.Fatalf("goroutines by busy = %+v", page.Rows)
	}
	// The unfiltered, indexed path orders by the same column.
	if idx := m.Tasks(Query{Goroutines: true, Sort: TaskBusy, Desc: true, Limit: 10}); names(idx.Rows)[0] != "main" || idx.Total != 3 {
		t.Fatalf("indexed by busy = %v", names(idx.Rows))
	}
	byIdle := m.Tasks(Query{Goroutines: true, Sort: TaskIdle, Desc: true, Limit: 1})
	if byIdle.Rows[0].Name != "main.waiter" || byIdle.Rows[0].Idle != 300*time.Millisecond || byIdle.Rows[0].State != StateWaiting || byIdle.Rows[0].Finished {
		t.Fatalf("by idle = %+v", byIdle.Rows[0])
	}
	if h := m.Header(); h.Goroutines != 3 || h.Running != 0 || h.Resources != 1 {
		t.Fatalf("header = %+v", h)
	}

	// The span arrives after the generation that saw it run.
	m.Apply(m.batch(spec{trace: 9, span: 1, name: "job", service: "worker", start: clk.Now(), dur: 50 * time.Millisecond}))
	spans := m.Tasks(Query{Sort: TaskID, Limit: 10, Filter: "name=job"})
	if len(spans.Rows) != 1 || spans.Rows[0].Busy != 40*time.Millisecond || spans.Rows[0].Sched != 5*time.Millisecond {
		t.Fatalf("span with runtime = %+v", spans.Rows)
	}

	d, ok := m.Goroutine(byIdle.Rows[0].ID)
	if !ok || d.GoID != 3 || d.Wait != WaitMutex || d.Resource == 0 || d.Waker.GoID != 2 || d.Waker.Name != "main.holder" ||
		d.Parent.Name != "main" || len(d.Idle) != 1 || d.Idle[0].Kind != WaitMutex || len(d.BlockStack) != 2 ||
		len(d.Spans) != 1 || d.Spans[0].Name != "job" || d.Spans[0].Busy != 40*time.Millisecond || d.InState != 100*time.Millisecond {
		t.Fatalf("goroutine detail = %+v", d)
	}
	rd, ok := m.Resource(d.Resource)
	if !ok || rd.Row.Kind != "mutex" || rd.Row.Type != "sync.Mutex" || rd.Row.Waiters != 1 || rd.Waits != 3 ||
		rd.Wait.Count != 3 || len(rd.Waiters) != 1 || rd.Waiters[0].GoID != 3 || len(rd.Wakers) != 1 || rd.Wakers[0].Wakes != 3 {
		t.Fatalf("resource detail = %+v", rd)
	}
	rows := m.Resources(Query{Sort: ResWaitTotal, Desc: true, Limit: 10})
	if rows.Total != 2 || rows.Rows[0].Kind != "mutex" || rows.Rows[1].Kind != "service" || rows.Rows[0].Parent != rows.Rows[1].ID {
		t.Fatalf("resources = %+v", rows.Rows)
	}
	if f := m.Resources(Query{Filter: "kind=mutex", Limit: 10}); f.Total != 1 {
		t.Fatalf("filtered resources = %+v", f.Rows)
	}

	// Next generation: goroutine 3 exits; a new session of the same process
	// later replaces this one, and the rest are shown lost.
	clk.Advance(time.Second)
	now = clk.Now().UnixNano()
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 7, Start: now - 1e9, End: now,
		Goroutines: []GoroutineRec{{ID: 3, State: GoExited, Ended: now, Resource: -1, Idle: idle}}}})
	if g := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 10, Filter: "kind=goroutine state=done"}); g.Total != 1 || !g.Rows[0].Finished {
		t.Fatalf("exited = %+v", g.Rows)
	}
	clk.Advance(6 * time.Second) // silent for more than procLostAfter heartbeats
	m.Sweep()
	if g := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 10, Filter: "kind=goroutine state=lost"}); g.Total != 2 {
		t.Fatalf("lost = %+v", g.Rows)
	}
	if h := m.Header(); h.Goroutines != 0 {
		t.Fatalf("live goroutines after the process went silent = %d", h.Goroutines)
	}
	clk.Advance(11 * time.Second)
	m.Sweep()
	if g := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 10, Filter: "kind=goroutine"}); g.Total != 0 {
		t.Fatalf("retained past retention = %+v", g.Rows)
	}
	if len(m.rt.procs) != 0 || len(m.rt.gos) != 0 {
		t.Fatalf("process bookkeeping left: procs=%d gos=%d", len(m.rt.procs), len(m.rt.gos))
	}
	// Aggregates outlive the goroutines.
	if rows := m.Resources(Query{Limit: 10}); rows.Total != 2 {
		t.Fatalf("resources after goroutines went = %d", rows.Total)
	}
}

func TestGoroutinesStartedByHelpersAreNamedByWhatTheyRun(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now().UnixNano()
	helper := "github.com/spantop/spantop/agentlib.Go.func1"
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: m.svcResource("api"), Session: 1, Start: now - 1e9, End: now, Goroutines: []GoroutineRec{
		// Created while the trace watched: named after the go statement's caller.
		{ID: 1, StartFunc: helper, State: GoRunning, Resource: -1, CreateStack: []Frame{
			{Func: "github.com/spantop/spantop/agentlib.Go", File: "sync.go", Line: 19},
			{Func: "example.com/shop.(*Shop).serve", File: "/src/shop/serve.go", Line: 42}}},
		// Created before the trace began: named after what the helper runs.
		{ID: 2, StartFunc: helper, State: GoWaiting, Wait: WaitSelect, Resource: -1, BlockStack: []Frame{
			{Func: "runtime.selectgo"}, {Func: "example.com/shop.(*Shop).consume"}, {Func: helper}}},
	}}})
	p := m.Tasks(Query{Goroutines: true, Sort: TaskID, Limit: 5, Filter: "kind=goroutine"})
	if len(p.Rows) != 2 || p.Rows[0].Name != "shop.(*Shop).serve" || p.Rows[0].Location != "serve.go:42" ||
		p.Rows[1].Name != "shop.(*Shop).consume" || p.Rows[1].Target != "example.com/shop" {
		t.Fatalf("helper-started goroutines = %+v", p.Rows)
	}
}

// TestResourceWaitsInProgress: goroutines parked on a channel nobody sends
// to never finish a wait, yet their resource's wait total and max grow with
// the clock, stop when their process goes silent, and are kept after it.
func TestResourceWaitsInProgress(t *testing.T) {
	m, clk := newTestModel(Config{})
	res := m.svcResource("worker")
	now := clk.Now().UnixNano()
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now,
		SyncResources: []SyncResourceRec{
			{Kind: WaitChanRecv, Location: "main.leak main.go:9", Waiters: 3, Waiting: int64(6 * time.Second), Longest: int64(3 * time.Second)},
			{Kind: WaitMutex, Location: "main.lock main.go:20", Waits: 2, WaitTotal: int64(time.Second), WaitMax: int64(800 * time.Millisecond)},
		}}})
	figures := func() map[string][2]time.Duration {
		out := map[string][2]time.Duration{}
		for _, r := range m.Resources(Query{Sort: ResWaitTotal, Desc: true, Limit: 10, Filter: "kind!=service"}).Rows {
			out[r.Location] = [2]time.Duration{r.WaitTotal, r.WaitMax}
		}
		return out
	}
	want := map[string][2]time.Duration{"main.leak main.go:9": {6 * time.Second, 3 * time.Second}, "main.lock main.go:20": {time.Second, 800 * time.Millisecond}}
	if got := figures(); !maps.Equal(got, want) {
		t.Fatalf("as told: %v, want %v", got, want)
	}
	for _, r := range m.Resources(Query{Limit: 10, Filter: "kind!=service"}).Rows {
		want := map[string][2]time.Duration{"main.leak main.go:9": {0, 0}, "main.lock main.go:20": {time.Second, 800 * time.Millisecond}}[r.Location]
		if d, _ := m.Resource(r.ID); d.Ended != want[0] || d.EndedMax != want[1] {
			t.Errorf("%s: ended waits %v, longest %v; want %v", r.Location, d.Ended, d.EndedMax, want)
		}
	}
	clk.Advance(2 * time.Second) // three waiters, two seconds each
	want["main.leak main.go:9"] = [2]time.Duration{12 * time.Second, 5 * time.Second}
	if got := figures(); !maps.Equal(got, want) {
		t.Fatalf("2s later: %v, want %v", got, want)
	}
	clk.Advance(time.Minute) // the process went silent: the waits stop growing
	m.Sweep()
	want["main.leak main.go:9"] = [2]time.Duration{6 * time.Second, 3 * time.Second}
	if got := figures(); !maps.Equal(got, want) {
		t.Fatalf("after the process went: %v, want %v", got, want)
	}
}

func TestBlockedGoroutinesAccrueIdleBetweenBatches(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now().UnixNano()
	res := m.svcResource("api")
	idle := [WaitKinds]int64{}
	idle[WaitChanRecv] = int64(500 * time.Millisecond)
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now, Goroutines: []GoroutineRec{
		{ID: 7, StartFunc: "example.com/shop/queue.(*Q).wait", State: GoWaiting, Wait: WaitChanRecv, Since: now - int64(500*time.Millisecond), Idle: idle, Resource: -1},
		{ID: 8, StartFunc: "main.spin", State: GoRunning, Busy: 1e9, Resource: -1},
	}}})
	// Two generations later, goroutine 7 is still blocked and not sent.
	for range 2 {
		clk.Advance(time.Second)
		now = clk.Now().UnixNano()
		m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now,
			Goroutines: []GoroutineRec{{ID: 8, StartFunc: "main.spin", State: GoRunning, Busy: 2e9, Resource: -1}}}})
	}
	p := m.Tasks(Query{Goroutines: true, Sort: TaskIdle, Desc: true, Limit: 2, Filter: "kind=goroutine"})
	if p.Rows[0].Name != "queue.(*Q).wait" || p.Rows[0].Target != "example.com/shop/queue" || p.Rows[0].Idle != 2500*time.Millisecond {
		t.Fatalf("blocked goroutine = %+v", p.Rows[0])
	}
	if idx := m.Tasks(Query{Goroutines: true, Sort: TaskIdle, Desc: true, Limit: 1}); idx.Rows[0].Idle != 2500*time.Millisecond {
		t.Fatalf("index not updated: %+v", idx.Rows[0])
	}
}

func TestGoroutineSortByTotalMergesLiveRows(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now().UnixNano()
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "short", start: clk.Now().Add(-time.Second), dur: 10 * time.Millisecond}))
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: m.svcResource("api"), Session: 1, Start: now - 1e9, End: now,
		Goroutines: []GoroutineRec{{ID: 5, StartFunc: "main.loop", Created: now - int64(2*time.Second), State: GoWaiting, Wait: WaitChanRecv, Resource: -1}}}})
	clk.Advance(time.Second)
	p := m.Tasks(Query{Goroutines: true, Sort: TaskTotal, Desc: true, Limit: 10})
	if p.Total != 1 || p.Rows[0].Name != "main.loop" || p.Rows[0].Total != 3*time.Second {
		t.Fatalf("goroutines by total = %+v", p.Rows)
	}
	// Spans and goroutines are two tables: the spans table has no goroutine.
	if s := m.Tasks(Query{Sort: TaskTotal, Desc: true, Limit: 10}); s.Total != 1 || s.Rows[0].Name != "short" {
		t.Fatalf("spans by total = %+v", s.Rows)
	}
	// A goroutine has no trace.
	if v := m.Trace(TraceQuery{Span: p.Rows[0].ID, Limit: 10}); v.Spans > 1 {
		t.Fatalf("trace of a goroutine = %+v", v)
	}
	// Tree mode: a goroutine is a tree of its own.
	for _, f := range []string{"", "kind=goroutine"} {
		tree := m.Tasks(Query{Goroutines: true, Sort: TaskTotal, Desc: true, Limit: 10, Tree: true, Filter: f})
		if len(tree.Rows) == 0 || tree.Rows[0].Name != "main.loop" || tree.Rows[0].Depth != 0 {
			t.Fatalf("tree mode (filter %q) = %+v", f, tree.Rows)
		}
	}
}

func TestRuntimeSamplesAndStatusOnServices(t *testing.T) {
	m, _ := newTestModel(Config{})
	res := m.svcResource("api")
	st := RuntimeStats{Goroutines: 42, HeapBytes: 1 << 20, GCCycles: 3, SchedP99: int64(time.Millisecond), MutexWait: int64(time.Second)}
	for i := range st.ByState {
		st.ByState[i] = -1
	}
	st.ByState[GoWaiting] = 30
	m.Apply(&Batch{Samples: []RuntimeSample{{Resource: res, Stats: st}},
		Statuses: []AgentStatus{{Resource: res, Message: "execution trace unavailable"}}})
	rows := m.Resources(Query{Limit: 5})
	// Blocked now counts the goroutines the details list (none is known
	// without the execution trace); the runtime's figure is its own.
	if rows.Total != 1 || rows.Rows[0].Waiters != 0 || rows.Rows[0].WaitTotal != time.Second {
		t.Fatalf("service row = %+v", rows.Rows)
	}
	d, ok := m.Resource(rows.Rows[0].ID)
	if !ok || d.Runtime == nil || d.Runtime.Goroutines != 42 || d.Runtime.ByState[GoWaiting] != 30 || len(d.Waiters) != 0 ||
		d.Status != "execution trace unavailable" {
		t.Fatalf("service detail = %+v", d)
	}
}

func TestSmallHistogramSummary(t *testing.T) {
	var h smallHist
	for v := int64(1); v <= 1000; v++ {
		h.record(v * int64(time.Microsecond))
	}
	s := h.summary()
	if s.Count != 1000 || s.Min != time.Microsecond || s.Max != time.Millisecond {
		t.Fatalf("summary = %+v", s)
	}
	p50 := s.Percentiles[2]
	if p50 < 375*time.Microsecond || p50 > 625*time.Microsecond {
		t.Fatalf("p50 = %v, want 500µs ±25%%", p50)
	}
	var n uint64
	for _, b := range s.Buckets {
		n += b
	}
	if n < 990 || n > 1000 || len(s.BucketEdges) != len(s.Buckets)+1 {
		t.Fatalf("mini histogram holds %d of 1000 (%d buckets, %d edges)", n, len(s.Buckets), len(s.BucketEdges))
	}
}
