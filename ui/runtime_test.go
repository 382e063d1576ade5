package ui

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/spantop/spantop/model"
)

// trimmed drops the trailing blanks of each line, so diffs stay readable.
func trimmed(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// openGoroutine selects the first goroutine row of the goroutines view and
// opens its details.
func openGoroutine(t *testing.T, a *App) uint64 {
	t.Helper()
	press(a, "u", "g")
	for range 50 {
		if r := a.gors.rows[a.gors.selRow]; r.Kind == model.KindGoroutine {
			press(a, "enter")
			if viewName(a) != "goroutine details" {
				t.Fatalf("enter on goroutine %d: view %v", r.ID, viewName(a))
			}
			return r.ID
		}
		press(a, "j")
	}
	t.Fatal("no goroutine row")
	return 0
}

// TestGoldenRuntime keeps ANSI-stripped screens of the resources view and
// the goroutine and resource details at 80×24 and 200×50, and the whole
// content of the details views (go test ./ui -run TestGoldenRuntime
// -update refreshes them).
func TestGoldenRuntime(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		suffix := "_" + strconv.Itoa(sz[0]) + "x" + strconv.Itoa(sz[1])
		for _, v := range []struct {
			name string
			open func(t *testing.T, a *App)
			page bool // also keep the whole page
		}{
			{"resources", func(t *testing.T, a *App) { press(a, "r", "j") }, false},
			{"resources_sorted_by_kind", func(t *testing.T, a *App) { press(a, "r", "h", "h", "h", "h", "h", "h") }, false},
			{"goroutine", func(t *testing.T, a *App) { openGoroutine(t, a) }, true},
			{"resource", func(t *testing.T, a *App) { press(a, "r", "/", "m", "u", "t", "e", "x", "enter", "enter") }, true},
			{"service", func(t *testing.T, a *App) { press(a, "r", "/", "s", "e", "r", "v", "i", "c", "e", "enter", "enter") }, true},
		} {
			t.Run(v.name+suffix, func(t *testing.T) {
				a := newApp(t, newFake(300), Options{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, sz[0], sz[1])
				v.open(t, a)
				checkFrame(t, a, sz[0], sz[1])
				golden.RequireEqual(t, viewPart(a))
				if v.page {
					lines := pageLines(a)
					t.Run("page", func(t *testing.T) {
						golden.RequireEqual(t, trimmed(ansi.Strip(strings.Join(lines, "\n"))))
					})
				}
			})
		}
	}
}

func TestResourcesView(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 200, 50)
	press(a, "r")
	if viewName(a) != "resources" {
		t.Fatalf("r: view %v", viewName(a))
	}
	q := f.lastResQuery()
	if q.Sort != model.ResWaitTotal || !q.Desc || q.Limit != 50-chromeLines {
		t.Errorf("first query %+v, want Wait total descending, %d rows", q, 50-chromeLines)
	}
	s := plain(a)
	for _, want := range []string{"ID", "Parent", "Kind", "Total", "Target", "Type", "Location", "Waiters", "Wait total▼",
		"Wait max", "Attributes", "1-42 of 43 resources", "service", "agentlib.Semaphore", "name=db-conns capacity=20",
		"shop.(*Cache).Get shop/mute.go:50"} {
		if !strings.Contains(s, want) {
			t.Errorf("resources view lacks %q", want)
		}
	}
	for i, r := range a.res.rows {
		if dim := strings.HasPrefix(a.res.lines[i], sgrDim.on); dim != r.Finished {
			t.Errorf("resource %d finished=%v dimmed=%v", r.ID, r.Finished, dim)
		}
	}
	// Every column sorts, through the one column table.
	seen := map[model.Column]bool{}
	for range model.ResColumns {
		press(a, "l")
		seen[f.lastResQuery().Sort] = true
	}
	if len(seen) != int(model.ResColumns) {
		t.Errorf("l visited %d sort columns, want %d", len(seen), model.ResColumns)
	}
	press(a, "h", "h") // Wait total → Waiters → Location
	if q := f.lastResQuery(); q.Sort != model.ResLocation || q.Desc {
		t.Errorf("h h: sort %v desc=%v, want Location ascending", q.Sort, q.Desc)
	}
	press(a, "i")
	if q := f.lastResQuery(); !q.Desc || !strings.Contains(plain(a), "sort Location▼") {
		t.Error("i did not invert the sort")
	}
	// The selection follows the ID when rows move.
	press(a, "l", "l", "g", "j", "j", "j")
	id := a.res.selID
	f.withRuntime(func(rt *fakeRuntime) {
		for i := range rt.resources {
			if rt.resources[i].ID == id {
				rt.resources[i].WaitTotal = time.Hour
			}
		}
	})
	tick(a)
	if a.res.selID != id || a.res.selRow != 0 || a.res.offset != 0 {
		t.Errorf("selection %d at row %d, want %d, moved to the top", a.res.selID, a.res.selRow, id)
	}
	// The filter goes to the source as typed.
	press(a, "/", "m", "u", "t", "e", "x", "enter")
	if q := f.lastResQuery(); q.Filter != "mutex" || a.res.total != 8 {
		t.Errorf("filter sent %q, %d rows", q.Filter, a.res.total)
	}
	if !strings.Contains(plain(a), "of 8 resources matching") {
		t.Error("title does not count the matching resources")
	}
	press(a, "esc")
	if q := f.lastResQuery(); q.Filter != "" {
		t.Errorf("esc left filter %q", q.Filter)
	}
	// The Resources tab.
	press(a, "t")
	x := strings.Index(ansi.Strip(a.title), "Resources")
	a.Update(tea.MouseClickMsg{X: x, Y: titleY, Button: tea.MouseLeft})
	if viewName(a) != "resources" {
		t.Error("a click on the Resources tab did not switch")
	}
	// Views keep their own selection.
	press(a, "j")
	id = a.res.selID
	press(a, "t", "o", "r")
	if a.res.selID != id {
		t.Error("resources selection lost after visiting the other views")
	}
	// 80 columns: the columns that matter most stay.
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	checkFrame(t, a, 80, 24)
	head := ansi.Strip(a.res.header)
	for _, col := range []string{"ID", "Kind", "Target", "Location", "Waiters", "Wait total", "Wait max"} {
		if !strings.Contains(head, col) {
			t.Errorf("80 columns: header %q lacks %q", head, col)
		}
	}
}

