package ui

import (
	"image/color"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// rowOf returns the index of the first waterfall row named name.
func rowOf(t *testing.T, a *App, name string) int {
	t.Helper()
	for i, r := range wf(a).kind.v.Rows {
		if r.Name == name {
			return i
		}
	}
	t.Fatalf("no row %q in %d rows", name, len(wf(a).kind.v.Rows))
	return -1
}

// selectRow moves the trace view's selection to row i.
func selectWf(a *App, i int) {
	for wf(a).tbl.selRow < i {
		press(a, "j")
	}
	for wf(a).tbl.selRow > i {
		press(a, "k")
	}
}

func TestTraceView(t *testing.T) {
	a := newApp(t, modelSource{demoModel()}, Options{}, 120, 40)
	// The slowest span is the checkout's root; w opens its trace.
	if r := a.tasks.rows[0]; r.Name != "POST /checkout" {
		t.Fatalf("first task %q", r.Name)
	}
	root := a.tasks.selID
	press(a, "w")
	if viewName(a) != "trace" || wf(a).kind.v.Total != 25 || wf(a).kind.v.Spans != 24 {
		t.Fatalf("view %v total %d spans %d", viewName(a), wf(a).kind.v.Total, wf(a).kind.v.Spans)
	}
	if wf(a).tbl.selID != root || wf(a).tbl.selRow != 0 {
		t.Errorf("selected %d at row %d, want the root %d", wf(a).tbl.selID, wf(a).tbl.selRow, root)
	}
	checkFrame(t, a, 120, 40)
	if title := ansi.Strip(wf(a).kind.describe(a.st)); !strings.Contains(title, "critical path 20 spans") || !strings.Contains(title, "rows 1-25 of 25") || !strings.Contains(title, "2 orphans") {
		t.Errorf("title %q", title)
	}
	s := plain(a)
	for _, want := range []string{
		"trace c0ffee01", "POST /checkout", "420.00ms", "24 spans", "2 running", "2 errors",
		"missing parent 0000000000000063", "├─", "└─", "▾", "▶",
		"frontend", "checkout", "shipping", // the legend
	} {
		if !strings.Contains(s, want) {
			t.Errorf("trace view lacks %q:\n%s", want, s)
		}
	}
	// The selected row is one reverse-video bar.
	lines := strings.Split(frame(a), "\n")
	if !strings.HasPrefix(lines[firstRowY], sgrReverse.on) || !strings.Contains(ansi.Strip(lines[firstRowY]), "POST /checkout") {
		t.Errorf("selected line %q", ansi.Strip(lines[firstRowY]))
	}
	// The bars: critical spans solid, the others (the consumer in flight) not.
	consumer := ansi.Strip(lines[firstRowY+rowOf(t, a, "process orders")])
	if !strings.Contains(consumer, "▆▶") || strings.Contains(consumer, "█") {
		t.Errorf("in-flight consumer bar: %q", consumer)
	}
	if charge := ansi.Strip(lines[firstRowY+rowOf(t, a, "INSERT payments")]); !strings.Contains(charge, "████") {
		t.Errorf("critical bar: %q", charge)
	}

	// ← folds the root: its 21 descendants are hidden; → unfolds.
	press(a, "left")
	if wf(a).kind.v.Total != 4 || !wf(a).kind.v.Rows[0].Collapsed || wf(a).kind.v.Rows[0].Hidden != 21 || !strings.Contains(plain(a), "+21") {
		t.Fatalf("folded root: total %d rows %+v", wf(a).kind.v.Total, wf(a).kind.v.Rows[0])
	}
	press(a, "right")
	if wf(a).kind.v.Total != 25 {
		t.Fatalf("unfolded: total %d", wf(a).kind.v.Total)
	}
	// → on an unfolded node goes to its first child; ← on a leaf to its parent.
	press(a, "right")
	if r, _ := selectedRow(wf(a).tbl); r.Name != "session.load" {
		t.Errorf("→ went to %q", r.Name)
	}
	selectWf(a, rowOf(t, a, "redis GET"))
	press(a, "left")
	if r, _ := selectedRow(wf(a).tbl); r.Name != "auth.v1.AuthService/Check" || r.Service != "auth" {
		t.Errorf("← from a leaf went to %q (%s)", r.Name, r.Service)
	}
	// c toggles.
	press(a, "c")
	if r, _ := selectedRow(wf(a).tbl); !r.Collapsed || wf(a).kind.v.Total != 24 {
		t.Errorf("c: %+v total %d", r, wf(a).kind.v.Total)
	}
	press(a, "c")
	if wf(a).kind.v.Total != 25 {
		t.Errorf("c again: total %d", wf(a).kind.v.Total)
	}
	// G and g.
	press(a, "G")
	if r, _ := selectedRow(wf(a).tbl); r.Name != "cache.write" {
		t.Errorf("G selected %q", r.Name)
	}
	// enter on the marker explains; on a span opens its details.
	selectWf(a, rowOf(t, a, ""))
	press(a, "enter")
	if viewName(a) != "trace" || !strings.Contains(plain(a), "never arrived") {
		t.Errorf("enter on the marker: view %v", viewName(a))
	}
	press(a, "g")
	selectWf(a, rowOf(t, a, "INSERT payments"))
	want := wf(a).tbl.selID
	press(a, "enter")
	if viewName(a) != "span details" || det(a).id != want || !det(a).found {
		t.Fatalf("enter: view %v det %d, want %d", viewName(a), det(a).id, want)
	}
	checkFrame(t, a, 120, 40)
	// The details open with the trace around the span, the span marked.
	s = plain(a)
	if !strings.Contains(s, "Trace (24 spans, 420.00ms, 6 services)") || !strings.Contains(s, "w: the whole trace") {
		t.Errorf("details lack the trace section:\n%s", s)
	}
	found := false
	for _, l := range strings.Split(frame(a), "\n") {
		if strings.HasPrefix(l, sgrReverse.on) && strings.Contains(ansi.Strip(l), "INSERT payments") {
			found = true
		}
	}
	if !found {
		t.Error("the span is not marked in the details' waterfall")
	}
	// esc goes back to the trace view, selection kept; esc again to the tasks.
	press(a, "esc")
	if viewName(a) != "trace" || wf(a).tbl.selID != want {
		t.Errorf("back: view %v selected %d", viewName(a), wf(a).tbl.selID)
	}
	press(a, "esc")
	if viewName(a) != "tasks" || len(a.stack) != 0 {
		t.Errorf("back again: view %v stack %d", viewName(a), len(a.stack))
	}
	// w from the details opens the trace too; t goes straight back to the table.
	press(a, "enter", "w")
	if viewName(a) != "trace" || len(a.stack) != 2 {
		t.Errorf("w from details: view %v stack %d", viewName(a), len(a.stack))
	}
	press(a, "t")
	if viewName(a) != "tasks" || len(a.stack) != 0 {
		t.Errorf("t: view %v stack %d", viewName(a), len(a.stack))
	}
}

func TestTraceViewPausedMovesLocally(t *testing.T) {
	f := newFake(100)
	a := newApp(t, f, Options{}, 120, 40)
	press(a, "w", "space")
	calls := f.calls
	press(a, "j", "j")
	tick(a)
	if f.calls != calls {
		t.Errorf("paused: %d queries", f.calls-calls)
	}
	if wf(a).tbl.selRow != a.rows()/3+2 && wf(a).tbl.selRow != 2 {
		t.Errorf("paused move: row %d", wf(a).tbl.selRow)
	}
}

func TestOperationDetailsView(t *testing.T) {
	a := newApp(t, modelSource{demoModel()}, Options{}, 120, 40)
	press(a, "o")
	if r := a.ops.rows[a.ops.selRow]; r.Name != "POST /charge" || r.Service != "payments" {
		t.Fatalf("first operation %s %s", r.Service, r.Name)
	}
	press(a, "enter")
	if viewName(a) != "operation details" || !opd(a).found {
		t.Fatalf("view %v", viewName(a))
	}
	checkFrame(t, a, 120, 40)
	s := plain(a)
	for _, want := range []string{
		"operation POST /charge", "count 272", "errors 2.9% (8)",
		"Latency · 272 spans", "p10 ", "p25 ", "p50 ", "p75 ", "p90 ", "p95 ", "p99 ", "p99.9  344.00ms",
		"Last 5m (one column per 5s", "rate/s", "p99  ", "errors", "Slowest recent spans", "344.00ms", "2m25s ago", "In flight now",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("operation details lack %q", want)
		}
	}
	// The mini histogram: a bar row and the axis from the fastest span.
	if !strings.ContainsAny(s, "▁▂▃▄▅▆▇█") || !strings.Contains(s, "20.00ms") {
		t.Error("no histogram")
	}
	// j moves among the slowest spans; enter opens one; esc comes back to it.
	press(a, "j", "j")
	sp, _ := opd(a).selectedSpan()
	if opd(a).sel != 2 || sp.Duration != opd(a).d.Slowest[2].Duration {
		t.Fatalf("selection %d", opd(a).sel)
	}
	press(a, "enter")
	if viewName(a) != "span details" || det(a).id != sp.ID {
		t.Fatalf("enter: view %v det %d, want %d", viewName(a), det(a).id, sp.ID)
	}
	press(a, "esc")
	if viewName(a) != "operation details" || opd(a).sel != 2 {
		t.Errorf("back: view %v sel %d", viewName(a), opd(a).sel)
	}
	// G and g keep to the list; s lists the operation's spans.
	press(a, "G")
	if opd(a).sel != len(opd(a).spans)-1 {
		t.Errorf("G: sel %d of %d", opd(a).sel, len(opd(a).spans))
	}
	press(a, "s")
	if viewName(a) != "tasks" || a.tasks.total != 272 || a.tasks.filterErr != "" {
		t.Errorf("s: view %v total %d filter %q err %q", viewName(a), a.tasks.total, a.tasks.filter, a.tasks.filterErr)
	}
	// Unknown operations say so.
	v := newOpDetailsView(999)
	v.width = 80
	v.refreshFrom(a.src, a.st, demoNow)
	if v.found || !strings.Contains(ansi.Strip(strings.Join(v.lines, "\n")), "not known") {
		t.Error("unknown operation")
	}
}

