package ui

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// After every span has expired, the empty tasks view says what arrived
// and that it expired, not that nothing has come yet.
func TestEmptyAfterExpirySaysWhatArrived(t *testing.T) {
	now := time.Now()
	m := model.New(model.Config{Clock: func() time.Time { return now }, Retain: time.Minute})
	syms := m.Symbols()
	b := &model.Batch{Resources: []model.Resource{{ServiceName: syms.InternString("api")}}}
	for i := range 5 {
		b.Spans = append(b.Spans, model.SpanRec{
			TraceID: model.TraceID{1, byte(i)}, SpanID: model.SpanID{2, byte(i)},
			Start: now.Add(-time.Millisecond).UnixNano(), End: now.UnixNano(),
			Name: syms.InternString("GET /x"), Kind: model.KindServer,
		})
	}
	m.Counters().Received.Add(5) // as ingest counts what it queues
	m.Apply(b)
	now = now.Add(2 * time.Minute)
	m.Sweep()
	if h := m.Header(); h.Spans != 0 {
		t.Fatalf("%d spans still stored", h.Spans)
	}
	a := newApp(t, modelSource{m}, Options{Listen: "grpc 127.0.0.1:4317"}, 120, 30)
	s := plain(a)
	if strings.Contains(s, "no spans yet") || !strings.Contains(s, "5 spans arrived and expired") {
		t.Errorf("empty view after expiry:\n%s", s)
	}
}

// With the warnings panel open, the table rows above and below it stay
// on screen.
func TestWarningsPanelKeepsRowsAround(t *testing.T) {
	f := newFake(300)
	f.warns = []model.Warning{{Kind: model.WarnLost, Count: 3, Text: "3 spans were never ended"}}
	a := newApp(t, f, Options{}, 120, 40)
	before := strings.Split(plain(a), "\n")
	press(a, "W")
	lines := checkFrame(t, a, 120, 40)
	var boxTop, boxEnd int
	for i, l := range lines {
		l = ansi.Strip(l)
		if strings.Contains(l, "warnings") && strings.Contains(l, "┌") {
			boxTop = i
		}
		if strings.Contains(l, "└") {
			boxEnd = i
		}
	}
	if boxTop <= firstRowY || boxEnd == 0 || boxEnd >= len(lines)-3 {
		t.Fatalf("no panel with room around it: top %d end %d\n%s", boxTop, boxEnd, plain(a))
	}
	after := strings.Split(plain(a), "\n")
	for _, i := range []int{colHeaderY, firstRowY, boxTop - 1, boxEnd + 1, len(after) - 3} {
		if strings.TrimSpace(after[i]) == "" || after[i] != before[i] {
			t.Errorf("line %d around the panel: %q, want the table's %q", i, after[i], before[i])
		}
	}
}

// The open warnings panel shows warnings that arrive after it opened.
func TestWarningsPanelFollowsTheModel(t *testing.T) {
	f := newFake(300)
	f.warns = nil
	a := newApp(t, f, Options{}, 120, 40)
	press(a, "W")
	if !strings.Contains(plain(a), "no warnings: nothing has crossed a threshold") {
		t.Fatalf("panel without warnings:\n%s", plain(a))
	}
	f.mu.Lock()
	f.warns = []model.Warning{{Kind: model.WarnLost, Count: 3, Text: "3 spans were never ended", Flag: "--warn-lost"}}
	f.hdr.Received++
	f.mu.Unlock()
	tick(a)
	if s := plain(a); !strings.Contains(s, "3 spans were never ended [--warn-lost]") {
		t.Errorf("the open panel did not follow the model:\n%s", s)
	}
}

// hugeSpan gives span id of f a 1 MB name and a 10 MB attribute value.
func hugeSpan(f *fakeSource, id uint64) (name, value string) {
	name = strings.Repeat("n", 1<<20)
	value = "SELECT " + strings.Repeat("x", 10<<20) + " END"
	f.mu.Lock()
	d := f.spans[id]
	d.Name = name
	d.Attrs = append([]model.Attr{{Key: "db.statement", Value: model.Value{Type: model.ValueString, Str: value}}}, d.Attrs...)
	f.spans[id] = d
	f.mu.Unlock()
	return name, value
}

