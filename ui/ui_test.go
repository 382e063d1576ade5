package ui

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

func newApp(t testing.TB, src Source, opts Options, w, h int) *App {
	t.Helper()
	a := New(src, opts)
	a.now = func() time.Time { return demoNow }
	if a.Init() == nil {
		t.Fatal("Init returned no tick")
	}
	a.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return a
}

func press(a *App, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = a.Update(keyMsg(k))
	}
	return cmd
}

func tick(a *App) tea.Cmd {
	_, cmd := a.Update(nextTick(a))
	return cmd
}

func frame(a *App) string { return a.View().Content }

func plain(a *App) string { return ansi.Strip(frame(a)) }

// checkFrame asserts the frame is exactly h lines of at most w cells.
func checkFrame(t *testing.T, a *App, w, h int) []string {
	t.Helper()
	lines := strings.Split(frame(a), "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d lines, want %d", w, h, len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("%dx%d: line %d is %d cells wide: %q", w, h, i, lw, ansi.Strip(l))
		}
	}
	return lines
}

// selectedLine returns the plain text of the reverse-video row.
func selectedLine(t *testing.T, a *App) string {
	t.Helper()
	for _, l := range strings.Split(frame(a), "\n") {
		if strings.HasPrefix(l, sgrReverse.on) && !strings.Contains(l, "Tasks") {
			return ansi.Strip(l)
		}
	}
	t.Fatal("no selected row on screen")
	return ""
}

var sizes = [][2]int{{80, 24}, {200, 50}, {60, 15}, {120, 8}, {40, 5}, {20, 3}, {10, 1}}

