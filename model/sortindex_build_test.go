package model

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// With the writer running, a change of sort column is answered at once by
// a scan, in the right order; the writer builds the index in the background
// while batches keep changing, adding and removing spans, and the index it
// makes active holds exactly the stored spans in order.
func TestIndexBuiltInBackground(t *testing.T) {
	for _, col := range []Column{TaskName, TaskTotal, TaskState, TaskService} {
		t.Run(fmt.Sprint(col), func(t *testing.T) {
			// Small steps, so that batches land in every phase of the build.
			defer func(c, r int) { buildChunksPerStep, buildReplayPerStep = c, r }(buildChunksPerStep, buildReplayPerStep)
			buildChunksPerStep, buildReplayPerStep = 2, 64
			m, clk := newTestModel(Config{MaxMemory: 64 << 20, Retain: time.Minute})
			in := make(chan *Batch)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { m.Run(ctx, in); close(done) }()
			defer func() { cancel(); <-done }()

			start := clk.Now()
			mk := func(k, n int, inflight bool) *Batch {
				var specs []spec
				for j := range n {
					i := k*n + j
					specs = append(specs, spec{
						trace: uint64(i/8 + 1), span: uint64(i + 1), name: fmt.Sprint("op-", i%37),
						service: fmt.Sprint("svc-", i%5), start: start.Add(time.Duration(i) * time.Microsecond),
						dur: time.Duration(i%997) * time.Millisecond, inflight: inflight && i%3 == 0,
						status: StatusCode(i % 3),
					})
				}
				return m.batch(specs...)
			}
			for k := range 40 {
				in <- mk(k, 500, true)
			}
			for m.Header().Spans < 20_000 {
				time.Sleep(time.Millisecond)
			}
			q := Query{Sort: col, Limit: 30}
			want := m.Tasks(q) // a scan, the index being built
			if want.Total != 20_000 || len(want.Rows) != 30 {
				t.Fatalf("scan page: total %d, %d rows", want.Total, len(want.Rows))
			}
			for k := range 30 { // finish some in-flight spans, add more, expire some
				in <- mk(k, 500, false)
				in <- mk(200+k, 100, true)
				if k%10 == 0 {
					clk.Advance(20 * time.Second)
				}
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				m.mu.RLock()
				ready := m.idx.col == col && m.build.phase == buildIdle
				m.mu.RUnlock()
				if ready {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the writer did not make the index active")
				}
				m.Tasks(q)
				time.Sleep(5 * time.Millisecond)
			}
			m.mu.RLock()
			defer m.mu.RUnlock()
			var all []item
			for ci := range m.store.chunks {
				all = m.appendChunkItems(all, &m.idx, ci)
			}
			slices.SortFunc(all, m.idx.tree.cmp)
			got := m.idx.tree.appendRange(nil, 0, m.idx.tree.size)
			if len(got) != len(all) {
				t.Fatalf("index holds %d items, the store %d", len(got), len(all))
			}
			for i := range all {
				if got[i] != all[i] {
					t.Fatalf("item %d: index %+v, want %+v", i, got[i], all[i])
				}
			}
		})
	}
}

// The scan that answers while the index is built gives the page the index
// gives once it is ready.
func TestScanAnswersAsIndexWould(t *testing.T) {
	m, clk := newTestModel(Config{MaxMemory: 64 << 20, Retain: time.Hour})
	var specs []spec
	for i := range 5000 {
		specs = append(specs, spec{trace: uint64(i/4 + 1), span: uint64(i + 1), name: fmt.Sprint("n", i%13, "-", i%7),
			start: clk.Now(), dur: time.Duration(i%11) * time.Millisecond, service: fmt.Sprint("s", i%3)})
	}
	m.Apply(m.batch(specs...))
	for col := range TaskColumns {
		for _, desc := range []bool{false, true} {
			q := Query{Sort: col, Desc: desc, Limit: 40, Offset: 100}
			scan := m.scanTasks(q, nil)
			idx := m.Tasks(q) // no writer: the index is rebuilt at once
			if fmt.Sprint(ids(scan.Rows)) != fmt.Sprint(ids(idx.Rows)) || scan.Total != idx.Total {
				t.Errorf("column %d desc %v: scan %v, index %v", col, desc, ids(scan.Rows), ids(idx.Rows))
			}
		}
	}
}

