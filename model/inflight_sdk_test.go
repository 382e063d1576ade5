package model

import (
	"testing"
	"time"
)

// TestNoHeartbeatInFlight: a span another SDK sent unended is not
// refreshed by heartbeats, so it stays running while agentlib's snapshot
// beside it is lost after three missed heartbeats; it is lost only after
// NoHeartbeatLostAfter, and its ended copy still finishes it then.
func TestNoHeartbeatInFlight(t *testing.T) {
	m, clk := newTestModel(Config{Heartbeat: time.Second})
	start := clk.Now()
	b := m.batch(
		spec{trace: 1, span: 1, name: "agentlib", start: start, inflight: true, seq: 1},
		spec{trace: 2, span: 2, name: "other-sdk", start: start, inflight: true},
	)
	b.Spans[1].NoHeartbeat = true
	m.Apply(b)
	state := func() map[string]State {
		out := map[string]State{}
		for _, r := range m.Tasks(Query{Sort: TaskID, Limit: 10}).Rows {
			out[r.Name] = r.State
		}
		return out
	}
	clk.Advance(time.Duration(LostAfterHeartbeats+1) * time.Second)
	m.Sweep()
	if s := state(); s["agentlib"] != StateLost || s["other-sdk"] != StateRunning {
		t.Fatalf("after 4 heartbeats: %v, want agentlib lost, other-sdk running", s)
	}
	clk.Advance(NoHeartbeatLostAfter)
	m.Sweep()
	if s := state(); s["other-sdk"] != StateLost {
		t.Fatalf("after %v: %v, want other-sdk lost", NoHeartbeatLostAfter, s)
	}
	m.Apply(m.batch(spec{trace: 2, span: 2, name: "other-sdk", start: start, dur: 2 * time.Hour}))
	// (agentlib's lost span has gone with retention by now.)
	if s := state(); s["other-sdk"] != StateDone || len(s) != 1 || m.Header().Lost != 0 {
		t.Fatalf("after its ended copy: %v lost %d", s, m.Header().Lost)
	}
}

// TestInFlightWithoutStart: an unended span with no start time runs from
// its arrival, not from 1970, and a newer copy without one keeps it.
func TestInFlightWithoutStart(t *testing.T) {
	m, clk := newTestModel(Config{})
	b := m.batch(spec{trace: 1, span: 1, name: "nostart", inflight: true})
	b.Spans[0].Start, b.Spans[0].NoHeartbeat = 0, true
	m.Apply(b)
	clk.Advance(2 * time.Second)
	b = m.batch(spec{trace: 1, span: 1, name: "nostart", inflight: true})
	b.Spans[0].Start, b.Spans[0].NoHeartbeat = 0, true
	m.Apply(b)
	r := m.Tasks(Query{Sort: TaskID, Limit: 10}).Rows
	if len(r) != 1 || r[0].State != StateRunning || r[0].Total != 2*time.Second {
		t.Fatalf("rows = %+v, want one running for 2s", r)
	}
}

// TestMeasuredBusyIdle: busy and idle times sent with a span fill its
// Busy and Idle (Sched not measured), follow the ended copy, and are
// summed in its operation when it ends.
func TestMeasuredBusyIdle(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now()
	b := m.batch(
		spec{trace: 1, span: 1, name: "poll", start: start, dur: 10 * time.Millisecond},
		spec{trace: 1, span: 2, name: "poll", start: start, inflight: true},
	)
	b.Spans[0].HasBusyIdle, b.Spans[0].Busy, b.Spans[0].Idle = true, int64(2*time.Millisecond), int64(8*time.Millisecond)
	b.Spans[1].NoHeartbeat = true
	m.Apply(b)
	b = m.batch(spec{trace: 1, span: 2, name: "poll", start: start, dur: 30 * time.Millisecond})
	b.Spans[0].HasBusyIdle, b.Spans[0].Busy, b.Spans[0].Idle = true, int64(5*time.Millisecond), int64(25*time.Millisecond)
	m.Apply(b)
	rows := m.Tasks(Query{Sort: TaskBusy, Desc: true, Limit: 10}).Rows
	if len(rows) != 2 || rows[0].Busy != 5*time.Millisecond || rows[0].Idle != 25*time.Millisecond || rows[0].Sched != SchedNotMeasured ||
		rows[1].Busy != 2*time.Millisecond {
		t.Fatalf("rows = %+v", rows)
	}
	ops := m.Operations(Query{Sort: OpBusy, Desc: true, Limit: 10}).Rows
	if len(ops) != 1 || ops[0].Count != 2 || ops[0].Busy != 7*time.Millisecond || ops[0].Idle != 33*time.Millisecond {
		t.Fatalf("operations = %+v", ops)
	}
}