func TestFramesFitEveryView(t *testing.T) {
	for _, opts := range []Options{{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, {ASCII: true, NoColor: true}} {
		for _, sz := range sizes {
			w, h := sz[0], sz[1]
			a := newApp(t, newFake(500), opts, w, h)
			views := []struct {
				name string
				keys []string
			}{
				{"tasks", nil},
				{"help", []string{"?"}},
				{"ops", []string{"esc", "o"}},
				{"tasks-again", []string{"t", "j", "j"}},
				{"details", []string{"enter"}},
				{"details-scrolled", []string{"pgdown", "pgdown"}},
				{"filter", []string{"esc", "/", "x"}},
				{"paused", []string{"enter", "space"}},
			}
			for _, v := range views {
				press(a, v.keys...)
				checkFrame(t, a, w, h)
				if testing.Verbose() && (w == 80 || w == 200) && !opts.ASCII {
					t.Logf("%s %dx%d:\n%s", v.name, w, h, plain(a))
				}
				if !strings.Contains(ansi.Strip(strings.Split(frame(a), "\n")[h-1]), "help") && w >= 20 {
					t.Errorf("%s %dx%d: footer lost the help key: %q", v.name, w, h, ansi.Strip(strings.Split(frame(a), "\n")[h-1]))
				}
			}
		}
	}
}

func TestTasksTableFillsHeight(t *testing.T) {
	f := newFake(500)
	a := newApp(t, f, Options{}, 80, 24)
	q := f.lastTaskQuery()
	if q.Limit != 24-chromeLines {
		t.Fatalf("limit %d, want %d", q.Limit, 24-chromeLines)
	}
	lines := checkFrame(t, a, 80, 24)
	for i := firstRowY; i < 24-2; i++ {
		if strings.TrimSpace(ansi.Strip(lines[i])) == "" {
			t.Errorf("row line %d is empty", i)
		}
	}
	head := ansi.Strip(lines[colHeaderY])
	for _, col := range []string{"ID", "St", "Name", "Total▼", "Kind", "Service"} {
		if !strings.Contains(head, col) {
			t.Errorf("80 columns: header %q lacks %q", head, col)
		}
	}
	a.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	head = ansi.Strip(strings.Split(frame(a), "\n")[colHeaderY])
	for _, col := range []string{"Warn", "ID", "St", "Name", "Total", "Kind", "Service", "Target", "Location", "Fields"} {
		if !strings.Contains(head, col) {
			t.Errorf("200 columns: header %q lacks %q", head, col)
		}
	}
	// The goroutines have a table of their own, with their own columns.
	press(a, "u")
	head = ansi.Strip(strings.Split(frame(a), "\n")[colHeaderY])
	for _, col := range []string{"Goid", "St", "Name", "Wait", "Resource", "Total", "Busy", "Sched", "Idle", "Polls", "Created by", "Service", "Location"} {
		if !strings.Contains(head, col) {
			t.Errorf("goroutines at 200 columns: header %q lacks %q", head, col)
		}
	}
	for _, r := range a.gors.rows {
		if r.Kind != model.KindGoroutine {
			t.Errorf("span %q in the goroutines table", r.Name)
		}
	}
	press(a, "t")
	if q := f.lastTaskQuery(); q.Limit != 50-chromeLines {
		t.Errorf("after resize limit %d, want %d", q.Limit, 50-chromeLines)
	}
}

func TestHeader(t *testing.T) {
	a := newApp(t, newFake(50), Options{Listen: "grpc 127.0.0.1:4317"}, 200, 50)
	s := plain(a)
	for _, want := range []string{"LIVE", "1234.5 spans/s", "grpc 127.0.0.1:4317", "received 1.23M", "rejected 2",
		"refused+dropped 7", "evicted 5", "memory 12.0 MiB / 512 MiB", "spans 50", "running 10", "lost 10",
		"errors 10", "traces 16", "operations 5", "services 3"} {
		if !strings.Contains(s, want) {
			t.Errorf("header lacks %q", want)
		}
	}
}

func TestSortKeysChangeQuery(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 200, 50)
	if q := f.lastTaskQuery(); q.Sort != model.TaskTotal || !q.Desc {
		t.Fatalf("default sort %v desc=%v, want Total desc", q.Sort, q.Desc)
	}
	press(a, "right")
	if q := f.lastTaskQuery(); q.Sort != model.TaskBusy {
		t.Errorf("right: sort %v, want Busy", q.Sort)
	}
	press(a, "h", "h")
	if q := f.lastTaskQuery(); q.Sort != model.TaskName || q.Desc {
		t.Errorf("h h: sort %v desc=%v, want Name ascending", q.Sort, q.Desc)
	}
	if !strings.Contains(plain(a), "Name▲") {
		t.Error("sorted column not marked ▲")
	}
	press(a, "i")
	if q := f.lastTaskQuery(); q.Sort != model.TaskName || !q.Desc {
		t.Errorf("i: sort %v desc=%v, want Name descending", q.Sort, q.Desc)
	}
	if !strings.Contains(plain(a), "Name▼") {
		t.Error("inverted column not marked ▼")
	}
	press(a, "l")
	if q := f.lastTaskQuery(); q.Sort != model.TaskTotal {
		t.Errorf("l: sort %v, want Total", q.Sort)
	}
	// Wraps around from the first to the last column.
	for range 4 {
		press(a, "left")
	}
	if q := f.lastTaskQuery(); q.Sort != model.TaskWarn {
		t.Errorf("sort %v, want Warn", q.Sort)
	}
	press(a, "left")
	if q := f.lastTaskQuery(); q.Sort != model.TaskFields {
		t.Errorf("sort %v, want Fields after wrapping", q.Sort)
	}
}

