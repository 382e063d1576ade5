package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// readersSee is what the span, goroutine and resource tables, the header
// and the warnings show at one moment.
func readersSee(m *Model) string {
	out := ""
	for _, q := range []Query{
		{Sort: TaskTotal, Limit: 40},
		{Sort: TaskWarn, Desc: true, Limit: 40},
		{Sort: TaskName, Limit: 40, Stored: true},
		{Sort: TaskTotal, Limit: 40, Tree: true},
		{Sort: TaskID, Limit: 40, Goroutines: true},
		{Sort: TaskID, Limit: 40, Goroutines: true, Stored: true},
	} {
		p := m.Tasks(q)
		out += fmt.Sprintf("%+v total %d\n", q, p.Total)
		for _, r := range p.Rows {
			out += fmt.Sprintf("%+v\n", r)
		}
	}
	p := m.Resources(Query{Limit: 40})
	out += fmt.Sprintf("resources total %d\n", p.Total)
	for _, r := range p.Rows {
		out += fmt.Sprintf("%+v\n", r)
	}
	h := m.Header()
	h.SpansPerSec, h.LogsPerSec, h.MemoryUsed, h.Changes = 0, 0, 0, 0
	out += fmt.Sprintf("%+v\n", h)
	for _, w := range m.Warnings() {
		out += fmt.Sprintf("%v %d %s\n", w.Kind, w.Count, w.Text)
	}
	return out
}

// An idle sweep that leaves Changes as it was changed nothing readers
// see; one that changed something moved it. A random workload of spans
// that finish, linger, are retained, go lost, run too long, miss their
// parents or remote children, and of goroutines whose processes go
// silent or say goodbye, with idle gaps between.
func TestASweepThatShowsNothingNewIsNoChange(t *testing.T) {
	for _, retain := range []time.Duration{2 * time.Minute, 20 * time.Second} { // past linger, within it
		t.Run(retain.String(), func(t *testing.T) { sweepsThatShowNothingNew(t, retain) })
	}
}

func sweepsThatShowNothingNew(t *testing.T, retain time.Duration) {
	m, clk := newTestModel(Config{Linger: 30 * time.Second, Retain: retain, Heartbeat: time.Second,
		Warn: Thresholds{InFlight: 8 * time.Second, Blocked: 5 * time.Second}})
	rng := rand.New(rand.NewPCG(8, 2026))
	var unchanged, changedIdle int
	span := uint64(0)
	inflight := map[uint64]spec{}
	for round := range 600 {
		now := clk.Now()
		var specs []spec
		for range rng.IntN(3) * rng.IntN(40) {
			span++
			trace := span/4 + 1
			s := spec{trace: trace, span: span, name: fmt.Sprintf("op-%d", rng.IntN(6)),
				service: fmt.Sprintf("svc-%d", rng.IntN(3)), start: now.Add(-time.Duration(rng.IntN(3000)) * time.Millisecond),
				dur: time.Duration(rng.IntN(900)+1) * time.Millisecond}
			switch r := rng.IntN(60); {
			case r < 3:
				s.kind = KindClient // a call whose server may never report
			case r < 5:
				s.parent = span + 1000 // a parent that never comes
			case r < 6:
				s.status = StatusError
			case r < 9:
				s.inflight, s.seq = true, 1
				inflight[span] = s
			}
			if span%4 != 1 && s.parent == 0 {
				s.parent = span - span%4 + 1
			}
			specs = append(specs, s)
		}
		for id, s := range inflight { // heartbeats, ends, silence
			switch rng.IntN(6) {
			case 0:
				s.inflight, s.seq, s.dur = false, s.seq+1, now.Sub(s.start)
				specs = append(specs, s)
				delete(inflight, id)
			case 1, 2:
				s.seq++
				inflight[id] = s
				specs = append(specs, s)
			}
		}
		b := m.batch(specs...)
		if pid := int64(rng.IntN(4)); pid < 2 {
			res := m.svcResource("goapp")
			res.PID = 100 + pid
			b.Runtime = &RuntimeBatch{Resource: res, Session: uint64(pid + 1), Start: now.UnixNano() - 1e9, End: now.UnixNano(),
				Goroutines: []GoroutineRec{
					{ID: 1, StartFunc: "main.main", State: GoRunning, Resource: -1},
					{ID: 10 + int64(rng.IntN(5)), Name: "worker", StartFunc: "main.work", State: GoWaiting, Wait: WaitChanRecv, Resource: -1},
					{ID: 20 + int64(rng.IntN(5)), StartFunc: "main.serve", State: GoExited, Resource: -1},
				}}
		}
		quiet := round%30 >= 20
		if !quiet && (len(b.Spans) > 0 || b.Runtime != nil) {
			m.Apply(b)
		}
		if !quiet && rng.IntN(40) == 0 {
			res := m.svcResource("goapp")
			res.PID = 100 + int64(rng.IntN(2))
			m.Apply(&Batch{Statuses: []AgentStatus{{Resource: res, Message: "agentlib stopped", Goodbye: true}}})
		}
		// Busy rounds a batch apart, then every 30 rounds a quiet spell of
		// ten 2 s sweeps, as the writer sweeps when idle.
		gap := time.Duration(rng.IntN(400)+50) * time.Millisecond
		if quiet {
			gap = idleSweepGap
		}
		clk.Advance(gap)
		idle := m.idle(clk.Now().UnixNano())
		before, changes := readersSee(m), m.Header().Changes
		m.Sweep()
		after := readersSee(m)
		switch moved := m.Header().Changes != changes; {
		case !moved && before != after:
			t.Fatalf("round %d: a sweep changed what readers see but not Changes:\nbefore:\n%s\nafter:\n%s", round, before, after)
		case !moved:
			unchanged++
		case idle:
			changedIdle++
		}
		if !idle && m.Header().Changes == changes {
			t.Fatalf("round %d: a sweep while batches arrive did not count as a change", round)
		}
	}
	if unchanged < 20 || changedIdle < 20 {
		t.Fatalf("idle sweeps: %d unchanged, %d changed; the workload should give many of both", unchanged, changedIdle)
	}
	t.Logf("idle sweeps: %d showed nothing new, %d did", unchanged, changedIdle)
}

