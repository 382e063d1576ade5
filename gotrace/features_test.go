package gotrace

import (
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

// TestWaitersAndResources checks what the batches say while the waiters
// wait: state, reason, block stack, and the mutex resource with its waiters
// and wakers.
func TestWaitersAndResources(t *testing.T) {
	w := getWorkload(t)
	_, bs := parsed(t, w)
	ids := map[string]int64{}
	for name, g := range byName(bs) {
		ids[name] = g.ID
	}
	var seenWaiting bool
	var mutex *model.SyncResourceRec
	for _, b := range bs {
		if b.Start == 0 || b.End < b.Start || b.Session != 1 || b.Bytes <= 0 {
			t.Errorf("batch span %d..%d session %d bytes %d", b.Start, b.End, b.Session, b.Bytes)
		}
		for i := range b.SyncResources {
			r := &b.SyncResources[i]
			if r.Kind == model.WaitMutex && r.Name == "" && strings.Contains(r.Location, "workload_test.go") && strings.HasPrefix(r.Location, "github.com/spantop/spantop/gotrace.runWorkload") {
				if mutex == nil || r.Waits >= mutex.Waits {
					mutex = r
				}
			}
		}
		// The waits in progress: each waiter's wait so far is within the
		// resource's longest, and together within its waiting total.
		inProgress := make([]int64, len(b.SyncResources))
		for _, g := range b.Goroutines {
			if g.State != model.GoWaiting || g.Resource < 0 || int(g.Resource) >= len(b.SyncResources) {
				continue
			}
			r, d := &b.SyncResources[g.Resource], b.End-g.Since
			inProgress[g.Resource] += d
			if d > r.Longest || r.Waiters == 0 {
				t.Errorf("%s has waited %v on %s, whose longest wait in progress is %v (%d waiters)", g.Name, time.Duration(d), r.Location, time.Duration(r.Longest), r.Waiters)
			}
		}
		for i := range b.SyncResources {
			if r := &b.SyncResources[i]; inProgress[i] > r.Waiting || r.Longest > r.Waiting || (r.Waiters == 0 && r.Waiting != 0) {
				t.Errorf("%s: %d waiters waiting %v (longest %v); the goroutines sent say at least %v", r.Location, r.Waiters, time.Duration(r.Waiting), time.Duration(r.Longest), time.Duration(inProgress[i]))
			}
		}
		for _, g := range b.Goroutines {
			if !strings.HasPrefix(g.Name, "waiter-") || g.State != model.GoWaiting || g.Wait != model.WaitMutex {
				continue
			}
			seenWaiting = true
			if g.WaitReason != "sync" {
				t.Errorf("%s waits for %q", g.Name, g.WaitReason)
			}
			if g.Resource < 0 || int(g.Resource) >= len(b.SyncResources) {
				t.Fatalf("%s: resource index %d of %d", g.Name, g.Resource, len(b.SyncResources))
			}
			r := b.SyncResources[g.Resource]
			if r.Kind != model.WaitMutex || r.Waiters < 1 {
				t.Errorf("%s waits on %+v", g.Name, r)
			}
			if len(g.BlockStack) == 0 || time.Duration(b.End-g.Since) < 0 {
				t.Errorf("%s: block stack %v since %d end %d", g.Name, g.BlockStack, g.Since, b.End)
			}
		}
	}
	if !seenWaiting {
		t.Fatal("no waiter reported waiting on the mutex")
	}
	if mutex == nil {
		t.Fatal("no mutex resource at the workload's call site")
	}
	t.Logf("mutex %s: waits %d total %v max %v wakers %v", mutex.Location, mutex.Waits, time.Duration(mutex.WaitTotal), time.Duration(mutex.WaitMax), mutex.Wakers)
	if mutex.Waits < 10 || mutex.WaitMax < int64(150*time.Millisecond) || len(mutex.Wakers) == 0 {
		t.Errorf("mutex resource %+v", mutex)
	}
	woke := false
	for _, wk := range mutex.Wakers {
		woke = woke || wk.Goroutine == ids["holder"]
	}
	if !woke {
		t.Errorf("the holder (%d) is not among the mutex's wakers %v", ids["holder"], mutex.Wakers)
	}
	// Goroutine metadata: creation stack once, start function, parent.
	all := lastRecords(bs)
	sl := all[ids["sleeper"]]
	// The workload starts its goroutines with sync.WaitGroup.Go, so that is
	// where they start.
	if len(sl.CreateStack) == 0 || !strings.Contains(sl.CreateStack[1].Func, "runWorkload") || sl.StartFunc != "sync.(*WaitGroup).Go.func1" || sl.Parent == 0 {
		t.Errorf("sleeper: start %q parent %d create stack %v", sl.StartFunc, sl.Parent, sl.CreateStack)
	}
	creates := 0
	for _, b := range bs {
		for _, g := range b.Goroutines {
			if g.ID == ids["sleeper"] && g.CreateStack != nil {
				creates++
			}
		}
	}
	if creates != 1 {
		t.Errorf("sleeper's creation stack sent %d times", creates)
	}
}

// TestSpanTimes: the work two goroutines did for a span, from its log to
// its end (the end of the SDK's task, or the end log agentlib sent before),
// and none of the work done after it.
func TestSpanTimes(t *testing.T) {
	w := getWorkload(t)
	_, bs := parsed(t, w)
	for _, ws := range w.spans {
		var last *model.SpanTime
		for _, b := range bs {
			for i := range b.SpanTimes {
				st := &b.SpanTimes[i]
				if string(st.TraceID[:])+string(st.SpanID[:]) == string(ws.key[:]) {
					last = st
				}
			}
		}
		if last == nil {
			t.Errorf("%s: no span times", ws.name)
			continue
		}
		t.Logf("%s: busy %v sched %v idle %v goroutines %v; measured run %v idle %v", ws.name,
			time.Duration(last.Busy), time.Duration(last.Sched), time.Duration(last.Idle), last.Goroutines, ws.run, ws.idl)
		if len(last.Goroutines) != 2 {
			t.Errorf("%s worked for by %v", ws.name, last.Goroutines)
		}
		if !within(time.Duration(last.Busy+last.Sched), ws.run, 0.10) {
			t.Errorf("%s busy+sched %v, measured %v", ws.name, time.Duration(last.Busy+last.Sched), ws.run)
		}
		if !within(time.Duration(last.Idle), ws.idl, 0.10) {
			t.Errorf("%s idle %v, measured %v", ws.name, time.Duration(last.Idle), ws.idl)
		}
	}
}

func TestNamedResources(t *testing.T) {
	w := getWorkload(t)
	_, bs := parsed(t, w)
	found := map[string]model.SyncResourceRec{}
	for _, b := range bs {
		for _, r := range b.SyncResources {
			if r.Name != "" {
				found[r.Name] = r
			}
		}
	}
	cache, ok := found["cache"]
	if !ok || cache.Kind != model.WaitMutex || cache.Waits != 1 {
		t.Fatalf("cache: %+v (found %v)", cache, found)
	}
	if !within(time.Duration(cache.WaitTotal), w.truth["named"].lockWait, 0.10) || !strings.Contains(cache.Location, "runWorkload") {
		t.Errorf("cache waited %v at %q, measured %v", time.Duration(cache.WaitTotal), cache.Location, w.truth["named"].lockWait)
	}
	db, ok := found["db-conns"]
	if !ok || db.Kind != model.WaitSemaphore || db.Waits != 1 {
		t.Fatalf("db-conns: %+v", db)
	}
	if !within(time.Duration(db.WaitTotal), w.truth["named"].chanWait, 0.10) {
		t.Errorf("db-conns waited %v, measured %v", time.Duration(db.WaitTotal), w.truth["named"].chanWait)
	}
	g := byName(bs)["named"]
	if g.Idle[model.WaitSemaphore] != db.WaitTotal || g.Idle[model.WaitMutex] != cache.WaitTotal {
		t.Errorf("named goroutine idle %v", g.Idle)
	}
}