func TestSelectionFollowsID(t *testing.T) {
	f := newFake(125) // 100 spans, 25 goroutines
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "j", "j", "j")
	id := a.tasks.selID
	if a.tasks.selRow != 3 || id != a.tasks.rows[3].ID {
		t.Fatalf("after 3×j: row %d id %d", a.tasks.selRow, id)
	}
	if q := f.lastTaskQuery(); q.Move != 1 || q.Row != 3 {
		t.Errorf("j sent Move %d Row %d, want 1 and 3", q.Move, q.Row)
	}
	name := "GET /api/items/" + strconv.FormatUint(id-1, 10)
	// The selected span becomes the longest: it moves to rank 0.
	f.mu.Lock()
	f.tasks[id-1].Total = time.Hour
	f.mu.Unlock()
	tick(a)
	if q := f.lastTaskQuery(); q.Anchor != id || q.Move != 0 || q.Row != 3 {
		t.Errorf("tick query %+v, want anchor %d at row 3", q, id)
	}
	if a.tasks.selID != id {
		t.Fatalf("selection moved to %d, want %d", a.tasks.selID, id)
	}
	if !strings.Contains(selectedLine(t, a), name) {
		t.Errorf("selected line %q is not %q", selectedLine(t, a), name)
	}
	// Top and bottom.
	press(a, "G")
	if a.tasks.offset+len(a.tasks.rows) != 100 || a.tasks.selRow != len(a.tasks.rows)-1 {
		t.Errorf("G: offset %d rows %d sel %d", a.tasks.offset, len(a.tasks.rows), a.tasks.selRow)
	}
	press(a, "g")
	if a.tasks.offset != 0 || a.tasks.selRow != 0 || a.tasks.selID != id {
		t.Errorf("g: offset %d sel %d id %d, want the hour-long span %d on top", a.tasks.offset, a.tasks.selRow, a.tasks.selID, id)
	}
	press(a, "pgdown")
	if a.tasks.offset != a.rows() {
		t.Errorf("pgdown: offset %d, want %d", a.tasks.offset, a.rows())
	}
	press(a, "pgup")
	if a.tasks.offset != 0 || a.tasks.selID != id {
		t.Errorf("pgup: offset %d id %d", a.tasks.offset, a.tasks.selID)
	}
	// The selected span vanishes: the selection stays on the same screen row.
	press(a, "j", "j")
	gone := a.tasks.selID
	f.mu.Lock()
	f.tasks = slicesDelete(f.tasks, gone)
	f.mu.Unlock()
	tick(a)
	if a.tasks.selRow != 2 || a.tasks.selID == gone || a.tasks.selID == 0 {
		t.Errorf("after removal: row %d id %d", a.tasks.selRow, a.tasks.selID)
	}
}

func slicesDelete(rows []model.TaskRow, id uint64) []model.TaskRow {
	out := rows[:0:0]
	for _, r := range rows {
		if r.ID != id {
			out = append(out, r)
		}
	}
	return out
}

func TestPauseStopsQueries(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 80, 24)
	press(a, "space")
	if !strings.Contains(plain(a), "PAUSED") {
		t.Error("header does not say PAUSED")
	}
	f.mu.Lock()
	before := f.calls
	f.hdr.Received = 999
	f.mu.Unlock()
	for range 5 {
		if tick(a) == nil {
			t.Fatal("tick not re-issued while paused")
		}
	}
	press(a, "j", "k") // moves within the page need no query either
	if f.calls != before {
		t.Errorf("%d queries while paused", f.calls-before)
	}
	press(a, "space")
	if f.calls == before || !strings.Contains(plain(a), "LIVE") || !strings.Contains(plain(a), "recv 999") {
		t.Error("resume did not refresh")
	}
}

func TestHelpOverlayAndQuit(t *testing.T) {
	a := newApp(t, newFake(10), Options{}, 200, 50)
	// The help lists every key of the view it was asked in, and only those.
	var all []binding
	for _, ks := range keySets {
		all = append(all, a.allKeys(ks)...)
	}
	for _, v := range []struct {
		keys []string
		ks   *keySet
	}{
		{nil, tasksKeys}, {[]string{"o"}, opsKeys}, {[]string{"enter"}, opDetailsKeys},
		{[]string{"t", "enter"}, detailsKeys}, {[]string{"w"}, traceKeys},
	} {
		press(a, v.keys...)
		if a.top.keys() != v.ks {
			t.Fatalf("keys %v: view %v", v.keys, viewName(a))
		}
		own := a.keys()
		press(a, "?")
		s := plain(a)
		for _, b := range all {
			has := strings.Contains(s, b.desc) && strings.Contains(s, b.shown(false))
			want := slices.ContainsFunc(own, func(o binding) bool { return o.desc == b.desc && o.label == b.label })
			if has != want {
				t.Errorf("%s help: has %q / %q: %v, want %v", v.ks.name, b.label, b.desc, has, want)
			}
		}
		if !strings.Contains(s, v.ks.mouse) || !strings.Contains(s, "keys: "+v.ks.name) {
			t.Errorf("%s help lacks the mouse line or its title", v.ks.name)
		}
		press(a, "esc")
	}
	press(a, "t", "?")
	press(a, "esc")
	if a.help || strings.Contains(plain(a), tasksKeys.bindings[0].desc) {
		t.Error("esc did not close the help")
	}
	cmd := press(a, "q")
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q did not quit")
	}
	if _, ok := press(a, "ctrl+c")().(tea.QuitMsg); !ok {
		t.Error("ctrl+c did not quit")
	}
}