func TestResourcesEmpty(t *testing.T) {
	f := newFake(10)
	f.withRuntime(func(rt *fakeRuntime) { rt.resources = nil })
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "r")
	if !strings.Contains(plain(a), "no resources yet") || !strings.Contains(plain(a), "agentlib") {
		t.Errorf("empty resources view does not say where resources come from:\n%s", plain(a))
	}
	press(a, "enter")
	if viewName(a) != "resources" || !strings.Contains(plain(a), "no resource selected") {
		t.Error("enter on an empty resources table")
	}
	checkFrame(t, a, 120, 30)
}

// linkTo selects the link of the page on screen that leads to to by
// stepping with j, and fails when there is none.
func linkTo(t *testing.T, a *App, to target) {
	t.Helper()
	p := linkPage(a)
	for range 200 {
		press(a, "k")
	}
	for range 200 {
		if sel, ok := p.selected(); ok && sel == to {
			return
		}
		press(a, "j")
	}
	t.Fatalf("no link to %+v", to)
}

func TestGoroutineDetailsAndJumps(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 120, 40)
	id := openGoroutine(t, a)
	d := f.rt.goroutines[id]
	page := ansi.Strip(strings.Join(gor(a).lines, "\n"))
	for _, want := range []string{
		"goroutine     " + strconv.FormatInt(d.GoID, 10), "worker-" + strconv.FormatUint(id, 10), "shop.(*Pool).worker",
		"svc-", "instance 7f3a9c1e", "waiting: chan receive for 2.31s", "resource " + strconv.FormatUint(d.Resource, 10) + " · chan recv",
		"goroutine " + strconv.FormatInt(d.Parent.GoID, 10), "600 wakes", "2026-11-22 01:02:03", "lived 12.30s",
		"busy 1.20s 9.8%", "scheduled 300.00ms 2.4%", "idle 10.80s 88%", "chan recv", "sleep", "network",
		"polls 1234", "preempted 3", "longest run 12.00ms", "woken 1200 times",
		"Run time · ", "Scheduling latency · ", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99.9", "1.00µs", "48.00ms",
		"Blocked at (5)", "runtime.chanrecv1", "/home/dev/shop/pool.go:77", "Created at (3)", "main.main",
		"Spans (4)", "POST /checkout (no longer stored)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("goroutine details lack %q", want)
		}
	}
	if !strings.ContainsAny(page, "█▓") || !strings.ContainsAny(page, "▁▂▃▄▅▆▇") {
		t.Error("no split bar or histogram bars")
	}
	checkFrame(t, a, 120, 40)
	if s := plain(a); !strings.Contains(s, "goroutine "+strconv.FormatInt(d.GoID, 10)+" worker-") || !strings.Contains(s, "s save trace") {
		t.Errorf("title or footer wrong:\n%s", s)
	}

	// The first link is selected and drawn in reverse video.
	if sel, ok := gor(a).selected(); !ok || sel != (target{linkResource, d.Resource}) {
		t.Fatalf("first selected link %+v, want the resource waited on", sel)
	}
	if !strings.Contains(selectedPageLine(t, a), "resource "+strconv.FormatUint(d.Resource, 10)) {
		t.Error("selected link not highlighted")
	}
	// enter follows it; esc comes back to the same place.
	press(a, "enter")
	if viewName(a) != "resource details" || rsd(a).id != d.Resource {
		t.Fatalf("enter on the resource link: view %v id %d", viewName(a), rsd(a).id)
	}
	if !strings.Contains(plain(a), "1 back") {
		t.Error("title does not show the way back")
	}
	press(a, "esc")
	if viewName(a) != "goroutine details" || gor(a).id != id {
		t.Fatalf("esc: view %v goroutine %d, want %d", viewName(a), gor(a).id, id)
	}
	// Parent and waker by key, each a step back with esc.
	press(a, "p")
	if viewName(a) != "goroutine details" || gor(a).id != d.Parent.ID {
		t.Fatalf("p: goroutine %d, want parent %d", gor(a).id, d.Parent.ID)
	}
	press(a, "w")
	parent := f.rt.goroutines[d.Parent.ID]
	if gor(a).id != parent.Waker.ID {
		t.Fatalf("w: goroutine %d, want the parent's waker %d", gor(a).id, parent.Waker.ID)
	}
	press(a, "b")
	if viewName(a) != "resource details" {
		t.Fatal("b did not open the resource waited on")
	}
	if (len(a.stack) - 1) != 3 {
		t.Errorf("history %d deep, want 3", (len(a.stack) - 1))
	}
	press(a, "esc", "esc", "esc")
	if viewName(a) != "goroutine details" || gor(a).id != id {
		t.Fatalf("esc ×3: view %v goroutine %d, want %d", viewName(a), gor(a).id, id)
	}
	// A span of the goroutine: its details, and back.
	span := d.Spans[1].ID
	linkTo(t, a, target{linkSpan, span})
	scroll := gor(a).scroll
	press(a, "enter")
	if viewName(a) != "span details" || det(a).id != span || !det(a).found {
		t.Fatalf("enter on a span link: view %v span %d", viewName(a), det(a).id)
	}
	if !strings.Contains(plain(a), " Goroutines ") {
		t.Error("no tabs in span details")
	}
	press(a, "esc")
	if viewName(a) != "goroutine details" || gor(a).scroll != scroll {
		t.Fatalf("esc from the span: view %v scroll %d, want the goroutine at %d", viewName(a), gor(a).scroll, scroll)
	}
	if sel, _ := gor(a).selected(); sel != (target{linkSpan, span}) {
		t.Errorf("selected link after esc %+v, want the span", sel)
	}
	// Out of the details: back to the goroutines, where it is still selected.
	press(a, "esc")
	if viewName(a) != "goroutines" || a.gors.selID != id {
		t.Errorf("esc: view %v selection %d, want goroutines at %d", viewName(a), a.gors.selID, id)
	}
	if len(a.stack) != 0 {
		t.Error("history left over on a table")
	}
}

