package model

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// shown is what a row shows that its Version must cover: the row without
// Version and without what moves with the clock or with other rows.
func shownTask(r TaskRow) TaskRow {
	r.Version = 0
	if !r.Finished {
		r.Total = 0 // a live row's Total moves with the clock
	}
	r.Depth, r.Guides, r.Last, r.Orphan = 0, 0, false, false
	return r
}

func shownOp(r OpRow) OpRow {
	r.Version, r.Rate, r.Spark = 0, 0, nil
	return r
}

// checkVersions compares rows with the same rows seen before (in seen, which
// it updates) and reports each whose shown fields changed while its version
// did not; it returns how many rows changed.
func checkVersions[R any](t *testing.T, step string, rows []R, seen map[uint64]R, key func(R) (id, version uint64), shown func(R) R) int {
	t.Helper()
	changed := 0
	for _, r := range rows {
		id, ver := key(r)
		if old, ok := seen[id]; ok && !reflect.DeepEqual(shown(old), shown(r)) {
			changed++
			if _, oldVer := key(old); oldVer == ver {
				t.Errorf("%s: row %d changed without a new version:\n%+v\n%+v", step, id, old, r)
			}
		}
		seen[id] = r
	}
	return changed
}

// Every change of what a row shows bumps its Version: spans arriving,
// refreshed, ended, failing, lost and revived, warned of; goroutines
// changing state and runtime figures; operations counting them.
func TestVersionCoversEveryShownField(t *testing.T) {
	m, clk := newTestModel(Config{Heartbeat: time.Second, Warn: Thresholds{InFlight: 3 * time.Second, Propagation: time.Second}})
	start := clk.Now()
	res := m.svcResource("api")
	tasks := map[uint64]TaskRow{}
	ops := map[uint64]OpRow{}
	changes := 0
	check := func(step string) {
		t.Helper()
		changes += checkVersions(t, step, m.Tasks(Query{Sort: TaskID, Limit: 1000}).Rows, tasks,
			func(r TaskRow) (uint64, uint64) { return r.ID, r.Version }, shownTask)
		changes += checkVersions(t, step, m.Operations(Query{Sort: OpName, Limit: 1000}).Rows, ops,
			func(r OpRow) (uint64, uint64) { return r.ID, r.Version }, shownOp)
	}
	snap := func(span uint64, seq uint32, attrs map[string]string) spec {
		return spec{trace: 1, span: span, parent: 1, name: "work", kind: KindInternal, start: start, inflight: true, seq: seq, attrs: attrs}
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"spans arrive", func() {
			m.Apply(m.batch(spec{trace: 1, span: 1, name: "GET /", kind: KindServer, start: start, inflight: true, seq: 1},
				snap(2, 1, nil), spec{trace: 2, span: 9, parent: 8, name: "orphan", start: start, dur: time.Millisecond}))
		}},
		{"a snapshot with new fields", func() { m.Apply(m.batch(snap(2, 2, map[string]string{"k": "v"}))) }},
		{"an older snapshot is ignored", func() { m.Apply(m.batch(snap(2, 1, nil))) }},
		{"time passes: in flight too long, orphans judged", func() { clk.Advance(3500 * time.Millisecond); m.Sweep() }},
		{"lost", func() { clk.Advance(5 * time.Second); m.Sweep() }},
		{"revived", func() { m.Apply(m.batch(snap(2, 3, map[string]string{"k": "w"}))) }},
		{"ended with an error", func() {
			m.Apply(m.batch(spec{trace: 1, span: 2, parent: 1, name: "work", kind: KindInternal, start: start, dur: 9 * time.Second, status: StatusError}))
		}},
		{"a goroutine appears", func() {
			now := clk.Now().UnixNano()
			m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now, Goroutines: []GoroutineRec{
				{ID: 7, StartFunc: "main.worker", State: GoRunning, Busy: 1e8, Resource: -1}}}})
		}},
		{"the goroutine blocks", func() {
			clk.Advance(time.Second)
			now := clk.Now().UnixNano()
			idle := [WaitKinds]int64{}
			idle[WaitChanRecv] = int64(300 * time.Millisecond)
			m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now, Goroutines: []GoroutineRec{
				{ID: 7, StartFunc: "main.worker", State: GoWaiting, Wait: WaitChanRecv, Since: now - 3e8, Busy: 2e8, Idle: idle, Polls: 3, Resource: -1}}}})
		}},
		{"the goroutine ends", func() {
			clk.Advance(time.Second)
			now := clk.Now().UnixNano()
			m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now, Goroutines: []GoroutineRec{
				{ID: 7, StartFunc: "main.worker", State: GoExited, Ended: now - 1e8, Busy: 3e8, Polls: 4, Resource: -1}}}})
		}},
		{"the server span ends", func() {
			m.Apply(m.batch(spec{trace: 1, span: 1, name: "GET /", kind: KindServer, start: start, dur: 12 * time.Second}))
		}},
	}
	check("start")
	for _, s := range steps {
		s.do()
		check(s.name)
	}
	if changes < len(steps) {
		t.Fatalf("only %d row changes seen in %d steps: the test exercises too little", changes, len(steps))
	}
	t.Log(fmt.Sprint(changes, " row changes checked"))
}
