package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/model/modeltest"
)

// BenchmarkTasksFrame measures one refresh at 200×50 against the fake
// source: the query, preparing the rows that changed, and View.
func BenchmarkTasksFrame(b *testing.B) {
	f := newFake(2000)
	a := newApp(b, f, Options{}, 200, 50)
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
		a.Update(nextTick(a))
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

// BenchmarkTasksFrame1M measures one 200×50 refresh of the tasks view with
// 1M spans stored in the real model, while the selection moves: the query
// for the visible window, preparing the rows that changed, and View. The
// model fill is outside the timing.
func BenchmarkTasksFrame1M(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(m, 1_000_000, time.Now().Add(-time.Minute))
	a := newApp(b, modelSource{m}, Options{}, 200, 50)
	a.Update(nextTick(a))
	press(a, "j", "j", "j") // select by ID from here on, as a user who moved does
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%10 == 0 {
			press(a, "j")
		}
		i++
		a.Update(nextTick(a))
		_ = a.View()
	}
	if !strings.Contains(plain(a), "of 1000000 spans") && !strings.Contains(plain(a), "1,000,000") {
		b.Fatalf("frame does not show the 1M spans:\n%s", plain(a))
	}
}

// BenchmarkTraceFrame10k measures one 200×50 refresh of the trace view on
// a trace of 10,000 spans in the real model: the waterfall query for the
// visible rows, rendering them, and View.
func BenchmarkTraceFrame10k(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 1 << 30, Retain: time.Hour})
	tid := modeltest.BigTrace(m, 10_000, time.Now().Add(-time.Minute))
	a := newApp(b, modelSource{m}, Options{}, 200, 50)
	a.push(newTraceView(tid, 0))
	a.Update(nextTick(a))
	press(a, "j", "j", "j")
	if !strings.Contains(plain(a), "10000 spans") {
		b.Fatalf("frame does not show the trace:\n%s", plain(a))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%10 == 0 {
			press(a, "j")
		}
		i++
		a.Update(nextTick(a))
		_ = a.View()
	}
}

// BenchmarkTreeFrame1M measures one 200×50 refresh of the tasks view in
// tree mode with 1M spans stored in the real model, the selection moving.
func BenchmarkTreeFrame1M(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	modeltest.Fill(m, 1_000_000, time.Now().Add(-time.Minute))
	a := newApp(b, modelSource{m}, Options{}, 200, 50)
	press(a, "T", "j", "j", "j")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%10 == 0 {
			press(a, "j")
		}
		i++
		a.Update(nextTick(a))
		_ = a.View()
	}
	if !strings.Contains(plain(a), "· tree") {
		b.Fatalf("not in tree mode:\n%s", plain(a))
	}
}