func TestTreeModeView(t *testing.T) {
	for _, opts := range []Options{{}, {ASCII: true}} {
		src := &queryLog{Source: modelSource{demoModel()}}
		a := newApp(t, src, opts, 120, 40)
		press(a, "T")
		if !a.tasks.tree || !src.last.Tree {
			t.Fatal("T did not turn tree mode on")
		}
		s := plain(a)
		branch, last := "├─POST /checkout", "└─session.load"
		if opts.ASCII {
			branch, last = "|-POST /checkout", "`-session.load"
		}
		if !strings.Contains(s, branch) || !strings.Contains(s, last) || !strings.Contains(s, a.st.sym.bullet+" tree") {
			t.Errorf("ascii=%v: tree mode screen:\n%s", opts.ASCII, s)
		}
		if opts.ASCII {
			for _, r := range s {
				if r > 0x7e {
					t.Fatalf("non-ASCII %q under --ascii", r)
				}
			}
		}
		// The orphans are top-level, marked.
		press(a, "/")
		for _, k := range "cache" {
			press(a, string(k))
		}
		press(a, "enter")
		orphan := "┄ cache.fill"
		if opts.ASCII {
			orphan = "~ cache.fill"
		}
		if s := plain(a); !strings.Contains(s, orphan) {
			t.Errorf("orphan not marked:\n%s", s)
		}
		press(a, "esc", "T")
		if a.tasks.tree || src.last.Tree || strings.Contains(plain(a), "├─") {
			t.Error("T again did not turn tree mode off")
		}
	}
}

