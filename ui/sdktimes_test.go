package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// TestMeasuredBusyIdle: a span whose SDK measured busy and idle time but
// not scheduling (tracing-opentelemetry) shows Busy and Idle, a blank
// Sched, and a busy/idle split in its details.
func TestMeasuredBusyIdle(t *testing.T) {
	f := newFake(10)
	f.mu.Lock()
	f.tasks[3].Kind = model.KindInternal
	f.tasks[3].Busy, f.tasks[3].Sched, f.tasks[3].Idle, f.tasks[3].Polls = 3*time.Millisecond, model.SchedNotMeasured, 37*time.Millisecond, 0
	id := f.tasks[3].ID
	f.spans[id] = model.SpanDetail{ID: id, Name: "handle_request", HasTimes: true,
		Busy: 3 * time.Millisecond, Sched: model.SchedNotMeasured, Idle: 37 * time.Millisecond}
	f.mu.Unlock()
	a := newApp(t, f, Options{}, 200, 50)
	tick(a)
	busyCol, schedCol, idleCol := a.tasks.cols[model.TaskBusy], a.tasks.cols[model.TaskSched], a.tasks.cols[model.TaskIdle]
	for i := range a.tasks.rows {
		r := &a.tasks.rows[i]
		if r.ID != id {
			continue
		}
		busy, _ := busyCol.cell(a.st, r, 9)
		sched, _ := schedCol.cell(a.st, r, 9)
		idle, _ := idleCol.cell(a.st, r, 9)
		if busy != "3.00ms" || sched != "" || idle != "37.00ms" {
			t.Errorf("busy %q sched %q idle %q, want 3.00ms, blank, 37.00ms", busy, sched, idle)
		}
	}
	v := newDetailsView(id)
	v.set(f.spans[id], true)
	v.width = 100
	v.build(a.st)
	page := ansi.Strip(strings.Join(v.lines, "\n"))
	if !strings.Contains(page, "busy 3.00ms") || !strings.Contains(page, "idle 37.00ms") || strings.Contains(page, "scheduled") {
		t.Errorf("details lack the busy/idle split:\n%s", page)
	}
}