// A span with a 10 MB attribute and a 1 MB name: the details show what
// fits, cut with the length shown, and enter opens the value whole in a
// pager that renders only the lines on screen.
func TestDetailsCutLongValues(t *testing.T) {
	f := newFake(50)
	a := newApp(t, f, Options{}, 120, 40)
	press(a, "j", "j")
	_, value := hugeSpan(f, a.tasks.selID)
	press(a, "enter")
	lines := checkFrame(t, a, 120, 40)
	d := det(a)
	if len(d.lines) > 200 {
		t.Errorf("the details built %d lines for a 10 MB value", len(d.lines))
	}
	total := 0
	for _, l := range d.lines {
		total += len(l)
	}
	if total > 64<<10 {
		t.Errorf("the details hold %d bytes of lines", total)
	}
	s := ansi.Strip(strings.Join(d.lines, "\n"))
	for _, want := range []string{"db.statement = SELECT xxx", "10.0 MiB, enter shows it whole", "name", "1.0 MiB, enter shows it whole"} {
		if !strings.Contains(s, want) {
			t.Errorf("details lack %q", want)
		}
	}
	_ = lines
	// Each cut value is a link: j steps to the statement's line, and
	// enter on it opens it whole.
	for range 200 {
		if to, ok := d.selected(); ok && to.kind == linkValue && d.values[to.id].value == value {
			break
		}
		press(a, "j")
	}
	press(a, "enter")
	p, ok := a.top.(*pager)
	if !ok || p.value != value {
		t.Fatalf("enter did not open the statement in a pager: %s", viewName(a))
	}
	checkFrame(t, a, 120, 40)
	if s := plain(a); !strings.Contains(s, "db.statement") || !strings.Contains(s, "10.0 MiB") ||
		!strings.Contains(s, "SELECT xxxx") {
		t.Errorf("pager:\n%s", s)
	}
	press(a, "G")
	if s := plain(a); !strings.Contains(s, "xxx END") || !strings.Contains(s, "of "+strconv.Itoa(len(p.starts))) {
		t.Errorf("pager end:\n%s", s)
	}
	press(a, "esc")
	if viewName(a) != "span details" {
		t.Errorf("esc from the pager: %s", viewName(a))
	}
}

// BenchmarkDetailsHugeSpanKey measures a key press (a scroll) in the
// details of a span with a 10 MB attribute and a 1 MB name, with the
// refresh and View it causes.
func BenchmarkDetailsHugeSpanKey(b *testing.B) {
	f := newFake(50)
	a := newApp(b, f, Options{}, 200, 50)
	press(a, "j", "j")
	hugeSpan(f, a.tasks.selID)
	press(a, "enter")
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			press(a, "j")
		} else {
			press(a, "k")
		}
		i++
		a.Update(nextTick(a))
		_ = a.View()
	}
}

