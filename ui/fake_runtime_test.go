package ui

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spantop/spantop/model"
)

// fakeRuntime is the fake source's goroutines and resources: details for
// every goroutine row of the tasks, three services and fakeResources sync
// resources, all deterministic.
type fakeRuntime struct {
	resources  []model.ResourceRow
	resDetail  map[uint64]model.ResourceDetail
	goroutines map[uint64]model.GoroutineDetail
	rq         []model.Query
	goHits     int
	// SaveTrace answers with savePath, or saveErr when set, and records
	// the goroutines it was asked for.
	savePath string
	saveErr  error
	saved    []uint64
}

const fakeResources = 40

// runtime returns the fake's runtime data, making it from the tasks on
// first use. The caller holds f.mu.
func (f *fakeSource) runtime() *fakeRuntime {
	if f.rt != nil {
		return f.rt
	}
	rt := &fakeRuntime{resDetail: map[uint64]model.ResourceDetail{}, goroutines: map[uint64]model.GoroutineDetail{},
		savePath: "./spantop-trace-svc-1-20261122-010203.out"}
	f.rt = rt
	var gids []uint64
	for i := range f.tasks {
		if f.tasks[i].Kind == model.KindGoroutine {
			gids = append(gids, f.tasks[i].ID)
		}
	}
	ref := func(k int, d time.Duration) model.GoroutineRef {
		if len(gids) == 0 {
			return model.GoroutineRef{GoID: int64(100 + k), Name: "gone", For: d}
		}
		id := gids[k%len(gids)]
		return model.GoroutineRef{ID: id, GoID: int64(id*3 + 17), Name: fmt.Sprintf("worker-%d", id), For: d, Wakes: uint64(1000 / (k + 1))}
	}
	kinds := []model.WaitKind{model.WaitMutex, model.WaitChanRecv, model.WaitSelect, model.WaitSleep, model.WaitNetwork,
		model.WaitWaitGroup, model.WaitSemaphore, model.WaitRWMutex, model.WaitCond, model.WaitChanSend}
	types := map[model.WaitKind]string{model.WaitMutex: "sync.Mutex", model.WaitChanRecv: "chan", model.WaitSelect: "select",
		model.WaitSleep: "time.Timer", model.WaitNetwork: "net.Conn", model.WaitWaitGroup: "sync.WaitGroup",
		model.WaitSemaphore: "agentlib.Semaphore", model.WaitRWMutex: "sync.RWMutex", model.WaitCond: "sync.Cond", model.WaitChanSend: "chan"}
	funcs := []string{"shop.(*Cache).Get", "shop.(*Queue).Pop", "shop.(*Server).serve", "shop.retry", "shop.(*DB).Query",
		"shop.(*Batch).Wait", "shop.(*Pool).Acquire", "shop.(*Index).Lookup", "shop.(*Broker).next", "shop.(*Queue).Push"}
	for s := range 3 {
		id := uint64(s + 1)
		name := fmt.Sprintf("svc-%d", s)
		row := model.ResourceRow{ID: id, Kind: "service", Total: time.Duration(s+1) * 97 * time.Second, Target: name,
			Type: "process", Location: fmt.Sprintf("pid %d on box", 4242+s), Waiters: 10 + s*7,
			WaitTotal: time.Duration(s+1) * 41 * time.Second, WaitMax: time.Duration(s+2) * 3 * time.Second,
			Attrs: []model.Attr{{Key: "goroutines", Value: model.Value{Type: model.ValueInt, Int: int64(120 + s*30)}},
				{Key: "heap", Value: model.Value{Str: fmt.Sprintf("%d.0MiB", 12+s)}}}}
		rt.resources = append(rt.resources, row)
		d := model.ResourceDetail{Row: row, Waits: uint64(5000 + s*123), Wait: fakeHist(s, 2*time.Microsecond, row.WaitMax),
			Waiters: []model.GoroutineRef{ref(s, 3*time.Second), ref(s+1, 2*time.Second), ref(s+2, 40*time.Millisecond)},
			Wakers:  []model.GoroutineRef{ref(s+3, 0), ref(s+4, 0)},
			Runtime: &model.RuntimeStats{Goroutines: int64(120 + s*30), ByState: [model.GoStates]int64{4, 2, int64(110 + s*30), 4, -1},
				HeapBytes: int64(12+s) << 20, HeapGoal: int64(24+s) << 20, GCCycles: int64(88 + s), GCPause: int64(12300 * time.Microsecond),
				SchedP50: int64(12 * time.Microsecond), SchedP99: int64(1200 * time.Microsecond), MutexWait: int64(12300 * time.Millisecond)}}
		if s == 2 {
			d.Status = "execution trace unavailable: another trace.Start is running"
			d.Runtime.ByState = [model.GoStates]int64{-1, -1, -1, -1, -1}
		}
		rt.resDetail[id] = d
	}
	for i := range fakeResources {
		id := uint64(i + 4)
		parent := uint64(1 + i%3)
		k := kinds[i%len(kinds)]
		row := model.ResourceRow{ID: id, Parent: parent, ParentName: fmt.Sprintf("svc-%d", i%3), Kind: k.String(),
			Total: time.Duration(10+(i*37)%90) * time.Second, Target: fmt.Sprintf("svc-%d", i%3), Type: types[k],
			Location: fmt.Sprintf("%s shop/%s.go:%d", funcs[i%len(funcs)], strings.ToLower(k.String()[:4]), 20+i*3),
			Waiters:  i % 4, WaitTotal: time.Duration((i*7919)%10000) * time.Millisecond,
			WaitMax: time.Duration((i*131)%900+1) * time.Millisecond, Finished: i%9 == 8}
		if k == model.WaitSemaphore {
			row.Attrs = []model.Attr{{Key: "name", Value: model.Value{Str: "db-conns"}}, {Key: "capacity", Value: model.Value{Type: model.ValueInt, Int: 20}}}
		}
		d := model.ResourceDetail{Row: row, Waits: uint64(100 + i*13), Ended: row.WaitTotal, EndedMax: row.WaitMax,
			Wait: fakeHist(i, 5*time.Microsecond, row.WaitMax)}
		for w := range row.Waiters {
			d.Waiters = append(d.Waiters, ref(i+w, time.Duration(3-w)*time.Second))
			row.WaitTotal += d.Waiters[w].For // the waits going on count too
			row.WaitMax = max(row.WaitMax, d.Waiters[0].For)
		}
		d.Row = row
		rt.resources = append(rt.resources, row)
		d.Wakers = []model.GoroutineRef{ref(i+5, 0), {GoID: 1, Name: "main", Wakes: 3}}
		rt.resDetail[id] = d
	}
	var spanIDs []uint64
	for i := range f.tasks {
		if f.tasks[i].Kind != model.KindGoroutine {
			spanIDs = append(spanIDs, f.tasks[i].ID)
		}
	}
	for k, id := range gids {
		r := f.tasks[slices.IndexFunc(f.tasks, func(t model.TaskRow) bool { return t.ID == id })]
		d := model.GoroutineDetail{ID: id, GoID: int64(id*3 + 17), Name: fmt.Sprintf("worker-%d", id), StartFunc: "shop.(*Pool).worker",
			Service: r.Service, Instance: "7f3a9c1e-5b2d-4e8a-9f00-1c2d3e4f5a6b", State: model.StateWaiting, GoState: model.GoWaiting,
			Wait: model.WaitChanRecv, WaitReason: "chan receive", Resource: uint64(4 + k%fakeResources), InState: 2310 * time.Millisecond,
			Created: fakeStart, Total: 12300 * time.Millisecond, Busy: 1200 * time.Millisecond, Sched: 300 * time.Millisecond,
			Idle: []model.WaitTime{{Kind: model.WaitChanRecv, Time: 8 * time.Second}, {Kind: model.WaitSleep, Time: 2 * time.Second},
				{Kind: model.WaitNetwork, Time: 800 * time.Millisecond}},
			Polls: 1234, Preempts: 3, LongestRun: 12 * time.Millisecond, Wakes: 1200,
			Run:      fakeHist(k, time.Microsecond, 48*time.Millisecond),
			SchedLat: fakeHist(k+2, 200*time.Nanosecond, 3*time.Millisecond),
			CreateStack: []model.Frame{
				{Func: "shop.(*Pool).Start", File: "/home/dev/shop/pool.go", Line: 41},
				{Func: "main.run", File: "/home/dev/shop/main.go", Line: 88},
				{Func: "main.main", File: "/home/dev/shop/main.go", Line: 23}},
			BlockStack: []model.Frame{
				{Func: "runtime.gopark", File: "/usr/local/go/src/runtime/proc.go", Line: 435},
				{Func: "runtime.chanrecv", File: "/usr/local/go/src/runtime/chan.go", Line: 664},
				{Func: "runtime.chanrecv1", File: "/usr/local/go/src/runtime/chan.go", Line: 506},
				{Func: "shop.(*Pool).worker", File: "/home/dev/shop/pool.go", Line: 77},
				{Func: "runtime.goexit", File: "/usr/local/go/src/runtime/asm_amd64.s", Line: 1700}},
			CanSaveTrace: true,
		}
		if k > 0 {
			p := gids[k-1]
			d.Parent = model.GoroutineRef{ID: p, GoID: int64(p*3 + 17), Name: fmt.Sprintf("worker-%d", p)}
		} else {
			d.Parent = model.GoroutineRef{GoID: 1, Name: "main"}
		}
		if k+1 < len(gids) {
			w := gids[k+1]
			d.Waker = model.GoroutineRef{ID: w, GoID: int64(w*3 + 17), Name: fmt.Sprintf("worker-%d", w), Wakes: 600}
		}
		for j := range min(3, len(spanIDs)) {
			sid := spanIDs[(k*2+j)%len(spanIDs)]
			d.Spans = append(d.Spans, model.SpanRef{ID: sid, Name: fmt.Sprintf("GET /api/items/%d", sid-1),
				Busy: time.Duration(j+1) * 3 * time.Millisecond, Sched: time.Duration(j+1) * 400 * time.Microsecond,
				Idle: time.Duration(j+1) * 90 * time.Millisecond})
		}
		d.Spans = append(d.Spans, model.SpanRef{Name: "POST /checkout", Busy: time.Millisecond})
		rt.goroutines[id] = d
	}
	return rt
}