// A warning that moves from one span to another in one idle sweep leaves
// every count as it was, but not the rows: the sweep is a change.
func TestASweepThatMovesAWarningIsAChange(t *testing.T) {
	m, clk := newTestModel(Config{})
	m.Apply(m.batch(spec{trace: 1, span: 2, parent: 1, name: "child", start: clk.Now(), dur: time.Millisecond}))
	clk.Advance(6 * time.Second)
	m.Sweep()
	if taskWarnings(t, m, "child") != 1 {
		t.Fatal("the child without its parent is not an orphan")
	}
	// Its parent arrives late, with a new span whose parent never will:
	// both traces are judged in the same idle sweep.
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "late-parent", start: clk.Now(), dur: time.Millisecond},
		spec{trace: 3, span: 6, parent: 5, name: "stray", start: clk.Now(), dur: time.Millisecond}))
	clk.Advance(6 * time.Second)
	before, changes := readersSee(m), m.Header().Changes
	m.Sweep()
	if taskWarnings(t, m, "child") != 0 || taskWarnings(t, m, "stray") != 1 || warnCount(m, WarnOrphan) != 1 {
		t.Fatalf("the orphan warning did not move from child to stray: %+v", m.Warnings())
	}
	if readersSee(m) == before {
		t.Fatal("the rows read the same")
	}
	if m.Header().Changes == changes {
		t.Error("a sweep that moved a warning from one row to another did not count as a change")
	}
}

// A process with no goroutines that goes silent changes no count, but its
// service's row in the resources table is finished: the sweep is a change.
func TestASweepThatEndsAProcessIsAChange(t *testing.T) {
	m, clk := newTestModel(Config{Heartbeat: time.Second})
	now := clk.Now().UnixNano()
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: m.svcResource("quiet"), Session: 1, Start: now - 1e9, End: now}})
	clk.Advance(time.Duration(procLostAfter+1) * time.Second)
	before, changes := readersSee(m), m.Header().Changes
	m.Sweep()
	if readersSee(m) == before {
		t.Fatal("the process going silent changed nothing readers see")
	}
	if m.Header().Changes == changes {
		t.Error("a sweep that ended a process did not count as a change")
	}
}