// selectedPageLine returns the plain text of the reverse-video line.
func selectedPageLine(t *testing.T, a *App) string {
	t.Helper()
	for _, l := range strings.Split(frame(a), "\n")[titleY+1:] {
		if strings.HasPrefix(l, sgrReverse.on) {
			return ansi.Strip(l)
		}
	}
	t.Fatal("no highlighted line")
	return ""
}

func TestLinkStepping(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 100, 20)
	openGoroutine(t, a)
	p := &gor(a).page
	h := a.detailRows()
	if len(p.links) < 5 || p.links[len(p.links)-1].line < h {
		t.Fatalf("want links below the screen: %d links, last on line %d", len(p.links), p.links[len(p.links)-1].line)
	}
	// j goes from link to link on screen, then scrolls line by line
	// until the next link comes into view.
	prevLine, prevScroll := p.links[p.sel].line, p.scroll
	for range 200 {
		press(a, "j")
		line := p.links[p.sel].line
		switch {
		case line > prevLine:
			if line < p.scroll || line >= p.scroll+h {
				t.Fatalf("selected link on line %d is off screen (scroll %d)", line, p.scroll)
			}
		case line == prevLine:
			if p.scroll != prevScroll+1 && p.scroll != max(len(p.lines)-h, 0) {
				t.Fatalf("no link ahead: scroll %d → %d, want one line", prevScroll, p.scroll)
			}
		default:
			t.Fatalf("j went back from line %d to %d", prevLine, line)
		}
		prevLine, prevScroll = line, p.scroll
	}
	if p.sel != len(p.links)-1 || p.scroll != len(p.lines)-h {
		t.Errorf("after many j: link %d of %d, scroll %d of %d", p.sel, len(p.links), p.scroll, len(p.lines)-h)
	}
	// k back to the top.
	for range 200 {
		press(a, "k")
	}
	if p.sel != 0 || p.scroll != 0 {
		t.Errorf("after many k: link %d scroll %d", p.sel, p.scroll)
	}
	// A page down leaves the selection off screen; j picks the first link on screen.
	press(a, "G")
	press(a, "k")
	if l := p.links[p.sel].line; l < p.scroll || l >= p.scroll+h {
		t.Errorf("k after G selected line %d, off screen (scroll %d)", l, p.scroll)
	}
	// The mouse: a click selects a link, a second click opens it.
	press(a, "g")
	y := colHeaderY + p.links[1].line - p.scroll
	a.Update(tea.MouseClickMsg{X: 5, Y: y, Button: tea.MouseLeft})
	if p.sel != 1 || viewName(a) != "goroutine details" {
		t.Fatalf("click: link %d view %v", p.sel, viewName(a))
	}
	to := p.links[1].to
	a.Update(tea.MouseClickMsg{X: 5, Y: y, Button: tea.MouseLeft})
	if viewName(a) != linkView(to) {
		t.Errorf("second click: view %v, want %v", viewName(a), linkView(to))
	}
	// The wheel scrolls.
	press(a, "esc")
	a.Update(tea.MouseWheelMsg{X: 5, Y: 10, Button: tea.MouseWheelDown})
	if gor(a).scroll != 3 {
		t.Errorf("wheel: scroll %d, want 3", gor(a).scroll)
	}
}

