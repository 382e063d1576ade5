package model

import "sync"

// Work nobody waits on (making a build's room, sorting a new index) runs
// on background workers: goroutines each locked to a thread of its own at
// the lowest scheduling priority, so that on a busy machine the writer and
// the screen go first.
//
// A worker never ends, and so neither does its thread. A thread whose
// locked goroutine ends is ended by the runtime, and on Linux a child
// process started with Pdeathsig (the demo's workload, `spantop run`'s
// command) gets its signal when the thread that started it ends, not the
// process: a sort change would have stopped the command spantop ran.
// Priority cannot be raised again without privilege, so a thread once
// lowered is not given back to the runtime either.

// maxBackgroundWorkers bounds the threads kept for background work. A
// build abandoned while sorting (the sort changed again) still finishes its
// sort, so a few may run at once; beyond this a job runs on an ordinary
// goroutine at ordinary priority.
const maxBackgroundWorkers = 3

var backgroundWorkers = struct {
	mu    sync.Mutex
	n     int         // workers started
	ready chan func() // a send succeeds when a worker waits for a job
}{ready: make(chan func())}

// inBackground runs job on an idle background worker, a new one if none
// is idle and fewer than maxBackgroundWorkers exist, or else on a goroutine
// of its own. It never waits for a worker.
func inBackground(job func()) {
	w := &backgroundWorkers
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.ready <- job:
		return
	default:
	}
	if w.n == maxBackgroundWorkers {
		go job()
		return
	}
	w.n++
	go backgroundWorker(job, w.ready)
}

func backgroundWorker(job func(), jobs <-chan func()) {
	lowerThreadPriority()
	for {
		job()
		job = <-jobs
	}
}