func TestRegexpFilterLive(t *testing.T) {
	src := &queryLog{Source: modelSource{demoModel()}}
	a := newApp(t, src, Options{}, 120, 40)
	total := a.tasks.total
	press(a, "/")
	typed := ""
	for _, k := range `name~"^POST /(checkout|charge)$"` {
		press(a, string(k))
		typed += string(k)
		// Every key press queries with what is typed so far.
		if src.last.Filter != typed {
			t.Fatalf("after %q the query's filter is %q", typed, src.last.Filter)
		}
	}
	if a.tasks.total != 270+4+3 || a.tasks.filterErr != "" { // the history, the trace's charges and checkouts
		t.Errorf("matched %d, err %q", a.tasks.total, a.tasks.filterErr)
	}
	press(a, "enter")
	title := ansi.Strip(a.title)
	if !strings.Contains(title, "matching") || !strings.Contains(title, `filter name~"^POST /(checkout|charge)$"`) {
		t.Errorf("title %q", title)
	}
	// A bad expression says what is wrong while it is typed.
	press(a, "esc", "/", "n", "a", "m", "e", "~", "(")
	if !strings.Contains(plain(a), "name~: missing closing ): `(`") {
		t.Errorf("no error for a bad regexp:\n%s", plain(a))
	}
	press(a, "esc")
	if a.tasks.filter != "" || a.tasks.total != total || strings.Contains(ansi.Strip(a.title), "filter") {
		t.Errorf("esc left filter %q total %d", a.tasks.filter, a.tasks.total)
	}
}

