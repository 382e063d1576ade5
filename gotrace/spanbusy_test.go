package gotrace

import (
	"bytes"
	"context"
	"runtime/trace"
	"sync"
	"testing"
	"time"
)

// A goroutine started with a span's context after the span ended (a
// handler that hands work to agentlib.Go and returns) does not work for
// the span: the span's Busy stays within its Total.
func TestSpanBusyStopsAtItsEnd(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("execution tracer busy: %v", err)
	}
	ctx := context.Background()
	var key spanKey
	copy(key[:], "trace-id-0123456span-id8")
	var total time.Duration
	var wg sync.WaitGroup
	wg.Go(func() {
		t0 := time.Now()
		trace.Log(ctx, logSpan, string(key[:]))
		_, task := trace.NewTask(ctx, "send orders") // as the OTel SDK does after OnStart
		spin(2 * time.Millisecond)
		task.End()
		total = time.Since(t0)
		// The work handed on after the span ended.
		wg.Go(func() {
			trace.Log(ctx, logSpanGo, string(key[:]))
			spin(30 * time.Millisecond)
		})
	})
	wg.Wait()
	trace.Stop()

	r, c := newTestReader(t, Options{})
	header, gens := splitTrace(t, buf.Bytes())
	for _, g := range gens {
		offerAll(t, r, chunks(header, g, 1, 0, 8<<10, true))
	}
	settle(t, r)
	var busy, sched int64
	found := false
	for _, b := range c.all() {
		for _, st := range b.SpanTimes {
			if string(st.TraceID[:])+string(st.SpanID[:]) == string(key[:]) {
				busy, sched, found = st.Busy, st.Sched, true
			}
		}
	}
	if !found {
		t.Fatal("no span times for the span")
	}
	t.Logf("total %v, busy %v, sched %v", total, time.Duration(busy), time.Duration(sched))
	if time.Duration(busy) > total {
		t.Errorf("busy %v exceeds the span's total %v", time.Duration(busy), total)
	}
}
