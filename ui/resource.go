package ui

import (
	"strconv"
	"time"

	"github.com/spantop/spantop/model"
)

// resourceView shows one row of the resources view in full: a resource's
// waits and who waits on it now and who wakes them, or a service's
// runtime figures.
type resourceView struct {
	detailPage[model.ResourceDetail]
}

func newResourceView(id uint64) *resourceView {
	v := &resourceView{}
	v.detailPage = newDetailPage("resource", id, "retention or the memory budget removed it",
		Source.Resource, v.build, v.titleName)
	return v
}

var resourceKeys = pageKeys("resource details")

func (v *resourceView) keys() *keySet { return resourceKeys }

func (v *resourceView) isService() bool { return v.d.Row.Kind == "service" }

// titleName names the resource on the title line.
func (v *resourceView) titleName(*App) (lead, rest string) {
	noun := "resource "
	if v.found && v.isService() {
		noun = "service "
	}
	lead = noun + strconv.FormatUint(v.id, 10)
	r := &v.d.Row
	switch {
	case !v.found:
	case v.isService():
		rest = " " + sanitize(r.Target)
	default:
		rest = " " + sanitize(r.Kind) + " " + sanitize(r.Target)
	}
	return lead, rest
}

// build prepares the page of the resource, found at least once, for the
// current width.
func (v *resourceView) build(st *styles, _ time.Time) {
	b := v.builder(st)
	w := b.w
	d := &v.d
	r := &d.Row
	svc := v.isService()
	if svc {
		b.field("service", sanitize(r.Target)+st.muted.r(" (id "+strconv.FormatUint(r.ID, 10)+")"), st.bold)
	} else {
		b.field("resource", strconv.FormatUint(r.ID, 10)+st.muted.r(st.dot())+sanitize(r.Kind), st.bold)
		if r.Parent != 0 {
			b.linkField("service", sanitize(r.ParentName)+st.muted.r(" (id "+strconv.FormatUint(r.Parent, 10)+")"),
				target{linkResource, r.Parent})
		} else {
			b.field("service", sanitize(r.Target), style{})
		}
	}
	b.field("type", sanitize(r.Type), style{})
	b.field("location", sanitize(r.Location), style{})
	b.field("attributes", fieldsText(r.Attrs), style{})
	known := st.durStyle(r.Total).r(st.fmtDur(r.Total))
	if r.Finished {
		known += st.muted.r(st.dot() + "finished")
	}
	b.field("known for", known, style{})
	sep := st.muted.r(st.dot())
	if svc {
		wsty := st.muted
		if r.Waiters > 0 {
			wsty = st.warn
		}
		b.field("blocked now", wsty.r(strconv.Itoa(r.Waiters)), style{}) // its mutex wait is among the runtime figures
	} else {
		// Waits that ended, and those going on: a leak's goroutines never
		// end theirs, so the two are told apart.
		waits := fmtCount(int64(min(d.Waits, 1<<62))) + st.muted.r(" ended")
		if d.Waits > 0 {
			mean := d.Ended / time.Duration(min(d.Waits, 1<<62))
			waits += sep + "total " + st.durStyle(d.Ended).r(st.fmtDur(d.Ended)) + sep + "mean " + st.durStyle(mean).r(st.fmtDur(mean)) +
				sep + "max " + st.durStyle(d.EndedMax).r(st.fmtDur(d.EndedMax))
		}
		b.field("waits", waits, style{})
		waiting := st.muted.r("0")
		if r.Waiters > 0 {
			going := r.WaitTotal - d.Ended
			longest := time.Duration(0)
			if len(d.Waiters) > 0 {
				longest = d.Waiters[0].For
			}
			waiting = st.warn.r(strconv.Itoa(r.Waiters)) + sep + st.durStyle(going).r(st.fmtDur(going)) + st.muted.r(" so far in all") +
				sep + "longest " + st.durStyle(longest).r(st.fmtDur(longest))
		}
		b.field("waiting now", waiting, style{})
		b.field("wait total", st.durStyle(r.WaitTotal).r(st.fmtDur(r.WaitTotal))+st.muted.r(" (ended and going on)")+
			sep+"max "+st.durStyle(r.WaitMax).r(st.fmtDur(r.WaitMax)), style{})
	}

	if d.Runtime != nil {
		runtimeStats(&b, d.Runtime)
	}
	if d.Status != "" {
		b.section("Agent", -1)
		b.field("status", sanitize(d.Status), st.warn)
	}

	b.add("")
	for _, l := range histLines(st, "Wait time", "waits", &d.Wait, w) {
		b.add(l)
	}

	title := "Waiting now, longest first"
	if svc {
		title = "Blocked now, longest first"
	}
	b.section(title, len(d.Waiters))
	refs(&b, d.Waiters, func(g *model.GoroutineRef) (string, style) {
		return st.fmtDur(g.For), st.durStyle(g.For)
	})
	b.section("Woken by, most wakes first", len(d.Wakers))
	refs(&b, d.Wakers, func(g *model.GoroutineRef) (string, style) {
		return plural(int(min(g.Wakes, 1<<31)), "wake"), style{}
	})
	b.finish(&v.page)
}

// refs adds one line per goroutine, a link when it is still stored, led
// by what figure says about it.
func refs(b *pageBuilder, gs []model.GoroutineRef, figure func(*model.GoroutineRef) (string, style)) {
	st := b.st
	if len(gs) == 0 {
		b.add(st.muted.r("  none"))
		return
	}
	for i := range gs {
		g := &gs[i]
		text, sty := figure(g)
		l := "  " + sty.r(st.fit(text, 12, true)) + "  " + goRef(st, g)
		if g.ID != 0 {
			b.link(l+st.muted.r(" "+st.arrow()), target{linkGoroutine, g.ID})
		} else {
			b.add(l)
		}
	}
}

// runtimeStats adds a service's runtime metrics; a negative figure was
// not reported.
func runtimeStats(b *pageBuilder, rs *model.RuntimeStats) {
	st := b.st
	b.section("Runtime", -1)
	num := func(n int64) string {
		if n < 0 {
			return st.muted.r("-")
		}
		return fmtCount(n)
	}
	dur := func(ns int64) string {
		if ns < 0 {
			return st.muted.r("-")
		}
		d := durOf(ns)
		return st.durStyle(d).r(st.fmtDur(d))
	}
	bytes := func(n int64) string {
		if n < 0 {
			return st.muted.r("-")
		}
		return fmtBytes(n)
	}
	g := num(rs.Goroutines)
	sep := st.muted.r(st.dot())
	for s := range model.GoStates {
		if n := rs.ByState[s]; n >= 0 && s != model.GoExited {
			g += sep + s.String() + " " + fmtCount(n)
		}
	}
	b.field("goroutines", g, style{})
	b.field("heap", bytes(rs.HeapBytes)+st.muted.r(" of goal ")+bytes(rs.HeapGoal), style{})
	b.field("GC", num(rs.GCCycles)+" cycles"+sep+dur(rs.GCPause)+" paused in all", style{})
	b.field("scheduling", "p50 "+dur(rs.SchedP50)+sep+"p99 "+dur(rs.SchedP99)+st.muted.r(" latency"), style{})
	b.field("mutex wait", dur(rs.MutexWait)+st.muted.r(" in all"), style{})
}