func TestGoroutineColumnsBlankForSpans(t *testing.T) {
	f := newFake(10)
	a := newApp(t, f, Options{}, 200, 50)
	for i := range a.tasks.rows {
		r := &a.tasks.rows[i]
		text, _ := a.tasks.cols[model.TaskBusy].cell(a.st, r, 9)
		if (r.Kind == model.KindGoroutine) != (text != "") {
			t.Errorf("row %d kind %v: Busy cell %q", r.ID, r.Kind, text)
		}
	}
}

func TestFinishedRowsDimmed(t *testing.T) {
	a := newApp(t, newFake(10), Options{}, 120, 30)
	for i, r := range a.tasks.rows {
		dim := strings.HasPrefix(a.tasks.lines[i], sgrDim.on)
		if dim != r.Finished {
			t.Errorf("row %d finished=%v dimmed=%v", r.ID, r.Finished, dim)
		}
	}
}

func TestOperationsView(t *testing.T) {
	f := newFake(200)
	a := newApp(t, f, Options{}, 200, 50)
	press(a, "o")
	if len(f.oq) == 0 {
		t.Fatal("no operations query")
	}
	q := f.oq[len(f.oq)-1]
	if q.Sort != model.OpTotal || !q.Desc {
		t.Errorf("default sort %v desc=%v, want Time desc", q.Sort, q.Desc)
	}
	s := plain(a)
	for _, want := range []string{"Service", "Name", "Kind", "Count", "Rate/s", "InFlight", "Err%", "p50", "p95", "p99", "Max", "Time▼", "op 1 SELECT items", "of 20 operations"} {
		if !strings.Contains(s, want) {
			t.Errorf("operations view lacks %q", want)
		}
	}
	if !strings.ContainsAny(s, "▁▂▃▄▅▆▇█") {
		t.Error("no sparkline at 200 columns")
	}
	press(a, "l")
	if q := f.oq[len(f.oq)-1]; q.Sort != model.OpService {
		t.Errorf("l from Time: sort %v, want Service (wrap, Rate sparkline skipped)", q.Sort)
	}
	press(a, "j")
	sel := a.ops.rows[a.ops.selRow]
	press(a, "s")
	if viewName(a) != "tasks" || !strings.Contains(a.tasks.filter, "name=\""+sel.Name+"\"") {
		t.Errorf("s on an operation: view %v filter %q", viewName(a), a.tasks.filter)
	}
	press(a, "o")
	if a.ops.selID != sel.ID {
		t.Error("operations selection lost after a round trip")
	}
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	checkFrame(t, a, 80, 24)
}