func TestResourceDetailsAndJumps(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 120, 40)
	press(a, "r", "/", "m", "u", "t", "e", "x", "enter", "enter")
	if viewName(a) != "resource details" {
		t.Fatal("enter on a resource did not open its details")
	}
	id := rsd(a).id
	d := f.rt.resDetail[id]
	page := ansi.Strip(strings.Join(rsd(a).lines, "\n"))
	for _, want := range []string{"resource      " + strconv.FormatUint(id, 10) + " · mutex", d.Row.ParentName + " (id", "sync.Mutex",
		d.Row.Location, "waits         230 ended · total 9.19s · mean 39.96ms · max 411.00ms",
		"waiting now   2 · 5.00s so far in all · longest 3.00s", "wait total    14.19s (ended and going on) · max 3.00s",
		"Wait time · 2466 waits", "p99.9", "Waiting now, longest first (2)", "3.00s  goroutine", "Woken by, most wakes first (2)",
		"3 wakes  goroutine 1 main · no longer stored"} {
		if !strings.Contains(page, want) {
			t.Errorf("resource details lack %q", want)
		}
	}
	if strings.Contains(page, "Runtime") {
		t.Error("a sync resource shows runtime stats")
	}
	checkFrame(t, a, 120, 40)
	// Waiters lead to their goroutines.
	w := d.Waiters[0].ID
	linkTo(t, a, target{linkGoroutine, w})
	press(a, "enter")
	if viewName(a) != "goroutine details" || gor(a).id != w {
		t.Fatalf("enter on a waiter: view %v goroutine %d, want %d", viewName(a), gor(a).id, w)
	}
	press(a, "esc")
	// The service it belongs to.
	linkTo(t, a, target{linkResource, d.Row.Parent})
	press(a, "enter")
	if viewName(a) != "resource details" || rsd(a).id != d.Row.Parent {
		t.Fatal("enter on the service link")
	}
	s := ansi.Strip(strings.Join(rsd(a).lines, "\n"))
	if d.Row.Parent != 2 {
		t.Fatalf("the first mutex belongs to service %d; the expectations below are for service 2", d.Row.Parent)
	}
	for _, want := range []string{"Runtime", "goroutines    150 · running 4 · runnable 2 · waiting 140 · syscall 4",
		"heap          13.0 MiB of goal 25.0 MiB", "GC            89 cycles · 12.30ms paused in all",
		"scheduling    p50 12.00µs · p99 1.20ms", "mutex wait    12.30s", "blocked now   17", "Blocked now, longest first (3)"} {
		if !strings.Contains(s, want) {
			t.Errorf("service details lack %q", want)
		}
	}
	if strings.Contains(s, "Agent") {
		t.Error("status section without a status")
	}
	press(a, "esc", "esc")
	if viewName(a) != "resources" || a.res.selID != id {
		t.Errorf("esc esc: view %v selection %d, want resources at %d", viewName(a), a.res.selID, id)
	}
	// The service whose agent reported a problem says so.
	a.res.selID = 3
	a.do(actEnter)
	if s := plain(a); !strings.Contains(s, "Agent") || !strings.Contains(s, "execution trace unavailable") {
		t.Errorf("agent status not shown:\n%s", s)
	}
}