// fakeHist is a bell-shaped histogram between lo and hi.
func fakeHist(seed int, lo, hi time.Duration) model.HistSummary {
	h := model.HistSummary{Min: lo, Max: hi}
	const n = 24
	for b := range n {
		x := float64(b - 5 - seed%5)
		c := uint64(400*math.Exp(-x*x/12)) + uint64((b*(seed+3))%5)
		h.Buckets = append(h.Buckets, c)
		h.Count += c
		h.BucketEdges = append(h.BucketEdges, lo+(hi-lo)*time.Duration(b)/n)
	}
	h.BucketEdges = append(h.BucketEdges, hi)
	for _, p := range model.PercentileRanks {
		want := uint64(math.Ceil(p / 100 * float64(h.Count)))
		var seen uint64
		v := hi
		for b, c := range h.Buckets {
			seen += c
			if seen >= want {
				v = h.BucketEdges[b+1]
				break
			}
		}
		h.Percentiles = append(h.Percentiles, v)
	}
	return h
}

func (f *fakeSource) Resources(q model.Query) model.Page[model.ResourceRow] {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	rt := f.runtime()
	rt.rq = append(rt.rq, q)
	rows, ferr := filterRows(rt.resources, q.Filter, func(r *model.ResourceRow) string {
		return r.Kind + " " + r.Target + " " + r.Type + " " + r.Location
	})
	slices.SortStableFunc(rows, func(a, b model.ResourceRow) int {
		c := 0
		switch q.Sort {
		case model.ResKind:
			c = strings.Compare(a.Kind, b.Kind)
		case model.ResTarget:
			c = strings.Compare(a.Target, b.Target)
		case model.ResWaiters:
			c = cmp.Compare(a.Waiters, b.Waiters)
		case model.ResWaitTotal:
			c = cmp.Compare(a.WaitTotal, b.WaitTotal)
		case model.ResWaitMax:
			c = cmp.Compare(a.WaitMax, b.WaitMax)
		case model.ResTotal:
			c = cmp.Compare(a.Total, b.Total)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	p := fakeWindow(rows, q, func(r *model.ResourceRow) uint64 { return r.ID })
	p.FilterErr = ferr
	return p
}

func (f *fakeSource) lastResQuery() model.Query {
	f.mu.Lock()
	defer f.mu.Unlock()
	rq := f.runtime().rq
	return rq[len(rq)-1]
}

func (f *fakeSource) Goroutine(id uint64) (model.GoroutineDetail, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rt := f.runtime()
	rt.goHits++
	d, ok := rt.goroutines[id]
	return d, ok
}

func (f *fakeSource) Resource(id uint64) (model.ResourceDetail, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.runtime().resDetail[id]
	return d, ok
}

func (f *fakeSource) SaveTrace(id uint64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rt := f.runtime()
	rt.saved = append(rt.saved, id)
	if rt.saveErr != nil {
		return "", rt.saveErr
	}
	if _, ok := rt.goroutines[id]; !ok {
		return "", errors.New("no such goroutine")
	}
	return rt.savePath, nil
}

// withRuntime runs fn with the fake's runtime data, under its lock.
func (f *fakeSource) withRuntime(fn func(rt *fakeRuntime)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.runtime())
}
