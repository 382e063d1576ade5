package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// prepareChrome renders the header, the title line, the status line and
// the footer from the current state.
func (a *App) prepareChrome() {
	st, w, h := a.st, a.width, a.hdr
	sep := "  "

	// Line 1: who we are, LIVE or PAUSED, the rate, where we listen.
	var b strings.Builder
	b.WriteString(st.title.r(st.bold.r("spantop")))
	b.WriteString(sep)
	switch {
	case a.paused:
		b.WriteString(st.paused.r(st.bold.r("PAUSED")))
	case a.opts.Replay != nil:
		b.WriteString(st.live.r(st.bold.r("REPLAY")))
	default:
		b.WriteString(st.live.r(st.bold.r("LIVE")))
	}
	b.WriteString(sep)
	b.WriteString(st.bold.r(fmtRate(h.SpansPerSec)))
	b.WriteString(st.muted.r(" spans/s"))
	// The note (REC, forwarding, a child) comes first: it changes, the
	// addresses do not.
	if a.opts.Status != nil {
		if s := a.opts.Status(); s != "" {
			b.WriteString(sep)
			b.WriteString(st.warn.r(sanitize(s)))
		}
	}
	if a.opts.Listen != "" {
		b.WriteString(sep)
		if w >= 100 {
			b.WriteString(st.muted.r("listening "))
		}
		b.WriteString(sanitize(a.opts.Listen))
	}
	a.head[0] = st.padLine(b.String(), w)

	// Line 2: what arrived and what was lost, and the memory budget.
	b.Reset()
	kv := func(label string, v int64, bad style) {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(st.muted.r(label + " "))
		if v > 0 {
			b.WriteString(bad.r(fmtCount(v)))
		} else {
			b.WriteString(fmtCount(v))
		}
	}
	// Short labels on narrow terminals keep every figure on screen.
	narrow := w < 100
	pick := func(long, short string) string {
		if narrow {
			return short
		}
		return long
	}
	kv(pick("received", "recv"), h.Received, style{})
	kv(pick("rejected", "rej"), h.Rejected, st.bad)
	kv("refused+dropped", h.Refused+h.Dropped, st.bad)
	kv("evicted", h.Evicted, st.warn)
	b.WriteString(sep)
	b.WriteString(st.muted.r(pick("memory ", "mem ")))
	mem := fmtBytes(h.MemoryUsed) + pick(" / ", "/") + fmtBytes(h.MemoryBudget)
	if h.MemoryBudget > 0 && h.MemoryUsed*10 >= h.MemoryBudget*9 {
		b.WriteString(st.warn.r(mem))
	} else {
		b.WriteString(mem)
	}
	a.head[1] = st.padLine(b.String(), w)

	// Line 3: what is stored.
	b.Reset()
	kv("spans", int64(h.Spans), style{})
	kv("running", int64(h.Running), st.good)
	kv("lost", int64(h.Lost), st.accent)
	kv("errors", int64(h.Errors), st.bad)
	kv("traces", int64(h.Traces), style{})
	kv(pick("operations", "ops"), int64(h.Operations), style{})
	kv(pick("services", "svcs"), int64(h.Services), style{})
	if h.Goroutines > 0 || h.Resources > 0 || h.TraceGenerations > 0 {
		kv(pick("goroutines", "gor"), int64(h.Goroutines), style{})
		kv(pick("resources", "res"), int64(h.Resources), style{})
		if !narrow {
			kv("trace gens", int64(h.TraceGenerations), style{})
			if h.TraceGaps+h.TraceDropped+h.TraceCorrupt > 0 {
				kv("gaps", int64(h.TraceGaps), st.warn)
				kv("lost", int64(h.TraceDropped+h.TraceCorrupt), st.bad)
			}
		}
	}
	a.head[2] = st.padLine(b.String(), w)
	a.head[3] = a.warnLine()

	a.prepareTitle()
	a.prepareStatus()
	a.prepareReplay()
	a.prepareEmpty()
	if k := (footerKey{a.view.mask(), w}); k != a.footerFor {
		a.footer, a.footerFor = footerLine(st, k.view, w), k
	}
}