func TestDetailsGone(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 120, 40)
	id := openGoroutine(t, a)
	f.withRuntime(func(rt *fakeRuntime) { delete(rt.goroutines, id) })
	tick(a)
	if s := plain(a); !strings.Contains(s, "is no longer stored; showing the last copy") || !strings.Contains(s, "waits on") {
		t.Errorf("vanished goroutine not reported, or its last copy dropped:\n%s", s)
	}
	// A goroutine gone before it could be shown; p, w, b and s do nothing.
	a.open(target{linkGoroutine, 424242})
	if s := plain(a); !strings.Contains(s, "goroutine 424242 is no longer stored") {
		t.Errorf("missing goroutine not reported:\n%s", s)
	}
	if cmd := press(a, "p", "w", "b", "s"); cmd != nil || viewName(a) != "goroutine details" {
		t.Error("keys acted on a goroutine never seen")
	}
	a.open(target{linkResource, 424242})
	if s := plain(a); !strings.Contains(s, "resource 424242 is no longer stored") {
		t.Errorf("missing resource not reported:\n%s", s)
	}
	press(a, "esc", "esc", "esc")
	if viewName(a) != "goroutines" {
		t.Errorf("esc ×3: view %v", viewName(a))
	}
}

func TestNoJumpTarget(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 120, 40)
	id := openGoroutine(t, a)
	f.withRuntime(func(rt *fakeRuntime) {
		d := rt.goroutines[id]
		d.Parent, d.Waker, d.Resource = model.GoroutineRef{GoID: 1, Name: "main"}, model.GoroutineRef{}, 0
		d.GoState, d.State, d.Spans = model.GoRunnable, model.StateWaiting, nil
		rt.goroutines[id] = d
	})
	tick(a)
	for k, msg := range map[string]string{"p": "parent", "w": "woke", "b": "no known resource"} {
		press(a, k)
		if viewName(a) != "goroutine details" || gor(a).id != id || !strings.Contains(plain(a), msg) {
			t.Errorf("%s without a target: view %v, status lacks %q", k, viewName(a), msg)
		}
	}
	if len(gor(a).links) != 0 {
		t.Errorf("%d links, want none", len(gor(a).links))
	}
	press(a, "enter")
	if viewName(a) != "goroutine details" || !strings.Contains(plain(a), "nothing here leads anywhere") {
		t.Error("enter without links")
	}
	if s := plain(a); !strings.Contains(s, "runnable for 2.31s (ready, waiting for a CPU)") || !strings.Contains(s, "goroutine 1 main · no longer stored") {
		t.Errorf("runnable goroutine without links:\n%s", s)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	f := newFake(300)
	a := newApp(t, f, Options{}, 120, 40)
	openGoroutine(t, a)
	for range maxHistory + 10 {
		press(a, "w")
	}
	if (len(a.stack) - 1) != maxHistory {
		t.Errorf("history %d deep, want %d", (len(a.stack) - 1), maxHistory)
	}
	for range maxHistory {
		press(a, "esc")
	}
	if viewName(a) != "goroutine details" {
		t.Fatalf("view %v after %d esc", viewName(a), maxHistory)
	}
	press(a, "esc")
	if viewName(a) != "goroutines" {
		t.Errorf("view %v, want goroutines", viewName(a))
	}
	// A view key leaves the details and forgets the way back.
	openGoroutine(t, a)
	press(a, "w", "w", "r")
	if viewName(a) != "resources" || len(a.stack) != 0 {
		t.Errorf("r from details: view %v history %d", viewName(a), len(a.stack))
	}
	checkFrame(t, a, 120, 40)
}

