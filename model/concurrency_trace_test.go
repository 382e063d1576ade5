package model

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestTraceQueriesDuringWrites runs the writer loop against readers of the
// waterfall, tree mode and operation details, for the race detector and
// the pages' invariants.
func TestTraceQueriesDuringWrites(t *testing.T) {
	m := New(Config{MaxMemory: 2 << 20, Retain: 50 * time.Millisecond, Heartbeat: 10 * time.Millisecond})
	in := make(chan *Batch, 4)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.Run(ctx, in) }()
	var readers sync.WaitGroup
	stop := make(chan struct{})
	for r := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var anchor uint64
			var folded []uint64
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				q := Query{Sort: Column(k % int(TaskColumns)), Desc: k%2 == r, Limit: 20, Anchor: anchor, Row: 5, Move: k%3 - 1, Tree: true}
				if k%4 == 0 {
					q.Filter = "name~^op-[12]"
				}
				page := m.Tasks(q)
				if len(page.Rows) > q.Limit || page.Selected >= len(page.Rows) || page.Offset+len(page.Rows) > page.Total {
					t.Errorf("tree page of %d rows, selected %d, offset %d of %d", len(page.Rows), page.Selected, page.Offset, page.Total)
					return
				}
				if page.Selected < 0 {
					continue
				}
				anchor = page.Rows[page.Selected].ID
				v := m.Trace(TraceQuery{Span: anchor, Collapsed: folded, Anchor: anchor, Row: 3, Limit: 10})
				if len(v.Rows) > 10 || v.Selected >= len(v.Rows) || (v.Found && v.Spans == 0) {
					t.Errorf("trace view: %d rows, selected %d, %d spans", len(v.Rows), v.Selected, v.Spans)
					return
				}
				if len(v.Rows) > 0 && k%3 == 0 {
					folded = append(folded[:0], v.Rows[0].ID)
				}
				m.Operation(uint64(k%6+1), 40)
			}
		}()
	}
	now := time.Now()
	for n := range uint64(300) {
		var specs []spec
		for j := range uint64(50) {
			id := n*50 + j + 1
			s := spec{trace: id / 5, span: id, name: "op-" + string(rune('0'+id%6)), start: now, dur: time.Duration(id%9) * time.Millisecond,
				inflight: id%7 == 0, seq: 1}
			if id%5 != 0 {
				s.parent = id - 1 // a chain, its head the root or, across traces, an orphan
			}
			specs = append(specs, s)
		}
		in <- m.batch(specs...)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	readers.Wait()
	cancel()
	wg.Wait()
}
