package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// goroutineView shows everything known about one goroutine: its state and
// what it waits on, where its time went, its run and scheduling-latency
// histograms, its stacks and the spans it worked for.
type goroutineView struct {
	detailPage[model.GoroutineDetail]
}

func newGoroutineView(id uint64) *goroutineView {
	v := &goroutineView{}
	v.detailPage = newDetailPage("goroutine", id, "it exited, and retention or the memory budget removed it",
		Source.Goroutine, v.build, v.titleName)
	return v
}

var goroutineKeys = pageKeys("goroutine details",
	binding{keys: []string{"p", "w", "b"}, acts: []action{actParent, actWaker, actBlockedOn}, label: "p w b",
		desc: "goroutine: go to its parent / waker / the resource it waits on", foot: "jump", footPrio: 30},
	binding{keys: []string{"s"}, acts: []action{actSaveTrace}, label: "s",
		desc: "goroutine: save its process's execution trace (go tool trace)", foot: "save trace", footPrio: 45})

func (v *goroutineView) keys() *keySet { return goroutineKeys }

// act carries out the goroutine's jumps, and the page's keys.
func (v *goroutineView) act(a *App, act action) (tea.Cmd, bool) {
	switch act {
	case actParent, actWaker, actBlockedOn, actSaveTrace:
	default:
		return v.page.act(a, act)
	}
	if !v.found {
		return nil, true
	}
	d := &v.d
	switch act {
	case actParent:
		if d.Parent.ID == 0 {
			a.statusf(false, "its parent is not known or no longer stored")
			break
		}
		a.open(target{linkGoroutine, d.Parent.ID})
	case actWaker:
		if d.Waker.ID == 0 {
			a.statusf(false, "the goroutine that woke it is not known or no longer stored")
			break
		}
		a.open(target{linkGoroutine, d.Waker.ID})
	case actBlockedOn:
		if d.Resource == 0 {
			a.statusf(false, "it waits on no known resource")
			break
		}
		a.open(target{linkResource, d.Resource})
	case actSaveTrace:
		return v.saveTrace(a), true
	}
	return nil, true
}

// titleName names the goroutine on the title line: by its runtime ID, as
// Go prints it, its name, and its display ID (the tasks view's ID column).
func (v *goroutineView) titleName(a *App) (lead, rest string) {
	if !v.found {
		return "goroutine id " + strconv.FormatUint(v.id, 10), ""
	}
	if n := goName(v.d.Name, v.d.StartFunc); n != "" {
		rest = " " + n
	}
	return "goroutine " + strconv.FormatInt(v.d.GoID, 10), rest + a.st.dot() + "id " + strconv.FormatUint(v.id, 10)
}

// goName is how a goroutine is named: by agentlib.Go, else by the
// function it started in. The result is sanitised.
func goName(name, startFunc string) string {
	if name != "" {
		return sanitize(name)
	}
	return sanitize(startFunc)
}

// goRef describes a goroutine a details view points to, like the title
// of its own details.
func goRef(st *styles, r *model.GoroutineRef) string {
	s := "goroutine " + strconv.FormatInt(r.GoID, 10)
	if r.Name != "" {
		s += " " + st.bold.r(sanitize(r.Name))
	}
	if r.ID == 0 {
		return s + st.muted.r(st.dot()+"no longer stored")
	}
	return s + st.muted.r(st.dot()+"id "+strconv.FormatUint(r.ID, 10))
}