func TestSaveTrace(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 200, 50)
	id := openGoroutine(t, a)
	file := filepath.Join(t.TempDir(), "spantop-trace-svc-1.out")
	if err := os.WriteFile(file, make([]byte, 3<<20+200<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	f.withRuntime(func(rt *fakeRuntime) { rt.savePath = file })
	cmd := press(a, "s")
	if cmd == nil {
		t.Fatal("s returned no command")
	}
	if len(f.rt.saved) != 0 {
		t.Fatal("SaveTrace ran in Update")
	}
	if !strings.Contains(plain(a), "saving the execution trace") {
		t.Error("no word while saving")
	}
	a.Update(cmd())
	if len(f.rt.saved) != 1 || f.rt.saved[0] != id {
		t.Errorf("SaveTrace called for %v, want [%d]", f.rt.saved, id)
	}
	want := "saved 3.2 MiB to " + file + "; open with: go tool trace " + file
	if s := plain(a); !strings.Contains(s, want) {
		t.Errorf("status lacks %q:\n%s", want, s)
	}
	// The path from the source is shown even when it cannot be read here.
	f.withRuntime(func(rt *fakeRuntime) { rt.savePath = "./spantop-trace-svc-1-20261122-010203.out" })
	a.Update(press(a, "s")())
	if s := plain(a); !strings.Contains(s, "saved the execution trace to ./spantop-trace-svc-1-20261122-010203.out; open with: go tool trace ./spantop-trace-svc-1-20261122-010203.out") {
		t.Errorf("status without a size:\n%s", s)
	}
	// On a narrow terminal the path is said once, in the command.
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	a.Update(press(a, "s")())
	if s := plain(a); !strings.Contains(s, "saved: go tool trace ./spantop-trace-svc-1-20261122-010203.out") {
		t.Errorf("narrow status:\n%s", s)
	}
	a.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	// An error is shown as one, sanitised.
	f.withRuntime(func(rt *fakeRuntime) { rt.saveErr = errors.New("disk full\x1b[2J") })
	a.Update(press(a, "s")())
	s := frame(a)
	if !strings.Contains(ansi.Strip(s), "saving the execution trace failed: disk full\uFFFD[2J") || strings.Contains(s, "\x1b[2J") {
		t.Errorf("error not shown, or not sanitised:\n%s", ansi.Strip(s))
	}
	if !strings.Contains(s, a.st.bad.on+"saving the execution trace failed") {
		t.Error("error not shown as one")
	}
	// No trace held: say so, and do not ask.
	f.withRuntime(func(rt *fakeRuntime) {
		d := rt.goroutines[id]
		d.CanSaveTrace = false
		rt.goroutines[id] = d
	})
	tick(a)
	before := len(f.rt.saved)
	if cmd := press(a, "s"); cmd != nil || len(f.rt.saved) != before {
		t.Error("s asked for a trace the process does not hold")
	}
	if !strings.Contains(plain(a), "no execution trace of its process is held") {
		t.Error("no word that there is no trace")
	}
	// s does nothing in the other views.
	press(a, "esc")
	if cmd := press(a, "s"); cmd != nil {
		t.Error("s acted in the tasks view")
	}
}

func TestRuntimeViewsSanitised(t *testing.T) {
	const evil = "x\x1b[2J\x1b]0;pwned\x07\r\n\b\x9b\u202e\u0085y"
	f := newFake(100)
	var gid uint64
	f.withRuntime(func(rt *fakeRuntime) {
		for i := range rt.resources {
			r := &rt.resources[i]
			r.Target, r.Type, r.Location, r.Kind, r.ParentName = evil, evil, evil, evil+"kind", evil
			r.Attrs = []model.Attr{{Key: evil, Value: model.Value{Str: evil}}}
			d := rt.resDetail[r.ID]
			d.Row = *r
			d.Status = evil
			for j := range d.Waiters {
				d.Waiters[j].Name = evil
			}
			rt.resDetail[r.ID] = d
		}
		for id, d := range rt.goroutines {
			gid = id
			d.Name, d.StartFunc, d.Service, d.Instance, d.WaitReason = evil, evil, evil, evil, evil
			d.Parent.Name, d.Waker.Name = evil, evil
			d.CreateStack[0] = model.Frame{Func: evil, File: evil, Line: 1}
			d.BlockStack[1] = model.Frame{Func: evil, File: evil, Line: 2}
			d.Spans[0].Name = evil
			rt.goroutines[id] = d
		}
	})
	f.withRuntime(func(rt *fakeRuntime) { rt.savePath = evil })
	var a *App
	check := func(what string) {
		t.Helper()
		s := frame(a)
		for _, bad := range []string{"\x1b[2J", "\x1b]", "\x07", "\r", "\b", "\x9b", "\u202e", "\u0085"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: screen contains %q", what, bad)
			}
		}
		for _, l := range strings.Split(s, "\n") {
			if w := ansi.StringWidth(l); w > 200 {
				t.Errorf("%s: line %d cells wide", what, w)
			}
		}
	}
	a = newApp(t, f, Options{NoColor: true}, 200, 50)
	press(a, "r")
	check("resources")
	press(a, "enter")
	check("resource details")
	a.open(target{linkGoroutine, gid})
	check("goroutine details")
	for range 30 {
		press(a, "pgdown")
		check("goroutine details scrolled")
	}
	a.Update(press(a, "s")())
	check("trace saved")
	a.open(target{linkResource, 1})
	check("service details")
	if !strings.Contains(plain(a), "x\uFFFD[2J") {
		t.Error("sanitised text not shown")
	}
}

