package gotrace

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

// truth is what a workload goroutine measured of itself.
type truth struct {
	lockWait, sleep, chanWait time.Duration
	locks, sleeps             int
	cpu                       time.Duration // thread CPU time, for the spinner
	ran                       time.Duration // wall time spent spinning, for span work
}

// workload is a real execution trace of a known workload, split the way
// agentlib sends it, with what each goroutine measured of itself.
type workload struct {
	raw   []byte
	truth map[string]*truth
	// spans are the workload's spans: one marked as agentlib's span
	// processor and the SDK mark it (a log, then the SDK's task), one as
	// agentlib did before (a log at each end).
	spans []workSpan
	// mainSleep is the workload's own long sleep, across generations.
	mainSleep time.Duration
}

// workSpan is a span of the workload and what its goroutines measured of
// the work they did for it.
type workSpan struct {
	name     string
	key      spanKey
	run, idl time.Duration // spinning, and sleeping (both goroutines)
}

var (
	workloadOnce sync.Once
	theWorkload  *workload
)

// getWorkload runs the workload once for all tests (about 2.6 s).
func getWorkload(t testing.TB) *workload {
	t.Helper()
	workloadOnce.Do(func() { theWorkload = runWorkload(2600 * time.Millisecond) })
	if theWorkload == nil {
		t.Fatal("workload failed")
	}
	return theWorkload
}

