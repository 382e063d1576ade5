package model

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestTaskWindowsMatchAFullStableSort checks the selection logic against the
// obvious implementation: sort everything stably by (column, ID) and slice.
func TestTaskWindowsMatchAFullStableSort(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Hour})
	rng := rand.New(rand.NewPCG(1, 2))
	svcs := []string{"api", "db", "auth", "web"}
	opNames := []string{"GET /a", "GET /b", "SELECT", "publish", "consume", "render"}
	for i := range uint64(3000) {
		s := spec{trace: i/4 + 1, span: i + 1, name: opNames[rng.IntN(len(opNames))], service: svcs[rng.IntN(len(svcs))],
			kind: SpanKind(rng.IntN(6)), start: clk.Now().Add(-time.Duration(rng.IntN(5000)) * time.Millisecond),
			dur: time.Duration(rng.IntN(50)) * time.Millisecond}
		switch rng.IntN(10) {
		case 0:
			s.inflight, s.seq = true, 1
		case 1:
			s.status = StatusError
		}
		if rng.IntN(3) == 0 {
			s.attrs = map[string]string{"a": "1", "b": "2"}
		}
		m.Apply(m.batch(s))
	}
	// Goroutines (live, blocked and exited) and span times from the
	// execution trace fill the runtime columns.
	now := clk.Now().UnixNano()
	rb := &RuntimeBatch{Resource: m.svcResource("api"), Session: 1, Start: now - 1e9, End: now}
	for g := range int64(300) {
		st := GoState(rng.IntN(int(GoStates)))
		rb.Goroutines = append(rb.Goroutines, GoroutineRec{ID: g + 1, StartFunc: opNames[rng.IntN(len(opNames))], State: st,
			Created: now - rng.Int64N(4e9), Ended: now, Wait: WaitKind(rng.IntN(int(WaitKinds))), Resource: -1,
			Busy: rng.Int64N(1e9), Sched: rng.Int64N(1e8), Polls: uint64(rng.IntN(100)), LongestRun: rng.Int64N(2e8)})
	}
	for sp := range uint64(200) {
		rb.SpanTimes = append(rb.SpanTimes, SpanTime{TraceID: traceID(sp/4 + 1), SpanID: spanID(sp + 1), Busy: rng.Int64N(5e7), Idle: rng.Int64N(5e7)})
	}
	m.Apply(&Batch{Runtime: rb})
	clk.Advance(time.Second)
	// Evict some from the middle of the ID range via retention of lost spans.
	m.Sweep()

	for col := range TaskColumns {
		for _, desc := range []bool{false, true} {
			for _, filter := range []string{"", "service=db", "dur>20ms"} {
				ref := m.Tasks(Query{Sort: TaskID, Filter: filter, Limit: 1 << 20}).Rows
				keyOf := referenceKey(m, col)
				sort.SliceStable(ref, func(a, b int) bool {
					ka, kb := keyOf(ref[a]), keyOf(ref[b])
					if desc {
						return ka > kb || (ka == kb && ref[a].ID > ref[b].ID)
					}
					return ka < kb || (ka == kb && ref[a].ID < ref[b].ID)
				})
				for trial := range 40 {
					q := Query{Sort: col, Desc: desc, Filter: filter, Limit: 1 + rng.IntN(60), Row: rng.IntN(30), Move: rng.IntN(200) - 100, Offset: rng.IntN(len(ref) + 10)}
					if trial%2 == 0 {
						q.Anchor = ref[rng.IntN(len(ref))].ID
					}
					got := m.Tasks(q)
					name := fmt.Sprintf("col %d desc %v filter %q query %+v", col, desc, filter, q)
					if got.Total != len(ref) {
						t.Fatalf("%s: total %d want %d", name, got.Total, len(ref))
					}
					want := ref[got.Offset:min(got.Offset+q.Limit, len(ref))]
					if len(got.Rows) != len(want) {
						t.Fatalf("%s: %d rows want %d", name, len(got.Rows), len(want))
					}
					for i := range want {
						if got.Rows[i].ID != want[i].ID {
							t.Fatalf("%s: row %d is ID %d, want %d", name, i, got.Rows[i].ID, want[i].ID)
						}
					}
					if q.Anchor != 0 {
						wantRank := -1
						for i := range ref {
							if ref[i].ID == q.Anchor {
								wantRank = i
							}
						}
						target := min(max(wantRank+q.Move, 0), len(ref)-1)
						if got.Offset+got.Selected != target {
							t.Fatalf("%s: selected rank %d want %d", name, got.Offset+got.Selected, target)
						}
						if wantOff := min(max(target-min(q.Row, q.Limit-1), 0), max(len(ref)-q.Limit, 0)); got.Offset != wantOff {
							t.Fatalf("%s: offset %d want %d", name, got.Offset, wantOff)
						}
					}
				}
			}
		}
	}
}

// referenceKey computes a column's sort key from a row, independently of
// the columnar code under test.
func referenceKey(m *Model, col Column) func(TaskRow) string {
	return func(r TaskRow) string {
		switch col {
		case TaskTotal:
			return fmt.Sprintf("%020d", int64(r.Total))
		case TaskName:
			return r.Name
		case TaskService:
			return r.Service
		case TaskTarget:
			return r.Target
		case TaskLocation:
			return r.Location
		case TaskState:
			return fmt.Sprint(int(r.State))
		case TaskKind:
			return fmt.Sprint(int(r.Kind))
		case TaskFields:
			return fmt.Sprintf("%05d", len(r.Fields))
		case TaskWarn:
			return fmt.Sprintf("%05d", r.Warnings)
		case TaskBusy:
			return fmt.Sprintf("%020d", int64(r.Busy))
		case TaskSched:
			return fmt.Sprintf("%020d", int64(r.Sched))
		case TaskIdle:
			return fmt.Sprintf("%020d", int64(r.Idle))
		case TaskPolls:
			return fmt.Sprintf("%020d", r.Polls)
		}
		return ""
	}
}