func TestBackgroundColour(t *testing.T) {
	// Init asks the terminal for its background colour.
	a := New(newFake(10), Options{})
	batch, ok := a.Init()().(tea.BatchMsg)
	if !ok {
		t.Fatal("Init does not batch")
	}
	asked := false
	for _, c := range batch {
		if c == nil {
			continue
		}
		// The tick waits for its interval; the request answers at once.
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		if m := <-done; m == tea.RequestBackgroundColor() {
			asked = true
		}
	}
	if !asked {
		t.Error("Init did not request the background colour")
	}

	light := tea.BackgroundColorMsg{Color: color.White}
	dark := tea.BackgroundColorMsg{Color: color.Black}
	a = newApp(t, newFake(100), Options{}, 200, 50)
	press(a, "w")
	if !strings.Contains(frame(a), "\x1b[36m") { // the dark palette's cyan title
		t.Fatal("dark palette not in use")
	}
	a.Update(light)
	if a.dark || strings.Contains(frame(a), "\x1b[36m") || !strings.Contains(frame(a), "38;5;24m") {
		t.Error("light background: palette not switched")
	}
	press(a, "esc") // the table's cached rows are redrawn too
	if strings.Contains(frame(a), "\x1b[33m") || !strings.Contains(frame(a), "38;5;") {
		t.Error("light background: table rows keep dark colours")
	}
	a.Update(dark)
	if !a.dark || !strings.Contains(frame(a), "\x1b[36m") {
		t.Error("dark background: palette not switched back")
	}
	// NO_COLOR and --ascii stay in force whatever the background.
	for _, opts := range []Options{{NoColor: true}, {ASCII: true, NoColor: true}} {
		a := newApp(t, newFake(100), opts, 200, 50)
		press(a, "w")
		a.Update(light)
		for _, m := range colourSGR.FindAllStringSubmatch(frame(a), -1) {
			for _, p := range strings.Split(m[1], ";") {
				if n, _ := strconv.Atoi(p); (n >= 30 && n <= 49) || (n >= 90 && n <= 107) {
					t.Fatalf("%+v: colour %q on a light background", opts, m[0])
				}
			}
		}
		if opts.ASCII && slices.ContainsFunc([]rune(plain(a)), func(r rune) bool { return r > 0x7e }) {
			t.Errorf("non-ASCII after the background changed")
		}
	}
}