// Ticks that find nothing changed in the model query nothing and draw
// nothing new; a change in the counters is queried and drawn, the rows at
// most every liveEvery and the header's figures at most every
// figuresEvery.
func TestQuietTicksCostNothing(t *testing.T) {
	f := newFake(300)
	f.hdr.Running, f.hdr.Goroutines = 0, 0 // nothing on screen moves with the clock
	a := newApp(t, f, Options{}, 120, 40)
	t0 := time.Now()
	a.Update(tickMsg(t0))
	queries := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.tq) }
	q0, v0 := queries(), frame(a)
	for i := 1; i <= 9; i++ {
		a.Update(tickMsg(t0.Add(time.Duration(i) * 100 * time.Millisecond)))
	}
	if q := queries(); q != q0 {
		t.Errorf("%d queries in quiet ticks", q-q0)
	}
	if frame(a) != v0 {
		t.Error("a quiet tick changed the frame")
	}
	// Nor is the frame joined again: View, which bubbletea calls after
	// every message, hands over the last one.
	before := frame(a)
	a.Update(tickMsg(t0.Add(950 * time.Millisecond)))
	if after := frame(a); unsafe.StringData(after) != unsafe.StringData(before) {
		t.Error("View joined the frame again after a quiet tick")
	}
	press(a, "j")
	if after := frame(a); unsafe.StringData(after) == unsafe.StringData(before) || after == before {
		t.Error("a key did not draw a new frame")
	}
	// Ticks slow down once nothing has changed for a while.
	for i := 10; i <= 40; i++ {
		a.Update(tickMsg(t0.Add(time.Duration(i) * 100 * time.Millisecond)))
	}
	if d := a.pace.every(a.opts.Tick); d != quietTick {
		t.Errorf("quiet tick every %v", d)
	}
	// New spans arrive: the rows are queried at the next tick, and the
	// tick after it comes when the rows may be queried again.
	at := t0.Add(4 * time.Second)
	f.mu.Lock()
	f.hdr.Received += 100
	f.hdr.SpansPerSec = 1000
	f.mu.Unlock()
	q1 := queries()
	a.Update(tickMsg(at.Add(100 * time.Millisecond)))
	if queries() == q1 {
		t.Error("a change in the counters was not queried")
	}
	if d := a.pace.every(a.opts.Tick); d != liveEvery {
		t.Errorf("the tick after a change in %v, want %v", d, liveEvery)
	}
	// Nothing more changes: the ticks slow down again, twice as far apart
	// each time from twice liveEvery, up to quietTick.
	gaps := []time.Duration{}
	for next := at.Add(100 * time.Millisecond); len(gaps) < 6; {
		next = next.Add(a.pace.every(a.opts.Tick))
		a.Update(tickMsg(next))
		gaps = append(gaps, a.pace.every(a.opts.Tick))
	}
	if want := []time.Duration{2 * liveEvery, 4 * liveEvery, quietTick, quietTick, quietTick, quietTick}; !slices.Equal(gaps, want) {
		t.Errorf("the ticks after the last change came %v apart, want %v", gaps, want)
	}
	// A steady stream: every tick changes the counters, the rows are
	// queried at most every liveEvery, the header redrawn once a second.
	q2 := queries()
	heads := map[string]bool{}
	at = at.Add(time.Second)
	for i := 1; i <= 10; i++ {
		f.mu.Lock()
		f.hdr.Received += 100
		f.hdr.SpansPerSec += 1
		f.mu.Unlock()
		a.Update(tickMsg(at.Add(time.Duration(i) * 100 * time.Millisecond)))
		heads[a.head[0]+a.head[1]] = true
	}
	if n := queries() - q2; n < 3 || n > 5 {
		t.Errorf("%d queries in a second of ticks, want one every %v", n, liveEvery)
	}
	if len(heads) > 2 {
		t.Errorf("the header changed %d times in a second", len(heads))
	}
	// A key is answered at once.
	q3 := queries()
	press(a, "j")
	if queries() == q3 {
		t.Error("a key was not answered at once")
	}
}

// Once a load stops, the rates fall for a few seconds with nothing else
// changed: the header shows them falling, the rows are not queried again,
// and the ticks slow down as when nothing changes.
func TestFallingRatesRedrawOnlyTheHeader(t *testing.T) {
	f := newFake(300)
	f.hdr.Running, f.hdr.Goroutines = 0, 0
	f.hdr.SpansPerSec = 10000
	a := newApp(t, f, Options{}, 120, 40)
	t0 := time.Now()
	a.Update(tickMsg(t0))
	tasks := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.tq) }
	q0 := tasks()
	shown := map[float64]bool{}
	at, ticks := t0, 0
	tickUntil := func(end time.Time) {
		for at.Before(end) {
			at = at.Add(a.pace.every(a.opts.Tick))
			a.Update(tickMsg(at))
			ticks++
			for _, r := range []float64{10000, 8000, 6000, 4000, 2000} {
				if strings.Contains(a.head[0], "m"+fmtRate(r)+"\x1b") { // between its styles

					shown[r] = true
				}
			}
		}
	}
	for sec := 1; sec <= 5; sec++ {
		f.mu.Lock()
		f.hdr.SpansPerSec = 10000 * float64(5-sec) / 5
		f.mu.Unlock()
		tickUntil(t0.Add(time.Duration(sec) * time.Second))
	}
	tickUntil(at.Add(quietTick + figuresEvery))
	if !strings.Contains(a.head[0], "m0\x1b") {
		t.Errorf("%v after the rate fell to 0 the header says %q", quietTick+figuresEvery, a.head[0])
	}
	if len(shown) < 3 {
		t.Errorf("the header showed the rates %v on the way down, want at least 3", shown)
	}
	if q := tasks(); q != q0 {
		t.Errorf("%d tasks queries while only the rates fell", q-q0)
	}
	if ticks > 14 {
		t.Errorf("%d ticks in 8 s while only the rates fell", ticks)
	}
	t.Logf("%d ticks; rates shown %v", ticks, shown)
}