func TestDetailsView(t *testing.T) {
	f := newFake(50)
	a := newApp(t, f, Options{}, 120, 40)
	press(a, "j", "j")
	id, row := a.tasks.selID, a.tasks.selRow
	press(a, "enter")
	if viewName(a) != "span details" {
		t.Fatal("enter did not open details")
	}
	d := f.spans[id]
	s := ansi.Strip(strings.Join(det(a).lines, "\n"))
	for _, want := range []string{d.TraceID.String(), d.SpanID.String(), "(root span)", d.Name, "error: boom",
		"otelhttp v0.60.0", d.Location, "rojo=00f067aa0ba902b7", "snapshot seq", "trace spans", "attributes 1",
		"http.route = /api/items/{id}", "db.statement = SELECT", "+1.50ms", "cache.miss", "key = item:42",
		"Links (1)", "why = batch", "Resource (2)", "host.name = box", "start", "2026-11-22"} {
		if !strings.Contains(s, want) {
			t.Errorf("details lack %q", want)
		}
	}
	_ = d
	checkFrame(t, a, 120, 40)
	// The long statement wraps instead of being cut.
	if !strings.Contains(s, "LIMIT 100") {
		t.Error("long attribute value was cut")
	}
	// Scrolling: j stops at each link on screen (the rows of the trace),
	// then scrolls a line at a time.
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	links := 0
	for ; links < 50 && det(a).scroll == 0; links++ {
		press(a, "j")
	}
	if links < 2 || links > 1+len(det(a).links) {
		t.Errorf("j scrolled after %d presses with %d links", links, len(det(a).links))
	}
	s0 := det(a).scroll
	press(a, "j", "j")
	if det(a).scroll != s0+2 {
		t.Errorf("scroll %d, want %d", det(a).scroll, s0+2)
	}
	press(a, "G")
	if !strings.Contains(plain(a), "host.name = box") {
		t.Error("G did not reach the end")
	}
	checkFrame(t, a, 80, 24)
	// The span vanishes (retention): say so, keep the last copy.
	f.mu.Lock()
	delete(f.spans, id)
	f.mu.Unlock()
	tick(a)
	if s := plain(a); !strings.Contains(s, "no longer stored") || !strings.Contains(s, "host.name = box") {
		t.Log(s)
		t.Error("vanished span not reported, or its last copy dropped")
	}
	press(a, "esc")
	if viewName(a) != "tasks" || a.tasks.selID != id || a.tasks.selRow != row {
		t.Errorf("esc: view %v id %d row %d, want tasks %d %d", viewName(a), a.tasks.selID, a.tasks.selRow, id, row)
	}
	// A span gone before it could be shown.
	a.tasks.selID = 424242
	press(a, "enter")
	if !strings.Contains(plain(a), "no longer stored") {
		t.Error("missing span not reported")
	}
	press(a, "esc")
	if viewName(a) != "tasks" {
		t.Error("esc did not go back")
	}
}

func TestFilterInput(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "/", "i", "t", "e", "m", "s", "/", "4", "2", "x", "backspace")
	if q := f.lastTaskQuery(); q.Filter != "items/42" {
		t.Fatalf("filter sent %q", q.Filter)
	}
	if a.tasks.total != 1 || !strings.Contains(plain(a), "/items/42") {
		t.Errorf("filtered total %d", a.tasks.total)
	}
	press(a, "enter")
	if a.editing || !strings.Contains(plain(a), "filter: items/42") {
		t.Error("enter did not keep the filter")
	}
	press(a, "j") // keys act again once the filter is entered
	press(a, "esc")
	if q := f.lastTaskQuery(); q.Filter != "" {
		t.Errorf("esc left filter %q", q.Filter)
	}
	press(a, "/", "b", "a", "d", "=")
	if !strings.Contains(plain(a), "bad: no such field") {
		t.Error("FilterErr not shown")
	}
	press(a, "esc")
	if a.editing || a.tasks.filter != "" || strings.Contains(plain(a), "no such field") {
		t.Error("esc did not clear the filter")
	}
	// Control characters typed or pasted never reach the screen.
	press(a, "/")
	a.Update(tea.KeyPressMsg{Code: tea.KeyExtended, Text: "\x1b[2J"})
	a.Update(tea.PasteMsg{Content: "\x1b[H\r"})
	if q := f.lastTaskQuery(); q.Filter != "\uFFFD[2J\uFFFD[H\uFFFD" {
		t.Errorf("pasted filter sent as %q", q.Filter)
	}
	if strings.Contains(frame(a), "\x1b[2J") || strings.Contains(frame(a), "\x1b[H") {
		t.Error("escape sequence from the filter reached the screen")
	}
}

