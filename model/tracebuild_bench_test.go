package model

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkTraceBuildCollect100k measures what a change of the traces
// table's sort column costs the writer with 100,000 traces stored: the
// items collected under the lock (startTraceBuild); the sort and the tree
// are built off it (BenchmarkTracesSortChange100k measures that part,
// done at once by a query when no writer runs).
func BenchmarkTraceBuildCollect100k(b *testing.B) {
	m, clk := newTestModel(Config{MaxMemory: 4 << 30, Retain: time.Hour})
	t0 := clk.Now().Add(-time.Minute)
	for base := 0; base < 100_000; base += 1000 {
		var specs []spec
		for i := base; i < base+1000; i++ {
			specs = append(specs, spec{trace: uint64(i + 1), span: uint64(2*i + 1), name: fmt.Sprint("op-", i%40), service: "svc",
				start: t0.Add(time.Duration(i) * time.Microsecond), dur: time.Duration(i%1000) * time.Microsecond},
				spec{trace: uint64(i + 1), span: uint64(2*i + 2), parent: uint64(2*i + 1), name: "child", service: "db",
					start: t0.Add(time.Duration(i) * time.Microsecond), dur: time.Microsecond})
		}
		m.Apply(m.batch(specs...))
	}
	cols := []Column{TraceColDuration, TraceColName, TraceColStart}
	i := 0
	for b.Loop() {
		m.mu.Lock()
		sinkItems = m.collectTraceItems(cols[i%len(cols)])
		m.mu.Unlock()
		i++
	}
}

var sinkItems []item
