package model

import (
	"testing"
	"time"
)

// The writer sleeps while nothing is due: an empty model, or one whose
// spans all finished long before their retention ends, names no sweep
// sooner than the linger deadline, then the retention deadline.
func TestNextSweepIsTheNextDeadline(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Hour, Heartbeat: time.Second})
	m.Sweep()
	if m.sweepDue != never {
		t.Fatalf("empty model: next sweep at %d, want never", m.sweepDue)
	}

	start := clk.Now()
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "done", service: "a", start: start, dur: time.Millisecond}))
	finished := clk.Now().UnixNano()
	clk.Advance(time.Second)
	m.Sweep()
	// The trace's propagation check is due first, then the span's retention.
	if m.warn.checkHead < len(m.warn.checks) {
		if want := m.warn.checks[m.warn.checkHead].due; m.sweepDue != want {
			t.Fatalf("next sweep at %d, want the trace check at %d", m.sweepDue, want)
		}
		clk.Advance(time.Duration(m.sweepDue - clk.Now().UnixNano()))
		m.Sweep()
	}
	// Then it leaves the live table (linger, and idle its slack), then
	// the store (retention).
	if want := finished + int64(DefaultLinger) + int64(DefaultLinger/idleLingerSlack); m.sweepDue != want {
		t.Fatalf("next sweep in %v, want the linger deadline in %v",
			time.Duration(m.sweepDue-clk.Now().UnixNano()), time.Duration(want-clk.Now().UnixNano()))
	}
	clk.Advance(time.Duration(m.sweepDue - clk.Now().UnixNano()))
	m.Sweep()
	if h := m.Header(); h.Shelved != 1 || h.Spans != 1 {
		t.Fatalf("at the linger deadline: %d stored, %d out of the live table; want 1 and 1", h.Spans, h.Shelved)
	}
	if want := finished + int64(time.Hour); m.sweepDue != want {
		t.Fatalf("next sweep in %v, want the retention deadline in %v",
			time.Duration(m.sweepDue-clk.Now().UnixNano()), time.Duration(want-clk.Now().UnixNano()))
	}

	// A span in flight is due to be lost after LostAfterHeartbeats of silence.
	seen := clk.Now().UnixNano()
	m.Apply(m.batch(spec{trace: 2, span: 2, name: "live", service: "a", start: clk.Now(), inflight: true}))
	m.Sweep()
	lost := seen + int64(LostAfterHeartbeats)*int64(time.Second) + 1
	if m.sweepDue > lost {
		t.Fatalf("next sweep in %v, want no later than the lost deadline in %v",
			time.Duration(m.sweepDue-seen), time.Duration(lost-seen))
	}
	for i := 0; i < 100 && m.Header().Lost == 0; i++ {
		clk.Advance(time.Duration(m.sweepDue - clk.Now().UnixNano()))
		m.Sweep()
	}
	if m.Header().Lost != 1 {
		t.Fatalf("sweeping at each deadline did not mark the silent span lost")
	}
}