func TestMouseInEveryView(t *testing.T) {
	src := &queryLog{Source: modelSource{demoModel()}}
	a := newApp(t, src, Options{}, 120, 40)
	click := func(x, y int) { a.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft}) }
	wheel := func(b tea.MouseButton) { a.Update(tea.MouseWheelMsg{X: 10, Y: 10, Button: b}) }

	// Tree mode: rows select, headers sort, the wheel scrolls.
	press(a, "T")
	click(10, firstRowY+3)
	if a.tasks.selRow != 3 {
		t.Errorf("tree: click selected %d", a.tasks.selRow)
	}
	x := strings.Index(ansi.Strip(a.tasks.header), "Name")
	click(x+1, colHeaderY)
	if q := src.last; q.Sort != model.TaskName || !q.Tree {
		t.Errorf("tree: header click sorted by %v tree %v", q.Sort, q.Tree)
	}
	before := a.tasks.selRow
	wheel(tea.MouseWheelUp)
	if a.tasks.selRow != before-3 || !src.last.Tree {
		t.Errorf("tree: wheel from %d to %d", before, a.tasks.selRow)
	}

	// Trace view.
	press(a, "T", "i", "g") // flat, sorted by name descending... back to Total
	a.tasks.setSort(model.TaskTotal, a.st)
	a.tasks.desc = true
	press(a, "g", "w")
	click(30, firstRowY+4)
	if wf(a).tbl.selRow != 4 {
		t.Errorf("trace: click selected %d", wf(a).tbl.selRow)
	}
	wheel(tea.MouseWheelDown)
	if wf(a).tbl.selRow != 7 {
		t.Errorf("trace: wheel to %d", wf(a).tbl.selRow)
	}
	// The root's fold mark folds it.
	r0 := wf(a).kind.v.Rows[0]
	click(wf(a).kind.lay.foldX, firstRowY)
	if !wf(a).kind.v.Rows[0].Collapsed || wf(a).kind.v.Total != 4 || wf(a).kind.v.Rows[0].ID != r0.ID {
		t.Errorf("trace: fold click: total %d", wf(a).kind.v.Total)
	}
	click(wf(a).kind.lay.foldX, firstRowY)
	if wf(a).kind.v.Total != 25 {
		t.Errorf("trace: unfold click: total %d", wf(a).kind.v.Total)
	}
	// A second click on the selected row opens it.
	click(30, firstRowY+2)
	id := wf(a).tbl.selID
	click(30, firstRowY+2)
	if viewName(a) != "span details" || det(a).id != id {
		t.Errorf("trace: double click: view %v", viewName(a))
	}
	// Details: a click on a span of the trace selects it, a second opens
	// it, as every link of a page; the wheel scrolls.
	var parent model.TraceRow // another span of the trace
	for _, r := range det(a).trace.Rows {
		if r.ID != det(a).id && !r.Missing {
			parent = r
			break
		}
	}
	at := det(a).links[det(a).linkTo(target{linkSpan, parent.ID})].line
	click(30, colHeaderY+at)
	if to, _ := det(a).selected(); to != (target{linkSpan, parent.ID}) || det(a).id == parent.ID {
		t.Errorf("details: a click on the trace selected %v (showing %d, parent %d)", to, det(a).id, parent.ID)
	}
	click(30, colHeaderY+at)
	if viewName(a) != "span details" || det(a).id != parent.ID || len(a.stack) != 3 {
		t.Errorf("details: click on the trace opened %d (stack %d), want %d", det(a).id, len(a.stack), parent.ID)
	}
	wheel(tea.MouseWheelDown)
	if det(a).scroll != 3 {
		t.Errorf("details: wheel scrolled to %d", det(a).scroll)
	}
	press(a, "esc")

	// Operation details: click a span to select it, again to open it.
	press(a, "o", "enter")
	line := opd(a).links[3].line - opd(a).scroll
	click(10, firstRowY-1+line)
	if opd(a).sel != 3 {
		t.Fatalf("op details: click selected %d", opd(a).sel)
	}
	want, _ := opd(a).selectedSpan()
	click(10, firstRowY-1+opd(a).links[3].line-opd(a).scroll)
	if viewName(a) != "span details" || det(a).id != want.ID {
		t.Errorf("op details: second click: view %v det %d want %d", viewName(a), det(a).id, want.ID)
	}
	press(a, "esc")
	wheel(tea.MouseWheelDown)
	if opd(a).sel != 6 {
		t.Errorf("op details: wheel to %d", opd(a).sel)
	}
	// Tabs still switch views from anywhere.
	// (On a details page the other tabs are shown by their keys.)
	x = strings.Index(ansi.Strip(a.title), " t ") + 1
	click(x, titleY)
	if viewName(a) != "tasks" || len(a.stack) != 0 {
		t.Errorf("tab click: view %v stack %d", viewName(a), len(a.stack))
	}
}

