package model

import (
	"testing"
	"time"
)

// A process that said goodbye has exited goroutines; one that went silent
// has lost ones. Replicas of a service without instance IDs (two pids)
// do not end each other's sessions.
func TestGoodbyeExitsSilenceLoses(t *testing.T) {
	m, clk := newTestModel(Config{Heartbeat: time.Second})
	now := clk.Now().UnixNano()
	res := func(pid int64) Resource { r := m.svcResource("myapp"); r.PID = pid; return r }
	gen := func(pid int64, session uint64) *Batch {
		return &Batch{Runtime: &RuntimeBatch{Resource: res(pid), Session: session, Start: now - 1e9, End: now,
			Goroutines: []GoroutineRec{
				{ID: 1, StartFunc: "main.main", State: GoRunning, Resource: -1},
				{ID: 7, Name: "consumer", StartFunc: "main.consume", State: GoWaiting, Wait: WaitChanRecv, Resource: -1},
			}}}
	}
	m.Apply(gen(100, 1))
	m.Apply(gen(200, 2))
	if h := m.Header(); h.Goroutines != 4 || h.Services != 1 || h.Spans != 0 {
		t.Fatalf("two replicas: header = %+v, want 4 live goroutines of 1 service and no spans", h)
	}
	m.Apply(&Batch{Statuses: []AgentStatus{{Resource: res(100), Message: "agentlib stopped", Goodbye: true}}})
	if h := m.Header(); h.Goroutines != 2 || h.GoroutinesLost != 0 {
		t.Fatalf("after pid 100's goodbye: header = %+v, want 2 live, 0 lost", h)
	}
	if p := m.Tasks(Query{Sort: TaskID, Limit: 10, Goroutines: true, Filter: "kind=goroutine state=done name=consumer"}); p.Total != 1 {
		t.Fatalf("the consumer of the process that said goodbye: %+v", p.Rows)
	}
	// pid 200 goes silent: its goroutines are lost.
	clk.Advance(time.Duration(procLostAfter+1) * time.Second)
	m.Sweep()
	if h := m.Header(); h.Goroutines != 0 || h.GoroutinesLost != 2 {
		t.Fatalf("after pid 200 went silent: header = %+v, want 0 live, 2 lost goroutines", h)
	}
}

// A process judged silent while its trace batches were only late (spantop
// or the app under load) comes back when its session speaks again: its
// goroutines are live again — also those the new batch does not repeat,
// as a generation sends only the goroutines that changed — and nothing
// stays counted lost.
func TestSilentProcessThatSpeaksAgainIsRevived(t *testing.T) {
	m, clk := newTestModel(Config{Heartbeat: time.Second})
	res := m.svcResource("myapp")
	gen := func(gs ...GoroutineRec) *Batch {
		now := clk.Now().UnixNano()
		return &Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now,
			SyncResources: []SyncResourceRec{{Kind: WaitMutex, Location: "main.lock main.go:20", Waiters: 2}},
			Goroutines:    gs}}
	}
	m.Apply(gen(
		GoroutineRec{ID: 1, StartFunc: "main.main", State: GoRunning, Resource: -1},
		GoroutineRec{ID: 7, Name: "consumer", StartFunc: "main.consume", State: GoWaiting, Wait: WaitMutex, Resource: 0},
		GoroutineRec{ID: 8, Name: "consumer", StartFunc: "main.consume", State: GoWaiting, Wait: WaitMutex, Resource: 0},
	))
	clk.Advance(time.Duration(procLostAfter+1) * time.Second)
	m.Sweep()
	if h := m.Header(); h.Goroutines != 0 || h.GoroutinesLost != 3 {
		t.Fatalf("silent: header = %+v, want 0 live, 3 lost", h)
	}
	// The late generation arrives: only goroutine 1 changed.
	m.Apply(gen(GoroutineRec{ID: 1, StartFunc: "main.main", State: GoRunning, Resource: -1}))
	if h := m.Header(); h.Goroutines != 3 || h.GoroutinesLost != 0 {
		t.Fatalf("spoke again: header = %+v, want 3 live, 0 lost", h)
	}
	if p := m.Tasks(Query{Sort: TaskID, Limit: 10, Goroutines: true, Filter: "kind=goroutine state=lost"}); p.Total != 0 {
		t.Fatalf("rows still lost: %+v", p.Rows)
	}
	// One screen agrees with itself: the count beside each list is its length.
	for _, r := range m.Resources(Query{Limit: 10}).Rows {
		d, _ := m.Resource(r.ID)
		if r.Waiters != 2 || len(d.Waiters) != 2 {
			t.Fatalf("%s %s: waiting now %d, listed %d; want 2 and 2", r.Kind, r.Location, r.Waiters, len(d.Waiters))
		}
	}
	// Past retention, the revived rows are still there (their retention entries are void).
	clk.Advance(DefaultRetain + time.Second)
	m.Apply(gen(GoroutineRec{ID: 1, StartFunc: "main.main", State: GoRunning, Resource: -1}))
	m.Sweep()
	if h := m.Header(); h.Goroutines != 3 {
		t.Fatalf("after retention: header = %+v, want 3 live", h)
	}
}

// A goodbye that follows a silence (the app was only slow) ends its
// goroutines as exited, not lost.
func TestGoodbyeAfterSilenceExits(t *testing.T) {
	m, clk := newTestModel(Config{Heartbeat: time.Second})
	res := m.svcResource("myapp")
	now := clk.Now().UnixNano()
	m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now,
		Goroutines: []GoroutineRec{{ID: 7, Name: "consumer", StartFunc: "main.consume", State: GoWaiting, Wait: WaitChanRecv, Resource: -1}}}})
	clk.Advance(time.Duration(procLostAfter+1) * time.Second)
	m.Sweep()
	m.Apply(&Batch{Statuses: []AgentStatus{{Resource: res, Message: "agentlib stopped", Goodbye: true}}})
	if h := m.Header(); h.Goroutines != 0 || h.GoroutinesLost != 0 {
		t.Fatalf("after goodbye: header = %+v, want 0 live, 0 lost", h)
	}
	if p := m.Tasks(Query{Sort: TaskID, Limit: 10, Goroutines: true, Filter: "kind=goroutine state=done name=consumer"}); p.Total != 1 {
		t.Fatalf("the consumer: %+v", p.Rows)
	}
}