func ids(rows []TaskRow) []uint64 {
	out := make([]uint64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// With more spans than a scan should take, a sort change is answered in the
// previous order at once and in the new order once the writer is done.
func TestLargeStoreAnswersInPreviousOrderWhileBuilding(t *testing.T) {
	defer func(n int) { scanWhileBuilding = n }(scanWhileBuilding)
	scanWhileBuilding = 10
	m, clk := newTestModel(Config{MaxMemory: 64 << 20, Retain: time.Hour})
	var specs []spec
	for i := range 100 {
		specs = append(specs, spec{trace: uint64(i + 1), span: 1, name: fmt.Sprintf("n%03d", 99-i), start: clk.Now(), dur: time.Duration(i) * time.Millisecond})
	}
	m.Apply(m.batch(specs...))
	in := make(chan *Batch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx, in); close(done) }()
	defer func() { cancel(); <-done }()
	for !m.writing.Load() {
		time.Sleep(time.Millisecond)
	}
	byID := m.Tasks(Query{Sort: TaskID, Limit: 5})
	changes := m.Header().Changes
	first := m.Tasks(Query{Sort: TaskName, Limit: 5})
	if fmt.Sprint(ids(first.Rows)) != fmt.Sprint(ids(byID.Rows)) || !first.Sorting || byID.Sorting {
		t.Fatalf("while building: %v (sorting %v), want the previous order %v (sorting true)", ids(first.Rows), first.Sorting, ids(byID.Rows))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		page := m.Tasks(Query{Sort: TaskName, Limit: 5})
		rows := page.Rows
		if rows[0].Name == "n000" {
			if page.Sorting {
				t.Fatal("the page in the new order says it is sorting")
			}
			if m.Header().Changes == changes {
				t.Fatal("the index became active without a change a screen would see")
			}
			break
		}
		if !page.Sorting {
			t.Fatalf("the page in the previous order does not say it is sorting: %v", names(rows))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index on name never became active: %v", names(rows))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The build collects into room made before it began, for the chunks there
// were then: spans stored meanwhile (in new chunks) never make it grow, a
// copy of every item under the write lock. They go into the new tree while
// replaying, and the index made active holds every stored span in order.
func TestBuildCollectsIntoRoomMadeAtStart(t *testing.T) {
	defer func(c, r int) { buildChunksPerStep, buildReplayPerStep = c, r }(buildChunksPerStep, buildReplayPerStep)
	buildChunksPerStep, buildReplayPerStep = 1, 300
	m, clk := newTestModel(Config{MaxMemory: 64 << 20, Retain: time.Hour})
	next := uint64(0)
	add := func(n int) {
		var specs []spec
		for range n {
			next++
			specs = append(specs, spec{trace: next/4 + 1, span: next, name: fmt.Sprint("op-", next%29),
				start: clk.Now(), dur: time.Duration(next%31) * time.Millisecond})
		}
		m.Apply(m.batch(specs...))
	}
	add(4 * chunkSize)
	chunks := len(m.store.chunks)
	// The test is the writer: it takes the request and the steps itself.
	m.indexReq.ask(TaskName)
	m.takeIndexRequest() // asks for room
	if m.build.phase != buildIdle || m.room.wait == nil {
		t.Fatalf("build %v before its room was made", m.build.phase)
	}
	m.room.arrived(<-m.room.wait)
	m.takeIndexRequest()
	room := cap(m.build.items)
	if m.build.phase != buildCollecting || room < chunks*chunkSize {
		t.Fatalf("build %v with room for %d items, want collecting with room for %d", m.build.phase, room, chunks*chunkSize)
	}
	for m.build.phase == buildCollecting {
		add(chunkSize / 2) // a new chunk every other step
		m.buildStep()
		if m.build.phase == buildCollecting && cap(m.build.items) != room {
			t.Fatalf("the items grew from room for %d to %d while collecting", room, cap(m.build.items))
		}
	}
	if len(m.store.chunks) <= chunks {
		t.Fatalf("no chunk was added while collecting (%d chunks)", len(m.store.chunks))
	}
	m.sorted(<-m.build.done)
	for m.build.phase != buildIdle {
		add(100)
		m.buildStep()
	}
	if m.idx.col != TaskName {
		t.Fatalf("the index is on column %d, want %d", m.idx.col, TaskName)
	}
	var all []item
	for ci := range m.store.chunks {
		all = m.appendChunkItems(all, &m.idx, ci)
	}
	slices.SortFunc(all, m.idx.tree.cmp)
	got := m.idx.tree.appendRange(nil, 0, m.idx.tree.size)
	if len(got) != len(all) || len(all) != m.store.live {
		t.Fatalf("index holds %d items, the store %d (%d live)", len(got), len(all), m.store.live)
	}
	for i := range all {
		if got[i] != all[i] {
			t.Fatalf("item %d: index %+v, want %+v", i, got[i], all[i])
		}
	}
}

// Room made for a sort change that was withdrawn before it arrived (the
// sort went back to the active column) is let go, not held until the next
// change.
func TestWithdrawnRequestLetsItsRoomGo(t *testing.T) {
	m, clk := newTestModel(Config{MaxMemory: 64 << 20, Retain: time.Hour})
	var specs []spec
	for i := range 2 * chunkSize {
		specs = append(specs, spec{trace: uint64(i/4 + 1), span: uint64(i + 1), name: fmt.Sprint("op-", i%7), start: clk.Now()})
	}
	m.Apply(m.batch(specs...))
	active := m.idx.col
	// The test is the writer: it takes the requests itself.
	m.indexReq.ask(TaskName)
	m.takeIndexRequest() // asks for room
	m.indexReq.ask(active)
	m.takeIndexRequest() // the request is withdrawn while the room is made
	m.room.arrived(<-m.room.wait)
	m.takeIndexRequest()
	if m.room.ready != nil || m.build.phase != buildIdle {
		t.Fatalf("room kept (%d items) or a build begun (%v) for a withdrawn request", cap(m.room.ready), m.build.phase)
	}
}