// prepareTitle renders the tabs and the current view's counts.
func (a *App) prepareTitle() {
	st := a.st
	var b strings.Builder
	a.tabs = a.tabs[:0]
	x := 0
	tab := func(name string, v viewID) {
		label := " " + name + " "
		if v == a.base() {
			b.WriteString(st.reverse.r(st.bold.r(label)))
		} else {
			b.WriteString(st.muted.r(label))
		}
		a.tabs = append(a.tabs, tabHit{x, x + width(label), v})
		x += width(label)
		b.WriteByte(' ')
		x++
	}
	tab("Tasks", viewTasks)
	tab("Operations", viewOps)
	tab("Resources", viewResources)
	b.WriteString(st.muted.r(st.sym.sep))
	b.WriteByte(' ')
	switch a.view {
	case viewTrace:
		b.WriteString(a.wf.title(st))
	case viewOpDetails:
		b.WriteString(a.opd.title(st))
	case viewDetails:
		d := &a.det
		b.WriteString(st.bold.r("span " + strconv.FormatUint(d.id, 10)))
		if d.found {
			b.WriteString(" " + sanitize(d.d.Name))
		}
		if n := len(d.lines); n > a.detailRows() {
			b.WriteString(st.muted.r("  lines " + strconv.Itoa(d.scroll+1) + "-" +
				strconv.Itoa(min(d.scroll+a.detailRows(), n)) + " of " + strconv.Itoa(n)))
		}
	case viewGoroutine, viewResource:
		a.pageTitle(&b)
	default:
		t := a.cur()
		ts := t.state()
		noun := a.noun()
		if ts.filter != "" {
			noun += " matching"
		}
		first, last := 0, 0
		if len(ts.lines) > 0 {
			first, last = ts.offset+1, ts.offset+len(ts.lines)
		}
		b.WriteString(strconv.Itoa(first) + "-" + strconv.Itoa(last) + " of " + st.bold.r(strconv.Itoa(ts.total)) + " " + noun)
		b.WriteString(st.muted.r(" " + st.sym.bullet + " sort "))
		b.WriteString(t.sortTitle(st))
		if ts.tree {
			b.WriteString(st.muted.r(" " + st.sym.bullet + " "))
			b.WriteString(st.accent.r("tree"))
		}
		if ts.filter != "" {
			b.WriteString(st.muted.r(" " + st.sym.bullet + " filter "))
			b.WriteString(st.key.r(sanitize(ts.filter)))
		}
		h := a.hdr
		dot := func() { b.WriteString(st.muted.r(" " + st.sym.bullet + " ")) }
		if a.view == viewTasks {
			dot()
			b.WriteString(strconv.Itoa(h.Running) + " running")
			if h.Lost > 0 {
				dot()
				b.WriteString(st.accent.r(strconv.Itoa(h.Lost) + " lost"))
			}
			if h.Errors > 0 {
				dot()
				b.WriteString(st.bad.r(plural(h.Errors, "error")))
			}
		} else {
			dot()
			b.WriteString(plural(h.Services, "service"))
		}
	}
	a.title = st.padLine(b.String(), a.width)
}

// prepareStatus renders the status line: the filter being typed, a filter
// error, a message, or the active filter.
func (a *App) prepareStatus() {
	st := a.st
	var s string
	ts := a.cur().state()
	switch {
	case a.editing:
		s = st.key.r(st.bold.r("/")) + ts.filter + st.reverse.r(" ")
		if ts.filterErr != "" {
			s += "  " + st.bad.r(sanitize(ts.filterErr))
		} else {
			s += st.muted.r("  enter keeps it, esc clears it")
		}
	case a.status != "":
		if a.statusBad {
			s = st.bad.r(a.status)
		} else {
			s = a.status
		}
	case a.view == viewDetails && a.det.gone:
		s = st.warn.r("span " + strconv.FormatUint(a.det.id, 10) + " is no longer stored; showing the last copy")
	case a.pageGone() != "":
		s = st.warn.r(a.pageGone())
	case a.view == viewTrace && a.wf.gone:
		s = st.warn.r("the trace is no longer stored; showing the last copy")
	case a.view == viewOpDetails && a.opd.gone:
		s = st.warn.r("the operation is no longer known; showing the last copy")
	case a.view == viewTrace:
		s = a.wf.services
	case a.view == viewOpDetails, a.curPage() != nil:
	case ts.filterErr != "":
		s = st.bad.r("filter: " + sanitize(ts.filterErr))
	case ts.filter != "":
		s = st.muted.r("filter: ") + sanitize(ts.filter) + st.muted.r("  (/ edits, esc clears)")
	case a.paused:
		s = st.paused.r("paused: the screen is frozen, ingest goes on; space resumes")
	}
	a.statusLn = st.padLine(s, a.width)
}

// statusf shows a message on the status line (an error if bad).
func (a *App) statusf(bad bool, msg string) {
	a.status, a.statusBad = ansi.Strip(msg), bad
	a.prepareStatus()
}

// prepareEmpty says why a table has no rows.
func (a *App) prepareEmpty() {
	ts := a.cur().state()
	noun := a.noun()
	msg := "  no " + noun + " yet"
	switch {
	case ts.filter != "":
		msg = "  no " + noun + " match the filter"
	case a.view == viewResources:
		msg += ": services and the resources goroutines wait on come from Go apps running agentlib"
	case a.opts.Listen != "":
		msg += ": point an OTLP exporter at " + sanitize(a.opts.Listen)
	}
	a.empty = a.st.padLine(a.st.muted.r(msg), a.width)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// footerKey is what the footer depends on.
type footerKey struct {
	view  viewMask
	width int
}