func TestNewViewsFitEverySize(t *testing.T) {
	for _, opts := range []Options{{}, {ASCII: true, NoColor: true}} {
		for _, sz := range sizes {
			w, h := sz[0], sz[1]
			a := newApp(t, modelSource{demoModel()}, opts, w, h)
			for _, keys := range [][]string{
				{"T"}, {"j", "j"}, {"w"}, {"j", "left"}, {"G"}, {"enter"}, {"pgdown"}, {"esc", "esc"},
				{"o", "enter"}, {"j", "G"}, {"?"}, {"esc", "enter"}, {"w"}, {"space"},
			} {
				press(a, keys...)
				checkFrame(t, a, w, h)
			}
		}
	}
}

func TestTreePrefix(t *testing.T) {
	st := newStyles(Options{})
	for _, c := range []struct {
		depth  int
		guides uint64
		last   bool
		w      int
		want   string
	}{
		{0, 0, false, 20, ""},
		{1, 0, false, 20, "├─"},
		{1, 0, true, 20, "└─"},
		{3, 0b01, true, 20, "  │ └─"},
		{3, 0b10, false, 20, "│   ├─"},
		{3, 0b11, false, 20, "│ │ ├─"},
		{12, 1, true, 12, "+8      │ └─"},
		{100, 0, true, 3, "…100"[:0] + st.fit("…100", 3, false)},
	} {
		if got := st.treePrefix(c.depth, c.guides, c.last, c.w); got != c.want {
			t.Errorf("treePrefix(%d, %b, %v, %d) = %q, want %q", c.depth, c.guides, c.last, c.w, got, c.want)
		}
	}
}

func TestServiceColours(t *testing.T) {
	st := newStyles(Options{})
	seen := map[string]string{}
	for i := range len(st.services) {
		name := "svc-" + strconv.Itoa(i)
		c := st.serviceStyle(name).on
		for other, oc := range seen {
			if oc == c {
				t.Errorf("%s and %s share a colour", name, other)
			}
		}
		seen[name] = c
	}
	// A service keeps its colour, also across a change of background.
	if st.serviceStyle("svc-3").on != seen["svc-3"] {
		t.Error("colour changed on the second use")
	}
	a := newApp(t, modelSource{demoModel()}, Options{}, 120, 40)
	press(a, "w")
	before := a.st.serviceStyle("payments")
	a.Update(tea.BackgroundColorMsg{Color: color.White})
	a.Update(tea.BackgroundColorMsg{Color: color.Black})
	if a.st.serviceStyle("payments") != before {
		t.Error("payments changed colour across backgrounds")
	}
	// NO_COLOR: no service colours at all.
	if s := newStyles(Options{NoColor: true}).serviceStyle("payments"); s.on != "" {
		t.Errorf("NO_COLOR service style %q", s.on)
	}
	// Past the bound, names get colours by hash and the map stops growing.
	for i := range maxServiceColours + 10 {
		st.serviceStyle("flood-" + strconv.Itoa(i))
	}
	if n := len(st.svcColours.index); n != maxServiceColours {
		t.Errorf("%d names remembered", n)
	}
}