func TestRuntimeFramesFit(t *testing.T) {
	for _, opts := range []Options{{}, {ASCII: true, NoColor: true}} {
		for _, sz := range sizes {
			w, h := sz[0], sz[1]
			a := newApp(t, newFake(200), opts, w, h)
			steps := []struct {
				name string
				keys []string
			}{
				{"resources", []string{"r"}},
				{"resources-filter", []string{"/", "m"}},
				{"resource", []string{"esc", "g", "j", "j", "j", "enter"}},
				{"resource-scrolled", []string{"pgdown", "j", "j"}},
				{"service", []string{"esc", "g", "enter"}},
				{"help", []string{"?"}},
				{"service-end", []string{"esc", "G"}},
			}
			for _, s := range steps {
				press(a, s.keys...)
				checkFrame(t, a, w, h)
				foot := ansi.Strip(strings.Split(frame(a), "\n")[h-1])
				if w >= 20 && !strings.Contains(foot, "help") {
					t.Errorf("%s %dx%d: footer lost the help key: %q", s.name, w, h, foot)
				}
			}
			a.open(target{linkGoroutine, 4})
			for _, keys := range [][]string{nil, {"j", "j", "j"}, {"pgdown"}, {"G"}, {"enter"}} {
				press(a, keys...)
				checkFrame(t, a, w, h)
			}
			if opts.ASCII {
				a.open(target{linkGoroutine, 4})
				for _, r := range ansi.Strip(strings.Join(gor(a).lines, "")) {
					if r > 0x7e {
						t.Fatalf("non-ASCII %q in goroutine details under --ascii", r)
					}
				}
				a.open(target{linkResource, 5})
				for _, r := range ansi.Strip(strings.Join(rsd(a).lines, "") + frame(a)) {
					if r > 0x7e {
						t.Fatalf("non-ASCII %q in resource details under --ascii", r)
					}
				}
			}
		}
	}
}

func TestRuntimeNoColor(t *testing.T) {
	a := newApp(t, newFake(100), Options{NoColor: true}, 200, 50)
	for _, open := range []func(){
		func() { press(a, "r") },
		func() { press(a, "enter") },
		func() { a.open(target{linkGoroutine, 4}) },
	} {
		open()
		for _, m := range colourSGR.FindAllStringSubmatch(frame(a)+strings.Join(gor(a).lines, ""), -1) {
			for _, p := range strings.Split(m[1], ";") {
				n, _ := strconv.Atoi(p)
				if (n >= 30 && n <= 49) || (n >= 90 && n <= 107) {
					t.Fatalf("colour sequence %q under NO_COLOR", m[0])
				}
			}
		}
	}
}

