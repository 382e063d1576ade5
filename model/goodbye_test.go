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
	if h := m.Header(); h.Goroutines != 4 || h.Services != 1 {
		t.Fatalf("two replicas: header = %+v, want 4 live goroutines of 1 service", h)
	}
	m.Apply(&Batch{Statuses: []AgentStatus{{Resource: res(100), Message: "agentlib stopped", Goodbye: true}}})
	if h := m.Header(); h.Goroutines != 2 || h.Lost != 0 {
		t.Fatalf("after pid 100's goodbye: header = %+v, want 2 live, 0 lost", h)
	}
	if p := m.Tasks(Query{Sort: TaskID, Limit: 10, Goroutines: true, Filter: "kind=goroutine state=done name=consumer"}); p.Total != 1 {
		t.Fatalf("the consumer of the process that said goodbye: %+v", p.Rows)
	}
	// pid 200 goes silent: its goroutines are lost.
	clk.Advance(time.Duration(procLostAfter+1) * time.Second)
	m.Sweep()
	if h := m.Header(); h.Goroutines != 0 || h.Lost != 2 {
		t.Fatalf("after pid 200 went silent: header = %+v, want 0 live, 2 lost", h)
	}
}