// With nothing running, the spans table shows the same for as long as the
// model's Changes stay the same: ticks beyond the settle time query no rows
// and draw nothing. A change the header's figures do not show (a warning a
// trace check set) is queried at the next tick. A screen that moves with the
// clock (the operations' rates and sparklines) is still refreshed every
// settleEvery.
func TestUnchangedModelIsNotQueriedAgain(t *testing.T) {
	f := newFake(300)
	f.hdr.Running, f.hdr.Goroutines = 0, 0
	a := newApp(t, f, Options{}, 120, 40)
	t0 := time.Now()
	a.Update(tickMsg(t0))
	tasks := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.tq) }
	ops := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.oq) }
	q0, v0 := tasks(), frame(a)
	at := t0
	for range 10 { // 10 s of quiet ticks, a second apart
		at = at.Add(time.Second)
		a.Update(tickMsg(at))
	}
	if q := tasks(); q != q0 {
		t.Errorf("%d tasks queries in 10 s with nothing changed", q-q0)
	}
	if frame(a) != v0 {
		t.Error("a quiet tick changed the frame")
	}
	f.mu.Lock()
	f.hdr.Changes++
	f.tasks[0].Warnings++
	f.tasks[0].Version++
	f.mu.Unlock()
	at = at.Add(time.Second)
	a.Update(tickMsg(at))
	if tasks() == q0 {
		t.Error("a change of the model's Changes was not queried")
	}
	// Sweeps and trace checks only (the figures the same): drawn at the
	// settle pace, not as live rows are.
	q1 := tasks()
	for range 20 {
		f.mu.Lock()
		f.hdr.Changes++
		f.mu.Unlock()
		at = at.Add(100 * time.Millisecond)
		a.Update(tickMsg(at))
	}
	if n := tasks() - q1; n < 1 || n > 2 {
		t.Errorf("%d tasks queries in 2 s of changes the figures do not show, want one every %v", n, settleEvery)
	}
	press(a, "o")
	o0 := ops()
	for range 5 {
		at = at.Add(time.Second)
		a.Update(tickMsg(at))
	}
	if n := ops() - o0; n < 4 {
		t.Errorf("the operations were refreshed %d times in 5 quiet seconds, want every %v", n, settleEvery)
	}
}

// A change that lands less than figuresEvery after the header was drawn
// redraws the rows at once and the header's figures within figuresEvery,
// even when nothing changes after it: the last bad request of a burst
// showed in the rows' list while the header kept the count before it.
func TestHeaderCatchesUpWithTheLastChange(t *testing.T) {
	f := newFake(300)
	f.hdr.Running, f.hdr.Goroutines = 0, 0
	a := newApp(t, f, Options{}, 200, 50)
	t0 := time.Now()
	a.Update(tickMsg(t0))
	f.mu.Lock()
	f.hdr.BadRequests = 4
	f.mu.Unlock()
	a.Update(tickMsg(t0.Add(1100 * time.Millisecond))) // the figures are drawn
	f.mu.Lock()
	f.hdr.BadRequests = 5
	f.mu.Unlock()
	a.Update(tickMsg(t0.Add(1400 * time.Millisecond))) // the rows only: the header was drawn 300 ms ago
	for i := 1; i <= 30; i++ {                         // nothing changes any more
		a.Update(tickMsg(t0.Add(1400*time.Millisecond + time.Duration(i)*100*time.Millisecond)))
	}
	if head := strings.SplitN(plain(a), "\n", 3)[1]; !strings.Contains(head, "bad requests 5") {
		t.Fatalf("the header missed the last change:\n%s", head)
	}
}

