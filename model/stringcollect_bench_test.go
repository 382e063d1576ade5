package model

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkCollectStrings1M is one mark and sweep of the intern table with
// 1M spans stored (5 attributes each, some values unique): the time the
// writer holds the lock for it.
func BenchmarkCollectStrings1M(b *testing.B) {
	m, clk := newTestModel(Config{MaxMemory: 4 << 30, Retain: time.Hour})
	w := NewAttrWriter(m.syms)
	res := m.svcResource("api")
	start := clk.Now().UnixNano()
	for k := 0; k < 1_000_000; k += 512 {
		bt := &Batch{Resources: []Resource{res}}
		for j := range 512 {
			i := k + j
			w.Reset()
			w.String([]byte("http.route"), []byte("/api/"+strconv.Itoa(i%50)))
			w.String([]byte("user.id"), []byte("u-"+strconv.Itoa(i)))
			w.Int([]byte("http.status_code"), 200)
			w.String([]byte("db.system"), []byte("postgresql"))
			w.Bool([]byte("cache.hit"), i%3 == 0)
			bt.Spans = append(bt.Spans, SpanRec{TraceID: traceID(uint64(i/8 + 1)), SpanID: spanID(uint64(i + 1)),
				Start: start, End: start + 1e6, Name: m.syms.InternString("op-" + strconv.Itoa(i%40)), Attrs: w.Blob(), NumAttrs: 5})
		}
		m.Apply(bt)
	}
	for b.Loop() {
		since := m.syms.openEpoch()
		m.mu.Lock()
		m.collectStrings(since)
		m.mu.Unlock()
	}
	b.ReportMetric(float64(m.syms.Len()), "strings")
}