// threadCPU is the calling thread's CPU time (Linux; 0 elsewhere).
func threadCPU() time.Duration {
	if runtime.GOOS != "linux" {
		return 0
	}
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func runWorkload(d time.Duration) *workload {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		panic(err)
	}
	ctx := context.Background()
	w := &workload{truth: map[string]*truth{}}
	var done atomic.Bool
	var wg sync.WaitGroup
	var mu, spanMu sync.Mutex
	goNamed := func(name string, f func(tr *truth)) {
		tr := &truth{}
		w.truth[name] = tr
		wg.Go(func() {
			trace.Log(ctx, logName, name)
			f(tr)
		})
	}

	// A mutex held 200ms of every 250ms, and three goroutines waiting for it.
	goNamed("holder", func(tr *truth) {
		// Generations end about every second, in step with the 250ms
		// cycle: this phase has the mutex held when they do.
		t0 := time.Now()
		time.Sleep(120 * time.Millisecond)
		tr.sleep += time.Since(t0)
		for !done.Load() {
			t0 := time.Now()
			mu.Lock()
			tr.lockWait += time.Since(t0)
			t1 := time.Now()
			time.Sleep(200 * time.Millisecond)
			tr.sleep += time.Since(t1)
			mu.Unlock()
			t2 := time.Now()
			time.Sleep(50 * time.Millisecond)
			tr.sleep += time.Since(t2)
			tr.sleeps += 2
		}
	})
	for i := range 3 {
		goNamed(fmt.Sprintf("waiter-%d", i), func(tr *truth) {
			for !done.Load() {
				t0 := time.Now()
				mu.Lock()
				tr.lockWait += time.Since(t0)
				tr.locks++
				mu.Unlock()
				t1 := time.Now()
				time.Sleep(5 * time.Millisecond)
				tr.sleep += time.Since(t1)
				tr.sleeps++
			}
		})
	}
	// A CPU spinner on its own thread, so the thread's CPU time is its own.
	goNamed("spinner", func(tr *truth) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c0 := threadCPU()
		x := 0
		for !done.Load() {
			for range 1000 {
				x++
			}
		}
		tr.cpu = threadCPU() - c0
	})
	goNamed("sleeper", func(tr *truth) {
		for !done.Load() {
			t0 := time.Now()
			time.Sleep(100 * time.Millisecond)
			tr.sleep += time.Since(t0)
			tr.sleeps++
		}
	})

	// Spans worked for by two goroutines: one spins 60ms and sleeps 100ms,
	// the other (started like agentlib.Go) sleeps 50ms and ends. After the
	// span's end the first goroutine works on, for nothing it counts.
	// One after the other: a sleep's wall time counts the wait for a CPU
	// after it, which two spinning at once would make large.
	w.spans = make([]workSpan, 2)
	spanWork := func(i int, name, id string, legacy bool, after <-chan struct{}) <-chan struct{} {
		ws := &w.spans[i]
		ws.name = name
		copy(ws.key[:], id)
		done := make(chan struct{})
		goNamed(name, func(tr *truth) {
			defer close(done)
			<-after
			trace.Log(ctx, logSpan, string(ws.key[:]))
			end := func() { trace.Log(ctx, logSpanEnd, string(ws.key[:])) }
			if !legacy {
				_, task := trace.NewTask(ctx, name) // as the OTel SDK does after OnStart
				end = task.End
			}
			var helper sync.WaitGroup
			var helperSleep time.Duration
			helper.Go(func() {
				trace.Log(ctx, logSpanGo, string(ws.key[:]))
				t0 := time.Now()
				time.Sleep(50 * time.Millisecond)
				helperSleep = time.Since(t0)
			})
			t0 := time.Now()
			spin(60 * time.Millisecond)
			tr.ran = time.Since(t0)
			t1 := time.Now()
			time.Sleep(100 * time.Millisecond)
			tr.sleep = time.Since(t1)
			helper.Wait()
			end()
			spanMu.Lock()
			ws.run, ws.idl = tr.ran, tr.sleep+helperSleep
			spanMu.Unlock()
			spin(30 * time.Millisecond)
			time.Sleep(30 * time.Millisecond)
		})
		return done
	}
	go1 := make(chan struct{}) // the first starts at once
	close(go1)
	first := spanWork(0, "span-worker", "0123456789abcdef01234567", false, go1)
	spanWork(1, "legacy-span-worker", "76543210fedcba9876543210", true, first)

	// Named resources: a mutex "cache" held 30ms, a semaphore "db-conns"
	// (a channel) granted after 40ms.
	var cache sync.Mutex
	sem := make(chan struct{})
	cache.Lock()
	go func() {
		time.Sleep(30 * time.Millisecond)
		cache.Unlock()
		time.Sleep(40 * time.Millisecond)
		<-sem
	}()
	goNamed("named", func(tr *truth) {
		t0 := time.Now()
		trace.Log(ctx, logResource, "mutex:cache")
		cache.Lock()
		tr.lockWait = time.Since(t0)
		cache.Unlock()
		t1 := time.Now()
		trace.Log(ctx, logResource, "semaphore:db-conns")
		sem <- struct{}{}
		tr.chanWait = time.Since(t1)
	})

	// This goroutine sleeps across generation ends: its idle time must
	// add up all the same.
	trace.Log(ctx, logName, "main")
	t0 := time.Now()
	time.Sleep(d)
	w.mainSleep = time.Since(t0)
	done.Store(true)
	wg.Wait()
	trace.Stop()
	w.raw = buf.Bytes()
	return w
}

// parsed feeds the whole workload to a fresh reader and returns its batches.
func parsed(t *testing.T, w *workload) (*Reader, []*model.RuntimeBatch) {
	t.Helper()
	r, c := newTestReader(t, Options{})
	header, gens := splitTrace(t, w.raw)
	for _, g := range gens {
		offerAll(t, r, chunks(header, g, 1, 0, 8<<10, true))
	}
	settle(t, r)
	return r, c.all()
}

// byName finds the last record of each named goroutine.
func byName(bs []*model.RuntimeBatch) map[string]model.GoroutineRec {
	out := map[string]model.GoroutineRec{}
	for _, g := range lastRecords(bs) {
		if g.Name != "" {
			out[g.Name] = g
		}
	}
	return out
}

func idleTotal(g model.GoroutineRec) int64 {
	var s int64
	for _, d := range g.Idle {
		s += d
	}
	return s
}

// within reports whether got is within frac of want.
func within(got, want time.Duration, frac float64) bool {
	diff := got - want
	if diff < 0 {
		diff = -diff
	}
	return float64(diff) <= frac*float64(want)
}

