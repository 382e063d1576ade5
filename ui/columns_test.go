package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// TestRuntimeColumnsCollapse checks that Busy, Sched, Idle and Polls give
// up their width while no row on screen has them, show for spans that
// have them, and stay blank (not zero) for spans that do not.
func TestRuntimeColumnsCollapse(t *testing.T) {
	f := newFake(40)
	for i := range f.tasks {
		if f.tasks[i].Kind == model.KindGoroutine {
			f.tasks[i].Kind = model.KindInternal
			f.tasks[i].Busy, f.tasks[i].Sched, f.tasks[i].Idle, f.tasks[i].Polls = 0, 0, 0, 0
		}
	}
	a := newApp(t, f, Options{}, 200, 50)
	head := ansi.Strip(a.tasks.header)
	for _, col := range []string{"Busy", "Sched", "Idle", "Polls"} {
		if strings.Contains(head, col) {
			t.Errorf("no row has runtime figures, yet the header has %q: %q", col, head)
		}
	}
	wide := ansi.StringWidth(a.tasks.lines[0])
	// A span of an agentlib app has busy/sched/idle: the columns come back.
	f.mu.Lock()
	f.tasks[7].Busy, f.tasks[7].Sched, f.tasks[7].Idle = 1500*time.Microsecond, 20*time.Microsecond, 3*time.Second
	f.mu.Unlock()
	tick(a)
	head = ansi.Strip(a.tasks.header)
	for _, col := range []string{"Busy", "Sched", "Idle", "Polls"} {
		if !strings.Contains(head, col) {
			t.Errorf("header lacks %q once a span has runtime figures: %q", col, head)
		}
	}
	if w := ansi.StringWidth(a.tasks.lines[0]); w != wide {
		t.Errorf("rows are %d cells, want %d", w, wide)
	}
	busyCol := a.tasks.cols[model.TaskBusy]
	pollsCol := a.tasks.cols[model.TaskPolls]
	for i := range a.tasks.rows {
		r := &a.tasks.rows[i]
		busy, _ := busyCol.cell(a.st, r, 9)
		polls, _ := pollsCol.cell(a.st, r, 7)
		switch r.ID {
		case 8:
			if busy != "1.50ms" || polls != "" {
				t.Errorf("span with runtime figures: busy %q polls %q, want 1.50ms and blank", busy, polls)
			}
		default:
			if busy != "" || polls != "" {
				t.Errorf("span %d without runtime figures: busy %q polls %q, want blanks", r.ID, busy, polls)
			}
		}
	}
	// A goroutine that never ran shows zeroes: its figures are known.
	g := model.TaskRow{ID: 99, Kind: model.KindGoroutine}
	if busy, _ := busyCol.cell(a.st, &g, 9); busy != "0ns" {
		t.Errorf("idle goroutine busy %q, want 0ns", busy)
	}
	if polls, _ := pollsCol.cell(a.st, &g, 7); polls != "0" {
		t.Errorf("idle goroutine polls %q, want 0", polls)
	}
	// Coloured like the other durations.
	if _, sty := busyCol.cell(a.st, &model.TaskRow{Kind: model.KindGoroutine, Busy: 3 * time.Second}, 9); sty != a.st.durStyle(3*time.Second) {
		t.Error("busy time not coloured by magnitude")
	}
}