// build prepares the page of the goroutine, found at least once, for
// the current width.
func (v *goroutineView) build(st *styles, _ time.Time) {
	b := v.builder(st)
	w := b.w
	d := &v.d
	b.field("goroutine", st.bold.r(strconv.FormatInt(d.GoID, 10))+st.muted.r(st.dot()+"id "+strconv.FormatUint(d.ID, 10)), style{})
	b.field("name", sanitize(d.Name), st.bold)
	b.field("function", sanitize(d.StartFunc), style{})
	svc := sanitize(d.Service)
	if d.Instance != "" {
		svc += st.muted.r(st.dot()+"instance ") + sanitize(d.Instance)
	}
	b.field("service", svc, style{})

	sym, ssty := st.stateSymbol(d.State)
	how := st.durStyle(d.InState).r(st.fmtDur(d.InState))
	var state string
	switch d.GoState {
	case model.GoWaiting:
		reason := sanitize(d.WaitReason)
		if reason == "" {
			reason = d.Wait.String()
		}
		state = ssty.r(sym+" waiting: "+reason) + st.muted.r(" for ") + how
	case model.GoRunnable:
		state = ssty.r(sym+" runnable") + st.muted.r(" for ") + how + st.muted.r(" (ready, waiting for a CPU)")
	case model.GoSyscall:
		state = ssty.r(sym+" in a system call") + st.muted.r(" for ") + how
	case model.GoExited:
		state = ssty.r(sym+" exited") + " " + how + st.muted.r(" ago")
	default:
		state = ssty.r(sym+" "+d.GoState.String()) + st.muted.r(" for ") + how
	}
	b.field("state", state, style{})
	switch {
	case d.Resource != 0:
		b.linkField("waits on", "resource "+strconv.FormatUint(d.Resource, 10)+st.muted.r(st.dot())+d.Wait.String(),
			target{linkResource, d.Resource})
	case d.GoState == model.GoWaiting:
		b.field("waits on", d.Wait.String()+st.muted.r(" (no resource recorded)"), style{})
	}
	switch {
	case d.Parent.ID != 0:
		b.linkField("parent", goRef(st, &d.Parent), target{linkGoroutine, d.Parent.ID})
	case d.Parent.GoID != 0:
		b.field("parent", goRef(st, &d.Parent), style{})
	default:
		b.field("parent", "", style{})
	}
	waker := goRef(st, &d.Waker)
	if d.Waker.Wakes > 0 {
		waker += st.muted.r(st.dot() + plural(int(min(d.Waker.Wakes, 1<<31)), "wake"))
	}
	switch {
	case d.Waker.ID != 0:
		b.linkField("woken by", waker, target{linkGoroutine, d.Waker.ID})
	case d.Waker.GoID != 0:
		b.field("woken by", waker, style{})
	default:
		b.field("woken by", "", style{})
	}
	created := "before the trace began"
	if !d.Created.IsZero() {
		created = fmtTime(d.Created)
	}
	b.field("created", created+st.muted.r(st.dot()+"lived ")+st.durStyle(d.Total).r(st.fmtDur(d.Total)), style{})
	if !d.Ended.IsZero() {
		b.field("ended", fmtTime(d.Ended), style{})
	}
	if d.CanSaveTrace {
		b.field("trace", "s saves its process's recent execution trace for go tool trace", st.muted)
	} else {
		b.field("trace", "no execution trace of its process is held", st.muted)
	}
	for _, w := range d.Warnings {
		b.field(st.sym.warn+" warning", sanitize(w), st.warn)
	}

	v.times(&b)

	// The histograms side by side when there is room for both.
	if w >= 120 {
		hw := (w - 4) / 2
		run := histLines(st, "Run time", "runs", &d.Run, hw)
		lat := histLines(st, "Scheduling latency", "waits for a CPU", &d.SchedLat, hw)
		b.add("")
		for _, l := range sideBySide(st, run, lat, hw, 4, w) {
			b.add(l)
		}
	} else {
		b.add("")
		for _, l := range histLines(st, "Run time", "runs", &d.Run, w) {
			b.add(l)
		}
		b.add("")
		for _, l := range histLines(st, "Scheduling latency", "waits for a CPU", &d.SchedLat, w) {
			b.add(l)
		}
	}

	// The spans first: they are short and lead on to the traces.
	b.section("Spans", len(d.Spans))
	spanRefs(&b, d.Spans)
	if len(d.BlockStack) > 0 {
		b.section("Blocked at", len(d.BlockStack))
		stack(&b, d.BlockStack)
	}
	b.section("Created at", len(d.CreateStack))
	stack(&b, d.CreateStack)
	b.finish(&v.page)
}

// times adds where the goroutine's time went: a proportional bar of busy,
// scheduled and idle time, idle time by reason, and its counters.
func (v *goroutineView) times(b *pageBuilder) {
	st, w, d := b.st, b.w, &v.d
	var idle time.Duration
	for _, t := range d.Idle {
		idle += t.Time
	}
	b.section("Time", -1)
	timeSplit(b, [3]time.Duration{d.Busy, d.Sched, idle})
	counts := "polls " + fmtCount(int64(min(d.Polls, 1<<62))) +
		st.muted.r(st.dot()) + "preempted " + fmtCount(int64(min(d.Preempts, 1<<62))) +
		st.muted.r(st.dot()) + "longest run " + st.durStyle(d.LongestRun).r(st.fmtDur(d.LongestRun)) +
		st.muted.r(st.dot()) + "woken " + fmtCount(int64(min(d.Wakes, 1<<62))) + " times"
	b.wrapped("  ", counts)
	if len(d.Idle) == 0 {
		return
	}
	b.add(st.muted.r("  idle by reason"))
	const nameW = 10
	barW := min(max(w-4-nameW-2-8-2-6-2, 0), 40)
	top := d.Idle[0].Time
	for _, t := range d.Idle {
		top = max(top, t.Time)
	}
	for _, t := range d.Idle {
		l := "    " + st.fit(t.Kind.String(), nameW, false) + "  " + st.durStyle(t.Time).r(st.fit(st.fmtDur(t.Time), 8, true)) +
			"  " + st.muted.r(st.fit(fmtPercent(int64(t.Time), int64(idle)), 6, true))
		if barW > 0 && top > 0 {
			n := max(int(float64(t.Time)/float64(top)*float64(barW)+0.5), 1)
			l += "  " + st.splitStyles()[2].r(strings.Repeat(st.splitGlyphs()[2], n))
		}
		b.add(l)
	}
}

