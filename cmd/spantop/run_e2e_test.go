package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/ui"
)

// spantop run -- CMD: CMD sends to spantop, its output goes to a file the
// header names, and the header says when it exited and how; spantop stays
// open until the user quits.
func TestRunChild(t *testing.T) {
	app := otelApp(t)
	t.Setenv("OTELAPP_REQUESTS", "5")
	t.Setenv("OTELAPP_EXIT", "4")
	var notes []string
	var spans int
	runUI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
		notes = append(notes, opts.Status())
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(opts.Status(), "exited") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		for src.Header().Spans < 10 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		spans = src.Header().Spans
		notes = append(notes, opts.Status())
		return nil
	}
	defer func() { runUI = nil }()
	code, _, errs := runMain(t, "run", "--log", t.TempDir()+"/log", "--", app)
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	if spans != 10 {
		t.Errorf("%d spans from the child, want 10", spans)
	}
	last := notes[len(notes)-1]
	if !strings.Contains(last, "CMD otelapp exited 4 at ") || !strings.Contains(last, "(output ") {
		t.Errorf("header notes %q", notes)
	}
	i := strings.Index(last, "(output ")
	path := strings.TrimSuffix(last[i+len("(output "):], ")")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the child's output file: %v", err)
	}
	_ = os.Remove(path)
	if !strings.Contains(errs, "exited 4") {
		t.Errorf("stderr %q", errs)
	}
}

// A child that runs on is stopped with spantop.
func TestRunChildStopsWithSpantop(t *testing.T) {
	runUI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
		time.Sleep(300 * time.Millisecond)
		if !strings.Contains(opts.Status(), "CMD sleep running") {
			t.Errorf("header note %q", opts.Status())
		}
		return nil
	}
	defer func() { runUI = nil }()
	start := time.Now()
	code, _, errs := runMain(t, "run", "--child-output", t.TempDir()+"/out", "--", "sleep", "60")
	if code != 0 || time.Since(start) > 10*time.Second {
		t.Errorf("status %d after %v: %s", code, time.Since(start), errs)
	}
	if !strings.Contains(errs, "exited 143") {
		t.Errorf("stderr %q, want the child ended by SIGTERM (143)", errs)
	}
}

// The command spantop runs outlives any number of sort changes. A sort
// change built its index on threads that ended with the work, and a child
// started with Pdeathsig from such a thread got SIGTERM: `spantop run`'s
// command and the demo's workload died at a key press.
func TestTmuxRunChildOutlivesSortChanges(t *testing.T) {
	tm := startTerm(t, 200, 50, "run", "--", "sleep", "1000")
	tm.waitText("CMD sleep running")
	for range 30 {
		tm.keys("l")
		time.Sleep(50 * time.Millisecond)
		tm.keys("h")
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // the last builds end, and with them (before) their threads
	if s := tm.screen(); !strings.Contains(s, "CMD sleep running") {
		t.Fatalf("the command did not outlive the sort changes:\n%s", s)
	}
	tm.keys("q")
	if code := tm.waitExit(); code != 0 {
		t.Errorf("exit status %d after q, want 0", code)
	}
}
