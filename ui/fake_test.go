package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// fakeSource is a deterministic Source: it sorts its rows in full on every
// query (fine for tests) and places the window like the model does.
type fakeSource struct {
	mu       sync.Mutex
	hdr      model.Header
	tasks    []model.TaskRow
	ops      []model.OpRow
	spans    map[uint64]model.SpanDetail
	tq, oq   []model.Query
	calls    int
	spanHits int
	rt       *fakeRuntime // made on first use; see fake_runtime_test.go
	warns    []model.Warning
	changed  chan struct{}
	// demo answers the trace and operation queries: a real model.
	demo *model.Model
	// opsGone makes Operation answer that no operation is known.
	opsGone bool
	// sorting makes Tasks answer as the model does while it builds the
	// index on a newly asked-for column (model.Page.Sorting).
	sorting bool
}

var fakeStart = time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)

func newFake(n int) *fakeSource {
	f := &fakeSource{spans: map[uint64]model.SpanDetail{}, demo: demoModel()}
	kinds := []model.SpanKind{model.KindServer, model.KindClient, model.KindInternal, model.KindGoroutine, model.KindConsumer}
	states := []model.State{model.StateRunning, model.StateDone, model.StateError, model.StateLost, model.StateWaiting}
	for i := range n {
		id := uint64(i + 1)
		r := model.TaskRow{
			ID:       id,
			Warnings: i % 7 / 6,
			State:    states[i%len(states)],
			Kind:     kinds[i%len(kinds)],
			Name:     fmt.Sprintf("GET /api/items/%d", i),
			Total:    time.Duration((i*7919)%100000) * time.Microsecond * 37,
			Service:  fmt.Sprintf("svc-%d", i%3),
			Target:   "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
			Location: fmt.Sprintf("shop/handlers.go:%d", 10+i%90),
			Fields: []model.Attr{
				{Key: "http.method", Value: model.Value{Str: "GET"}},
				{Key: "http.route", Value: model.Value{Str: "/api/items/{id}"}},
				{Key: "n", Value: model.Value{Type: model.ValueInt, Int: int64(i)}},
			},
		}
		if r.Kind == model.KindGoroutine {
			r.Busy, r.Sched, r.Idle, r.Polls = r.Total/3, r.Total/10, r.Total/2, uint64(i*3)
		}
		r.Finished = r.State != model.StateRunning && r.State != model.StateWaiting
		f.tasks = append(f.tasks, r)
		f.spans[id] = model.SpanDetail{
			ID: id, TraceID: model.TraceID{0xab, byte(i)}, SpanID: model.SpanID{0xcd, byte(i)},
			Name: r.Name, Kind: r.Kind, State: r.State, Status: model.StatusError, StatusMsg: "boom",
			Start: fakeStart, End: fakeStart.Add(r.Total), Duration: r.Total, Service: r.Service,
			Scope: "otelhttp", ScopeVersion: "v0.60.0", Location: r.Location, TraceState: "rojo=00f067aa0ba902b7",
			SnapshotSeq: 3, TraceSpans: 4, DroppedAttrs: 1,
			Attrs: append(slices.Clone(r.Fields), model.Attr{Key: "db.statement",
				Value: model.Value{Str: "SELECT * FROM items WHERE id = 42 AND owner IN (SELECT id FROM users WHERE name LIKE '%x%') ORDER BY created DESC LIMIT 100"}}),
			Events: []model.EventDetail{{Time: fakeStart.Add(1500 * time.Microsecond), Name: "cache.miss",
				Attrs: []model.Attr{{Key: "key", Value: model.Value{Str: "item:42"}}}}},
			Links:    []model.LinkDetail{{TraceID: model.TraceID{1}, SpanID: model.SpanID{2}, Attrs: []model.Attr{{Key: "why", Value: model.Value{Str: "batch"}}}}},
			Resource: []model.Attr{{Key: "service.name", Value: model.Value{Str: r.Service}}, {Key: "host.name", Value: model.Value{Str: "box"}}},
		}
	}
	for i := range max(n/10, 3) {
		spark := make([]uint32, 30)
		for j := range spark {
			spark[j] = uint32((i*13 + j*7) % 11)
		}
		f.ops = append(f.ops, model.OpRow{
			ID: uint64(i + 1), Service: fmt.Sprintf("svc-%d", i%3), Name: fmt.Sprintf("op %d SELECT items", i),
			Kind: kinds[i%len(kinds)], Count: int64(1000 + i*37), Errors: int64(i % 4), InFlight: int64(i % 5),
			Rate: float64(i) * 1.7, P50: time.Duration(i+1) * time.Millisecond, P95: time.Duration(i+1) * 9 * time.Millisecond,
			P99: time.Duration(i+1) * 30 * time.Millisecond, Max: time.Duration(i+1) * 2 * time.Second,
			Total: time.Duration((i*7919)%1000) * time.Second, Spark: spark,
		})
	}
	f.hdr = model.Header{SpansPerSec: 1234.5, Received: 1234567, Rejected: 2, Refused: 3, Dropped: 4, Evicted: 5,
		MemoryUsed: 12 << 20, MemoryBudget: 512 << 20, Spans: n, Running: n / 5, Lost: n / 5, Errors: n / 5,
		Traces: n / 3, Operations: len(f.ops), Services: 3}
	f.warns = []model.Warning{
		{Kind: model.WarnLost, Count: int64(n / 5), Text: "lost: in flight, then not refreshed for 3 heartbeats"},
		{Kind: model.WarnBlocked, Count: 2, Text: "blocked on chan/select/sync longer than 10s\x1b[2J", Flag: "--warn-blocked"},
	}
	return f
}