// Every styled line of a frame ends with a full reset, so that the
// renderer draws a line that changed on its own (third_party/bubbletea's
// PATCH.md) instead of the whole frame.
func TestFrameLinesEndPlain(t *testing.T) {
	a := newApp(t, newFake(30), Options{}, 200, 50)
	for _, keys := range [][]string{{"j"}, {"enter"}, {"esc", "o"}, {"?"}} {
		press(a, keys...)
		for i, l := range strings.Split(frame(a), "\n") {
			if strings.Contains(l, "\x1b") && !strings.HasSuffix(l, sgrResetAll) {
				t.Fatalf("after %v, line %d ends with a style maybe open: %q", keys, i, l)
			}
		}
	}
}

// The header's note (Options.Status: a recording, a child process, a
// workload that ended) is drawn at the next tick after it changes, even
// while nothing arrives: a command that exited at once said so only when
// the next span came.
func TestNoteChangeIsDrawnWhileQuiet(t *testing.T) {
	f := newFake(30)
	f.hdr.Running, f.hdr.Goroutines = 0, 0
	var mu sync.Mutex
	note := ""
	a := newApp(t, f, Options{Status: func() string { mu.Lock(); defer mu.Unlock(); return note }}, 120, 40)
	t0 := time.Now()
	at := t0
	for range 5 {
		at = at.Add(time.Second)
		a.Update(tickMsg(at))
	}
	if strings.Contains(frame(a), "exited") {
		t.Fatal("note drawn before it was set")
	}
	mu.Lock()
	note = "demo workload exited: signal: terminated"
	mu.Unlock()
	a.Update(tickMsg(at.Add(time.Second)))
	if !strings.Contains(frame(a), "demo workload exited: signal: terminated") {
		t.Errorf("the changed note is not in the header after a quiet tick:\n%s", frame(a))
	}
}

// A quiet screen sleeps until the model changes or quietTick passes: the
// change wakes it at once. A screen whose rows are changing ticks at its
// own pace, whatever the model signals.
func TestAChangeWakesAQuietScreen(t *testing.T) {
	f := newFake(30)
	f.hdr.Running, f.hdr.Goroutines = 0, 0
	f.changed = make(chan struct{}, 1)
	a := newApp(t, f, Options{}, 120, 40)
	at := time.Now()
	for range 8 { // quiet ticks: the pace backs off
		at = at.Add(time.Second)
		a.Update(tickMsg(at))
	}
	if a.pace.moved {
		t.Fatal("the pace is not quiet after quiet ticks")
	}
	// wait runs cmd and reports how soon it gave a tick, if within window.
	wait := func(cmd tea.Cmd, window time.Duration) (time.Duration, bool) {
		got := make(chan tea.Msg, 1)
		start := time.Now()
		go func() { got <- cmd() }()
		select {
		case msg := <-got:
			_, ok := msg.(tickMsg)
			return time.Since(start), ok
		case <-time.After(window):
			return time.Since(start), false
		}
	}
	cmd := a.tick()
	f.changed <- struct{}{}
	if d, ok := wait(cmd, 900*time.Millisecond); !ok {
		t.Fatalf("a change did not wake the quiet screen within %v", d)
	}
	// Without a change the quiet tick takes its time (a second at least).
	if _, ok := wait(a.tick(), 300*time.Millisecond); ok {
		t.Fatal("a quiet tick came at once with nothing changed")
	}
	// Rows changing: the tick keeps its own pace.
	f.mu.Lock()
	f.hdr.Received += 100
	f.mu.Unlock()
	a.Update(tickMsg(at.Add(time.Second)))
	if !a.pace.moved {
		t.Fatal("the pace is not live after a change")
	}
	cmd = a.tick()
	f.changed <- struct{}{}
	if d, ok := wait(cmd, 300*time.Millisecond); ok && d < 100*time.Millisecond {
		t.Errorf("a live screen's tick came %v after a change signal, before its pace", d)
	}
}