// timeSplit adds a proportional bar of busy, scheduled and idle time and
// its legend. A negative part was not measured: it is left out.
func timeSplit(b *pageBuilder, parts [3]time.Duration) {
	st, w := b.st, b.w
	var total time.Duration
	for _, p := range parts {
		total += max(p, 0)
	}
	if total <= 0 {
		b.add(st.muted.r("  no time recorded yet"))
		return
	}
	b.add("  " + splitBar(st, parts, min(w-4, 100)))
	glyphs, stys := st.splitGlyphs(), st.splitStyles()
	var l strings.Builder
	l.WriteString(" ")
	for i, name := range [...]string{"busy", "scheduled", "idle"} {
		if parts[i] < 0 {
			continue
		}
		l.WriteString(" " + stys[i].r(glyphs[i]) + " " + name + " ")
		l.WriteString(st.durStyle(parts[i]).r(st.fmtDur(parts[i])))
		l.WriteString(st.muted.r(" " + fmtPercent(int64(parts[i]), int64(total))))
		l.WriteString("  ")
	}
	b.add(l.String())
}

// stack adds the frames of a stack: function and file:line on one line
// when both fit, else the file under the function as Go prints them.
func stack(b *pageBuilder, frames []model.Frame) {
	st, w := b.st, b.w
	if len(frames) == 0 {
		b.add(st.muted.r("  not known"))
		return
	}
	fw, lw := 0, 0
	locs := make([]string, len(frames))
	for i := range frames {
		f := &frames[i]
		locs[i] = sanitize(f.File) + ":" + strconv.Itoa(f.Line)
		fw = max(fw, width(sanitize(f.Func)))
		lw = max(lw, width(locs[i]))
	}
	one := 2+fw+2+lw <= w
	for i := range frames {
		fn := sanitize(frames[i].Func)
		if one {
			b.add("  " + st.fit(fn, fw, false) + "  " + st.muted.r(locs[i]))
			continue
		}
		b.wrapped("  ", fn)
		b.wrapped("      ", st.muted.r(locs[i]))
	}
}

// spanRefs adds a table of the spans a goroutine worked for; each stored
// one is a link to its details.
func spanRefs(b *pageBuilder, spans []model.SpanRef) {
	st, w := b.st, b.w
	if len(spans) == 0 {
		b.add(st.muted.r("  none seen"))
		return
	}
	const idW, durW = 8, 9
	// Names get what is left, up to a width that keeps the figures near.
	nameW := min(max(w-2-idW-2-3*(durW+1)-3, 8), 60)
	b.add(st.bold.r("  " + st.fit("ID", idW, true) + "  " + st.fit("Name", nameW, false) + " " +
		st.fit("Busy", durW, true) + " " + st.fit("Sched", durW, true) + " " + st.fit("Idle", durW, true)))
	for i := range spans {
		s := &spans[i]
		id := "-"
		if s.ID != 0 {
			id = strconv.FormatUint(s.ID, 10)
		}
		name := sanitize(s.Name)
		if s.ID == 0 {
			name += " (no longer stored)"
		}
		l := "  " + st.fit(id, idW, true) + "  " + st.fit(name, nameW, false)
		for _, d := range [...]time.Duration{s.Busy, s.Sched, s.Idle} {
			l += " " + st.durStyle(d).r(st.fit(st.fmtDur(d), durW, true))
		}
		if s.ID != 0 {
			b.link(l+st.muted.r(" "+st.arrow()), target{linkSpan, s.ID})
		} else {
			b.add(st.muted.r(ansi.Strip(l)))
		}
	}
}