func TestAccuracy(t *testing.T) {
	w := getWorkload(t)
	r, bs := parsed(t, w)
	st := r.Stats()
	if st.Corrupt != 0 || st.Gaps != 0 || st.Generations < 3 {
		t.Fatalf("stats %+v", st)
	}
	gs := byName(bs)
	for _, name := range []string{"holder", "waiter-0", "waiter-1", "waiter-2", "spinner", "sleeper"} {
		g, ok := gs[name]
		if !ok {
			t.Fatalf("no goroutine named %q", name)
		}
		if g.State != model.GoExited || g.Ended == 0 || g.Created == 0 {
			t.Errorf("%s: state %v created %d ended %d", name, g.State, g.Created, g.Ended)
		}
		life := time.Duration(g.Ended - g.Created)
		sum := time.Duration(g.Busy + g.Sched + idleTotal(g))
		// Every nanosecond of its life is in exactly one bucket.
		if !within(sum, life, 0.001) {
			t.Errorf("%s: busy+sched+idle %v, life %v", name, sum, life)
		}
		tr := w.truth[name]
		t.Logf("%-9s life %8v busy %8v sched %8v idle mutex %8v sleep %8v | truth lock %8v sleep %8v cpu %8v | polls %d preempts %d wakes %d",
			name, life.Round(time.Microsecond), time.Duration(g.Busy).Round(time.Microsecond), time.Duration(g.Sched).Round(time.Microsecond),
			time.Duration(g.Idle[model.WaitMutex]).Round(time.Microsecond), time.Duration(g.Idle[model.WaitSleep]).Round(time.Microsecond),
			tr.lockWait.Round(time.Microsecond), tr.sleep.Round(time.Microsecond), tr.cpu.Round(time.Microsecond), g.Polls, g.Preempts, g.Wakes)
	}
	check := func(name, what string, got int64, want time.Duration) {
		t.Helper()
		if !within(time.Duration(got), want, 0.10) {
			t.Errorf("%s %s: got %v, want %v ±10%%", name, what, time.Duration(got), want)
		}
	}
	for _, name := range []string{"holder", "sleeper", "waiter-0", "waiter-1", "waiter-2"} {
		check(name, "idle sleep", gs[name].Idle[model.WaitSleep], w.truth[name].sleep)
	}
	for i := range 3 {
		name := fmt.Sprintf("waiter-%d", i)
		g := gs[name]
		// A lock wait is the block plus the wait for a CPU after the wake.
		check(name, "idle mutex", g.Idle[model.WaitMutex], w.truth[name].lockWait)
		if g.Idle[model.WaitMutex] < g.Idle[model.WaitSleep] {
			t.Errorf("%s: blocked on the mutex %v, less than asleep %v", name, time.Duration(g.Idle[model.WaitMutex]), time.Duration(g.Idle[model.WaitSleep]))
		}
		if g.Wakes == 0 || g.Waker == 0 {
			t.Errorf("%s: wakes %d waker %d", name, g.Wakes, g.Waker)
		}
	}
	sp := gs["spinner"]
	life := time.Duration(sp.Ended - sp.Created)
	// The spinner never blocks: it runs or waits for a CPU.
	check("spinner", "busy+sched", sp.Busy+sp.Sched, life)
	if cpu := w.truth["spinner"].cpu; cpu > 0 {
		// The trace cannot see the OS deschedule the thread, so busy is
		// at least the thread's CPU time, and near it on a quiet machine.
		if time.Duration(sp.Busy) < cpu*95/100 {
			t.Errorf("spinner busy %v < thread CPU %v", time.Duration(sp.Busy), cpu)
		}
		t.Logf("spinner busy/cpu = %.3f", float64(sp.Busy)/float64(cpu))
	}
	// Blocked across two generation ends, reported when it wakes.
	check("main", "idle sleep", gs["main"].Idle[model.WaitSleep], w.mainSleep)
	t.Logf("main      idle sleep %v | truth %v", time.Duration(gs["main"].Idle[model.WaitSleep]), w.mainSleep)
	sl := gs["sleeper"]
	if d := int(sl.Polls) - w.truth["sleeper"].sleeps; d < 0 || d > 2 {
		t.Errorf("sleeper polls %d, sleeps %d", sl.Polls, w.truth["sleeper"].sleeps)
	}
}
