package model

import (
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBackgroundThreadOutlivesItsJob: the threads that ran background
// jobs are still there after the jobs, at the lowest priority. A thread that
// ended with its job would send SIGTERM to any child process started from
// it with Pdeathsig (the demo's workload, `spantop run`'s command): a sort
// change stopped the demo in CI that way.
func TestBackgroundThreadOutlivesItsJob(t *testing.T) {
	// As many jobs at once as there are workers, so that each has a thread
	// of its own; the main thread, if one lands there, proves nothing (the
	// runtime parks it rather than end it).
	tids := make(chan int, maxBackgroundWorkers)
	release := make(chan struct{})
	for range maxBackgroundWorkers {
		inBackground(func() { tids <- syscall.Gettid(); <-release })
	}
	var threads []int
	for range maxBackgroundWorkers {
		if tid := <-tids; tid != os.Getpid() {
			threads = append(threads, tid)
		}
	}
	close(release)
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, tid := range threads {
			if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); err != nil {
				t.Fatalf("background job's thread %d ended after the job: %v", tid, err)
			}
		}
	}
	// getpriority(2) returns 20-nice: 1 for nice 19.
	lowered := 0
	for _, tid := range threads {
		if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil && p == 1 {
			lowered++
		}
	}
	if lowered == 0 {
		t.Errorf("none of the background threads %v runs at nice 19", threads)
	}
}

// TestBackgroundNeverWaitsForAWorker: with every worker busy, a job still
// starts at once.
func TestBackgroundNeverWaitsForAWorker(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	n := maxBackgroundWorkers + 2
	started.Add(n)
	for range n {
		inBackground(func() { started.Done(); <-release })
	}
	done := make(chan struct{})
	go func() { started.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a background job waited for a busy worker")
	}
	close(release)
	backgroundWorkers.mu.Lock()
	defer backgroundWorkers.mu.Unlock()
	if backgroundWorkers.n > maxBackgroundWorkers {
		t.Errorf("%d background workers, want at most %d", backgroundWorkers.n, maxBackgroundWorkers)
	}
}