// TestDetailsViewIsCheap checks that View asks the source nothing and that
// ticks rebuild the details from one query each.
func TestDetailsViewIsCheap(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 200, 50)
	openGoroutine(t, a)
	f.mu.Lock()
	calls, hits := f.calls, f.rt.goHits
	f.mu.Unlock()
	for range 10 {
		_ = a.View()
	}
	if f.calls != calls || f.rt.goHits != hits {
		t.Error("View queried the source")
	}
	tick(a)
	if f.rt.goHits != hits+1 {
		t.Errorf("a tick made %d goroutine queries, want 1", f.rt.goHits-hits)
	}
	press(a, "space")
	tick(a)
	if f.rt.goHits != hits+1 {
		t.Error("a tick while paused queried the goroutine")
	}
}

// TestProgramSavesTrace runs the real program: enter on a goroutine opens
// its details, s saves the trace in a command, and its answer reaches the
// status line.
func TestProgramSavesTrace(t *testing.T) {
	f := newFake(200)
	f.tasks[3].Total = time.Hour // a goroutine on top
	if f.tasks[3].Kind != model.KindGoroutine {
		t.Fatal("task 4 is not a goroutine")
	}
	tm := teatest.NewTestModel(t, New(f, Options{Tick: 20 * time.Millisecond}),
		teatest.WithInitialTermSize(120, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	tm.Send(keyMsg("u"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("GET /api/items/3")) },
		teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("shop.(*Pool).worker")) },
		teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("s"))
	// The screen is drawn by differences: wait for the path, which has no
	// blanks the renderer could skip, and read the status from the model.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("./spantop-trace-svc-1-20261122-010203.out"))
	}, teatest.WithDuration(5*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	f.withRuntime(func(rt *fakeRuntime) {
		if len(rt.saved) != 1 || rt.saved[0] != 4 {
			t.Errorf("SaveTrace calls %v, want [4]", rt.saved)
		}
	})
	a, ok := tm.FinalModel(t).(*App)
	if !ok || !strings.Contains(a.status, "open with: go tool trace ./spantop-trace-") {
		t.Errorf("final status %q", a.status)
	}
}

// BenchmarkGoroutineFrame measures one 200×50 refresh of a goroutine's
// details (the query and rebuilding the page) and View.
func BenchmarkGoroutineFrame(b *testing.B) {
	f := newFake(2000)
	a := newApp(b, f, Options{}, 200, 50)
	a.open(target{linkGoroutine, 4})
	b.ReportAllocs()
	for b.Loop() {
		a.Update(nextTick(a))
		_ = a.View()
	}
}

// BenchmarkResourcesFrame measures one 200×50 refresh of the resources
// view against the fake source, and View.
func BenchmarkResourcesFrame(b *testing.B) {
	f := newFake(2000)
	a := newApp(b, f, Options{}, 200, 50)
	press(a, "r")
	b.ReportAllocs()
	for b.Loop() {
		a.Update(nextTick(a))
		_ = a.View()
	}
}

// The goroutines tab and the header count the goroutines of processes
// that went silent beside the live ones; a clean exit shows none.
func TestGoroutinesTitleCountsLost(t *testing.T) {
	f := newFake(100)
	f.hdr.Goroutines, f.hdr.GoroutinesLost = 12, 0
	a := newApp(t, f, Options{}, 200, 50)
	press(a, "u")
	if s := plain(a); !strings.Contains(s, "12 live") || strings.Contains(s, "12 live · ") {
		t.Fatalf("no goroutine lost: title:\n%s", strings.SplitN(s, "\n", 6)[4])
	}
	f.mu.Lock()
	f.hdr.Goroutines, f.hdr.GoroutinesLost = 3, 9
	f.mu.Unlock()
	tick(a)
	if s := plain(a); !strings.Contains(s, "3 live · 9 lost") {
		t.Fatalf("9 lost goroutines: title:\n%s", strings.SplitN(s, "\n", 6)[4])
	}
	// The header says so too, on any tab: "goroutines 0" beside a table of
	// lost ones did not agree.
	press(a, "t")
	if line := strings.SplitN(plain(a), "\n", 4)[2]; !strings.Contains(line, "goroutines 3  goroutines lost 9") {
		t.Errorf("header line 3 without the lost goroutines: %q", line)
	}
}
