package model

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestWriterAndReadersRunTogether runs the writer loop against readers
// asking for every view with changing sorts; the race detector checks
// the locking and the invariants are checked on every page.
func TestWriterAndReadersRunTogether(t *testing.T) {
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
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				q := Query{Sort: Column(k % int(TaskColumns)), Desc: k%2 == r, Limit: 20, Anchor: anchor, Row: 5, Move: k%3 - 1}
				if k%5 == 0 {
					q.Filter = "kind=server"
				}
				page := m.Tasks(q)
				if len(page.Rows) > q.Limit || page.Selected >= len(page.Rows) {
					t.Errorf("page of %d rows, selected %d", len(page.Rows), page.Selected)
					return
				}
				if page.Selected >= 0 {
					anchor = page.Rows[page.Selected].ID
					m.Span(anchor)
				}
				m.Operations(Query{Sort: OpTotal, Desc: true, Limit: 10})
				if h := m.Header(); h.MemoryUsed > h.MemoryBudget {
					t.Errorf("memory %d over budget %d", h.MemoryUsed, h.MemoryBudget)
					return
				}
			}
		}()
	}
	now := time.Now()
	for n := range uint64(400) {
		var specs []spec
		for j := range uint64(50) {
			id := n*50 + j + 1
			specs = append(specs, spec{trace: id / 5, span: id, name: "op", kind: SpanKind(id % 4), start: now, dur: time.Millisecond, inflight: id%7 == 0, seq: 1})
		}
		in <- m.batch(specs...)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	readers.Wait()
	cancel()
	wg.Wait()
}