func TestMouse(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 200, 50)
	a.Update(tea.MouseClickMsg{X: 10, Y: firstRowY + 4, Button: tea.MouseLeft})
	if a.tasks.selRow != 4 || a.tasks.selID != a.tasks.rows[4].ID {
		t.Errorf("click selected row %d", a.tasks.selRow)
	}
	a.Update(tea.MouseClickMsg{X: 10, Y: firstRowY + 4, Button: tea.MouseLeft})
	if viewName(a) != "span details" {
		t.Error("second click did not open details")
	}
	press(a, "esc")
	// Click the Name header.
	x := strings.Index(ansi.Strip(a.tasks.header), "Name")
	a.Update(tea.MouseClickMsg{X: x + 1, Y: colHeaderY, Button: tea.MouseLeft})
	if q := f.lastTaskQuery(); q.Sort != model.TaskName {
		t.Errorf("header click sorted by %v", q.Sort)
	}
	a.Update(tea.MouseClickMsg{X: x + 1, Y: colHeaderY, Button: tea.MouseLeft})
	if q := f.lastTaskQuery(); q.Sort != model.TaskName || !q.Desc {
		t.Error("second header click did not invert")
	}
	row := a.tasks.selRow
	a.Update(tea.MouseWheelMsg{X: 10, Y: 10, Button: tea.MouseWheelDown})
	if a.tasks.selRow != row+3 {
		t.Errorf("wheel: row %d, want %d", a.tasks.selRow, row+3)
	}
	// Click the Operations tab.
	x = strings.Index(ansi.Strip(a.title), "Operations")
	a.Update(tea.MouseClickMsg{X: x, Y: titleY, Button: tea.MouseLeft})
	if viewName(a) != "operations" {
		t.Error("tab click did not switch view")
	}
}

var colourSGR = regexp.MustCompile(`\x1b\[([0-9;]*)m`)

func TestNoColor(t *testing.T) {
	for _, keys := range [][]string{nil, {"o"}, {"t", "enter"}, {"esc", "?"}, {"esc", "/", "x"}} {
		a := newApp(t, newFake(100), Options{NoColor: true}, 200, 50)
		press(a, keys...)
		for _, m := range colourSGR.FindAllStringSubmatch(frame(a), -1) {
			for _, p := range strings.Split(m[1], ";") {
				n, _ := strconv.Atoi(p)
				if (n >= 30 && n <= 49) || (n >= 90 && n <= 107) {
					t.Fatalf("%v: colour sequence %q under NO_COLOR", keys, m[0])
				}
			}
		}
	}
	// With colour, durations are coloured.
	a := newApp(t, newFake(100), Options{}, 200, 50)
	if !strings.Contains(frame(a), "\x1b[3") {
		t.Error("no colour at all without NoColor")
	}
}

func TestASCII(t *testing.T) {
	for _, keys := range [][]string{nil, {"o"}, {"t", "enter"}, {"esc", "?"}, {"esc", "/", "x"}} {
		a := newApp(t, newFake(100), Options{ASCII: true}, 200, 50)
		press(a, keys...)
		for _, r := range ansi.Strip(frame(a)) {
			if r > 0x7e {
				t.Fatalf("%v: non-ASCII %q under --ascii", keys, r)
			}
		}
	}
}

func TestSanitizedRows(t *testing.T) {
	f := newFake(5)
	f.tasks[0].Name = "evil\x1b[2J\x1b]0;pwned\x07name"
	f.tasks[0].Service = "svc\r\n\b"
	f.tasks[0].Fields = []model.Attr{{Key: "k\x9b", Value: model.Value{Str: "v\u202e\u0085"}}}
	d := f.spans[1]
	d.Name = f.tasks[0].Name
	d.Attrs = append(d.Attrs, model.Attr{Key: "\x1bkey", Value: model.Value{Str: "\x1b[31mred"}})
	d.Events[0].Name = "\x1b[H"
	f.spans[1] = d
	a := newApp(t, f, Options{NoColor: true}, 200, 50)
	check := func() {
		t.Helper()
		s := frame(a)
		for _, bad := range []string{"\x1b[2J", "\x1b]", "\x07", "\r", "\b", "\x9b", "\u202e", "\u0085", "\x1b[H", "\x1bk", "\x1b[31m"} {
			if strings.Contains(s, bad) {
				t.Errorf("screen contains %q", bad)
			}
		}
	}
	check()
	a.tasks.selID = 1
	press(a, "enter")
	check()
}