func (f *fakeSource) Warnings() []model.Warning {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.warns
}

// Changed is nil unless a test sets changed: the tests drive the ticks
// themselves.
func (f *fakeSource) Changed() <-chan struct{} { return f.changed }

func (f *fakeSource) Header() model.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.hdr
}

func (f *fakeSource) Span(id uint64) (model.SpanDetail, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spanHits++
	d, ok := f.spans[id]
	return d, ok
}

// Trace answers with the demo model's checkout trace for any trace ID the
// demo does not know.
func (f *fakeSource) Trace(q model.TraceQuery) model.TraceView {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if !q.TraceID.IsZero() {
		if v := f.demo.Trace(q); v.Found {
			return v
		}
	}
	q.TraceID, q.Span = demoTrace, 0
	return f.demo.Trace(q)
}

// Operation answers with the demo model's operations.
func (f *fakeSource) Operation(id uint64, buckets int) (model.OpDetail, bool) {
	f.mu.Lock()
	f.calls++
	gone := f.opsGone
	f.mu.Unlock()
	if gone {
		return model.OpDetail{}, false
	}
	n := uint64(f.demo.Header().Operations)
	return f.demo.Operation((id-1)%n+1, buckets)
}

func (f *fakeSource) lastTaskQuery() model.Query {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tq[len(f.tq)-1]
}

func (f *fakeSource) Tasks(q model.Query) model.Page[model.TaskRow] {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.tq = append(f.tq, q)
	// Sort indexes rather than the rows themselves: the benchmark should
	// measure the UI, not the fake moving structs around.
	idx := make([]int32, 0, len(f.tasks))
	var ferr string
	switch {
	case strings.HasPrefix(q.Filter, "bad="):
		ferr = "bad: no such field"
		fallthrough
	case q.Filter == "":
		for i := range f.tasks {
			idx = append(idx, int32(i))
		}
	default:
		for i := range f.tasks {
			if strings.Contains(f.tasks[i].Name+" "+f.tasks[i].Service, q.Filter) {
				idx = append(idx, int32(i))
			}
		}
	}
	idx = slices.DeleteFunc(idx, func(i int32) bool { return (f.tasks[i].Kind == model.KindGoroutine) != q.Goroutines })
	slices.SortFunc(idx, func(x, y int32) int {
		a, b := &f.tasks[x], &f.tasks[y]
		c := 0
		switch q.Sort {
		case model.TaskTotal:
			c = cmp.Compare(a.Total, b.Total)
		case model.TaskName:
			c = strings.Compare(a.Name, b.Name)
		case model.TaskService:
			c = strings.Compare(a.Service, b.Service)
		case model.TaskState:
			c = cmp.Compare(a.State, b.State)
		case model.TaskKind:
			c = cmp.Compare(a.Kind, b.Kind)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	ip := fakeWindow(idx, q, func(i *int32) uint64 { return f.tasks[*i].ID })
	p := model.Page[model.TaskRow]{Total: ip.Total, Offset: ip.Offset, Selected: ip.Selected, FilterErr: ferr, Stored: q.Stored, Sorting: f.sorting}
	for _, i := range ip.Rows {
		p.Rows = append(p.Rows, f.tasks[i])
	}
	return p
}

func (f *fakeSource) Operations(q model.Query) model.Page[model.OpRow] {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.oq = append(f.oq, q)
	rows, ferr := filterRows(f.ops, q.Filter, func(r *model.OpRow) string { return r.Name })
	slices.SortStableFunc(rows, func(a, b model.OpRow) int {
		c := 0
		switch q.Sort {
		case model.OpTotal:
			c = cmp.Compare(a.Total, b.Total)
		case model.OpName:
			c = strings.Compare(a.Name, b.Name)
		case model.OpCount:
			c = cmp.Compare(a.Count, b.Count)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	p := fakeWindow(rows, q, func(r *model.OpRow) uint64 { return r.ID })
	p.FilterErr = ferr
	return p
}

// filterRows keeps rows whose text contains the filter; "bad=" is an error.
func filterRows[T any](all []T, filter string, text func(*T) string) ([]T, string) {
	if filter == "" {
		return slices.Clone(all), ""
	}
	if strings.HasPrefix(filter, "bad=") {
		return slices.Clone(all), "bad: no such field"
	}
	var out []T
	for i := range all {
		if strings.Contains(text(&all[i]), filter) {
			out = append(out, all[i])
		}
	}
	return out, ""
}

// fakeWindow places the page as model.planWindow does.
func fakeWindow[T any](rows []T, q model.Query, id func(*T) uint64) model.Page[T] {
	total := len(rows)
	limit := max(q.Limit, 0)
	maxOff := max(total-limit, 0)
	row := min(max(q.Row, 0), max(limit-1, 0))
	rank := -1
	if q.Anchor != 0 {
		rank = slices.IndexFunc(rows, func(r T) bool { return id(&r) == q.Anchor })
	}
	var off, sel int
	if rank >= 0 {
		t := min(max(rank+q.Move, 0), max(total-1, 0))
		off = min(max(t-row, 0), maxOff)
		sel = t - off
	} else {
		off = min(max(q.Offset, 0), maxOff)
		sel = -1
		if n := min(limit, total-off); n > 0 {
			sel = min(max(row+q.Move, 0), n-1)
		}
	}
	end := min(off+limit, total)
	p := model.Page[T]{Rows: slices.Clone(rows[off:end]), Total: total, Offset: off, Selected: sel}
	if p.Selected >= len(p.Rows) {
		p.Selected = len(p.Rows) - 1
	}
	return p
}

// keyMsg builds the key press bubbletea would deliver for s.
func keyMsg(s string) tea.KeyPressMsg {
	switch s {
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}
