package ui

import (
	"testing"
	"time"
)

// BenchmarkTasksFrame measures one refresh at 200×50 against the fake
// source: the query, preparing the rows that changed, and View.
func BenchmarkTasksFrame(b *testing.B) {
	f := newFake(2000)
	a := newApp(b, f, Options{}, 200, 50)
	msg := tickMsg(time.Now())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Change a few rows per frame, as live spans do.
		f.mu.Lock()
		for k := range 5 {
			f.tasks[(i*5+k)%len(f.tasks)].Total += time.Millisecond
		}
		f.mu.Unlock()
		i++
		a.Update(msg)
		_ = a.View()
	}
}

// BenchmarkTasksView measures View alone: joining prepared strings.
func BenchmarkTasksView(b *testing.B) {
	a := newApp(b, newFake(2000), Options{}, 200, 50)
	b.ReportAllocs()
	for b.Loop() {
		_ = a.View()
	}
}

// BenchmarkTasksPrepareAll measures rendering every visible row from
// scratch (a resize or a full change).
func BenchmarkTasksPrepareAll(b *testing.B) {
	a := newApp(b, newFake(2000), Options{}, 200, 50)
	b.ReportAllocs()
	for b.Loop() {
		a.tasks.gen++
		a.tasks.prepare(a.st)
	}
}
