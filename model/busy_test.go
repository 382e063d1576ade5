package model

import (
	"testing"
	"time"
)

// A span's Busy never exceeds its Total, whichever arrives first: the span
// or the times its goroutines spent for it (two goroutines running in
// parallel for a 12µs span report 30µs between them).
func TestSpanBusyIsWithinItsTotal(t *testing.T) {
	for _, order := range []string{"times first", "span first", "in flight, then times, then the end"} {
		t.Run(order, func(t *testing.T) {
			m, clk := newTestModel(Config{})
			start := clk.Now()
			span := spec{trace: 1, span: 1, name: "send orders", kind: KindProducer, start: start, dur: 12 * time.Microsecond}
			times := &Batch{Runtime: &RuntimeBatch{Resource: m.svcResource("api"), Session: 1, Start: start.UnixNano(), End: start.UnixNano() + 1e9,
				SpanTimes: []SpanTime{{TraceID: traceID(1), SpanID: spanID(1), Busy: int64(30 * time.Microsecond), Goroutines: []int64{7, 8}}}}}
			switch order {
			case "times first":
				m.Apply(times)
				m.Apply(m.batch(span))
			case "span first":
				m.Apply(m.batch(span))
				m.Apply(times)
			default:
				live := span
				live.inflight, live.seq = true, 1
				m.Apply(m.batch(live))
				clk.Advance(time.Second)
				m.Apply(times)
				m.Apply(m.batch(span))
			}
			p := m.Tasks(Query{Sort: TaskBusy, Desc: true, Limit: 10, Filter: "kind=producer"})
			if len(p.Rows) != 1 {
				t.Fatalf("%d rows", len(p.Rows))
			}
			r := p.Rows[0]
			if r.Busy > r.Total || r.Busy != 12*time.Microsecond {
				t.Fatalf("busy %v, total %v: want busy = total = 12µs", r.Busy, r.Total)
			}
		})
	}
}