func TestFormats(t *testing.T) {
	st := newStyles(Options{})
	for d, want := range map[time.Duration]string{
		0: "0ns", 999: "999ns", 1500: "1.50µs", 123456789: "123.46ms", 1500 * time.Millisecond: "1.50s",
		61 * time.Second: "1m01s", 3*time.Hour + 7*time.Minute: "3h07m", -5: "0ns",
	} {
		if got := st.fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
		if width(st.fmtDur(d)) > 8 {
			t.Errorf("fmtDur(%v) wider than 8", d)
		}
	}
	if got := newStyles(Options{ASCII: true}).fmtDur(1500); got != "1.50us" {
		t.Errorf("ascii µs: %q", got)
	}
	if st.durStyle(time.Microsecond) == st.durStyle(2*time.Second) || st.durStyle(2*time.Second) == st.durStyle(time.Minute) {
		t.Error("durations of different magnitude share a colour")
	}
	for n, want := range map[int64]string{5: "5", 99999: "99999", 123456: "123.5k", 12345678: "12.35M"} {
		if got := fmtCount(n); got != want {
			t.Errorf("fmtCount(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 2048: "2.0 KiB", 512 << 20: "512 MiB"} {
		if got := fmtBytes(n); got != want {
			t.Errorf("fmtBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := st.fit("abcdefgh", 5, false); got != "abcd…" {
		t.Errorf("fit = %q", got)
	}
	if got := st.fit("日本語のテキスト", 7, false); ansi.StringWidth(got) != 7 || !strings.HasSuffix(strings.TrimRight(got, " "), "…") {
		t.Errorf("wide fit = %q (%d)", got, ansi.StringWidth(got))
	}
	if got := st.fit("ab", 5, true); got != "   ab" {
		t.Errorf("right fit = %q", got)
	}
	if got := ansi.Strip(st.sparkline([]uint32{0, 1, 8}, 5)); got != "   ▁█" && got != "    ▁█"[1:] {
		t.Errorf("sparkline = %q", got)
	}
}

func TestFollowTopUntilMoved(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 120, 30)
	top := a.tasks.selID
	// A new, longer span arrives: the screen keeps showing the top.
	f.mu.Lock()
	f.tasks = append(f.tasks, model.TaskRow{ID: 1000, Name: "newcomer", Total: time.Hour})
	f.mu.Unlock()
	tick(a)
	if a.tasks.offset != 0 || a.tasks.selID != 1000 {
		t.Fatalf("offset %d sel %d, want the newcomer on top (old top %d)", a.tasks.offset, a.tasks.selID, top)
	}
	// Once the user moves, the selection follows its span.
	press(a, "j")
	id := a.tasks.selID
	f.mu.Lock()
	f.tasks = append(f.tasks, model.TaskRow{ID: 1001, Name: "another", Total: 2 * time.Hour})
	f.mu.Unlock()
	tick(a)
	if a.tasks.selID != id || a.tasks.selRow != 1 || a.tasks.offset != 1 {
		t.Errorf("sel %d row %d offset %d, want %d at row 1 offset 1", a.tasks.selID, a.tasks.selRow, a.tasks.offset, id)
	}
	// Back at the top, it follows the top again.
	press(a, "g")
	if a.tasks.selID != 1001 || !a.tasks.follow {
		t.Errorf("g: sel %d follow %v", a.tasks.selID, a.tasks.follow)
	}
}

func TestEmptyTable(t *testing.T) {
	f := newFake(0)
	f.tasks, f.ops = nil, nil
	f.hdr.Received, f.hdr.Spans = 0, 0 // nothing has arrived
	a := newApp(t, f, Options{Listen: "grpc 127.0.0.1:4317"}, 80, 24)
	if !strings.Contains(plain(a), "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317") {
		t.Error("empty tasks view does not say how to fill it")
	}
	press(a, "enter")
	if viewName(a) != "tasks" || !strings.Contains(plain(a), "no span selected") {
		t.Error("enter on an empty table")
	}
	press(a, "o", "enter", "j", "G", "pgdown", "right", "i")
	checkFrame(t, a, 80, 24)
}

func TestFilterTerm(t *testing.T) {
	for _, c := range [][3]string{
		{"name", "GET", "name=GET"},
		{"name", "GET /users", `name="GET /users"`},
		{"service", "", `service=""`},
		{"name", `say "hi there" now`, `name~"^say .hi there. now$"`},
		{"name", `a"b.c`, `name~^a.b\.c$`},
	} {
		if got := filterTerm(c[0], c[1]); got != c[2] {
			t.Errorf("filterTerm(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestSortHiddenColumnOnNarrowTerminal(t *testing.T) {
	f := newFake(50)
	a := newApp(t, f, Options{}, 80, 24)
	if strings.Contains(ansi.Strip(a.tasks.header), "Busy") {
		t.Skip("Busy fits at 80 columns; nothing to test")
	}
	press(a, "l")
	if q := f.lastTaskQuery(); q.Sort != model.TaskBusy {
		t.Errorf("sort %v, want Busy", q.Sort)
	}
	if !strings.Contains(plain(a), "sort Busy▼") {
		t.Error("title does not name the hidden sort column")
	}
}

func TestDetailsMultiLineValue(t *testing.T) {
	f := newFake(3)
	d := f.spans[1]
	d.Attrs = append(d.Attrs, model.Attr{Key: "exception.stacktrace",
		Value: model.Value{Str: "panic: boom\r\n\tmain.go:12\n\x1b[2Jmain.main()\n"}})
	f.spans[1] = d
	a := newApp(t, f, Options{}, 100, 60)
	a.tasks.selID = 1
	press(a, "enter")
	s := plain(a)
	for _, want := range []string{"exception.stacktrace = panic: boom ", "main.go:12", "\uFFFD[2Jmain.main()"} {
		if !strings.Contains(s, want) {
			t.Errorf("details lack %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "boom\uFFFD") || strings.Contains(s, "main.go:12\uFFFD") {
		t.Error("newlines of a multi-line value were replaced instead of kept")
	}
	checkFrame(t, a, 100, 60)
}

func TestSelectedRowIsOneUniformBar(t *testing.T) {
	a := newApp(t, newFake(10), Options{}, 120, 30)
	press(a, "j")
	var sel string
	for _, l := range strings.Split(frame(a), "\n") {
		if strings.HasPrefix(l, sgrReverse.on) {
			sel = l
		}
	}
	if sel == "" {
		t.Fatal("no reverse-video row on screen")
	}
	// The frame ends each styled line with a full reset (sgrResetAll).
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(sel, sgrResetAll), sgrReverse.on), sgrReverse.off)
	if strings.Contains(inner, "\x1b[") {
		t.Fatalf("styles inside the selected row would patch its background: %q", sel)
	}
	if ansi.StringWidth(sel) != 120 {
		t.Fatalf("selected row is %d cells wide, want the full 120", ansi.StringWidth(sel))
	}
}

func TestWarningsLineAndPanel(t *testing.T) {
	f := newFake(50)
	a := newApp(t, f, Options{}, 120, 30)
	head := ansi.Strip(strings.Split(frame(a), "\n")[headerLines-1])
	if !strings.Contains(head, "warnings  10 lost  2 blocked goroutines") {
		t.Fatalf("warnings line = %q", head)
	}
	press(a, "W")
	s := frame(a)
	if strings.Contains(s, "\x1b[2J") {
		t.Fatal("a warning's text reached the terminal unsanitised")
	}
	plainScreen := ansi.Strip(s)
	for _, want := range []string{" warnings ", "2 blocked goroutines", "longer than 10s", "[--warn-blocked]", "10 lost"} {
		if !strings.Contains(plainScreen, want) {
			t.Errorf("panel lacks %q:\n%s", want, plainScreen)
		}
	}
	checkFrame(t, a, 120, 30)
	press(a, "W")
	if strings.Contains(ansi.Strip(frame(a)), "[--warn-blocked]") {
		t.Error("W did not close the panel")
	}
	f.mu.Lock()
	f.warns = nil
	f.mu.Unlock()
	a.Update(nextTick(a))
	if head := ansi.Strip(strings.Split(frame(a), "\n")[headerLines-1]); !strings.Contains(head, "no warnings") {
		t.Errorf("calm warnings line = %q", head)
	}
}
