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
	a.logRate(&b, sep)
	// The note (REC, forwarding, a child) comes first: it changes, the
	// addresses do not.
	if a.note = a.aroundNote(); a.note != "" {
		b.WriteString(sep)
		b.WriteString(st.warn.r(sanitize(a.note)))
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
	// Whole requests refused unread: only once there are some.
	if h.BusyRequests > 0 {
		kv(pick("busy requests", "busy"), h.BusyRequests, st.bad)
	}
	if h.Unauthenticated > 0 {
		kv(pick("unauthenticated", "unauth"), h.Unauthenticated, st.bad)
	}
	if h.BadRequests > 0 { // by reason in the warnings panel (W)
		kv(pick("bad requests", "bad"), h.BadRequests, st.bad)
	}
	kv("evicted", h.Evicted, st.warn)
	signalLosses(h, pick, kv, st)
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
	if h.Logs > 0 || h.LogsReceived > 0 {
		kv("logs", int64(h.Logs), style{})
	}
	if h.Goroutines > 0 || h.Resources > 0 || h.TraceGenerations > 0 {
		kv(pick("goroutines", "gor"), int64(h.Goroutines), style{})
		if h.GoroutinesLost > 0 {
			// Of processes that went silent: the goroutines table lists them.
			kv(pick("goroutines lost", "gor lost"), int64(h.GoroutinesLost), st.accent)
		}
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
	if k := (footerKey{a.top.keys(), w}); k != a.footerFor {
		a.footer, a.footerFor = footerLine(st, a.keys(), w), k
	}
}

// prepareTitle renders the tabs and what the screen on top says of itself.
func (a *App) prepareTitle() {
	st := a.st
	var b strings.Builder
	a.tabHits = a.tabHits[:0]
	x := 0
	base := a.base()
	title := a.top.title(a)
	// When the tabs leave too little room for the title, the tabs not on
	// show are named by their keys.
	full := 2 + width(ansi.Strip(title))
	for _, t := range a.tabs {
		full += width(t.s.keys().name) + 3
	}
	compact := full > a.width
	for _, t := range a.tabs {
		name := t.s.keys().name
		label := " " + strings.ToUpper(name[:1]) + name[1:] + " "
		if t.s != base && (compact || a.top != base) {
			// Short of room, or on a details page: the other tabs by their
			// keys, a space apart, leaving the room to what the screen says
			// of itself.
			label = t.key
			if x == 0 {
				label = " " + label
			}
		}
		if t.s == base {
			b.WriteString(st.reverse.r(st.bold.r(label)))
		} else {
			b.WriteString(st.muted.r(label))
		}
		a.tabHits = append(a.tabHits, tabHit{x, x + width(label), t.s})
		x += width(label)
		b.WriteByte(' ')
		x++
	}
	b.WriteString(st.muted.r(st.sym.sep))
	b.WriteByte(' ')
	b.WriteString(title)
	a.title = st.padLine(b.String(), a.width)
}

// prepareStatus renders the status line: the filter being typed, a
// message, or what the screen on top says there.
func (a *App) prepareStatus() {
	st := a.st
	var s string
	switch {
	case a.editing:
		if f, ok := a.top.(filterable); ok {
			ts := f.state()
			s = st.key.r(st.bold.r("/")) + ts.filter + st.reverse.r(" ")
			if ts.filterErr != "" {
				s += "  " + st.bad.r(sanitize(ts.filterErr))
			} else {
				s += st.muted.r("  enter keeps it, esc clears it")
			}
		}
	case a.status != "":
		if a.statusBad {
			s = st.bad.r(a.status)
		} else {
			s = a.status
		}
	case a.opts.Replay != nil:
		s = a.replayLine(a.opts.Replay.ReplayState()) // ui/replay.go
	default:
		s = a.top.status(a)
	}
	a.statusLn = st.padLine(s, a.width)
}

// statusf shows a message on the status line (an error if bad).
func (a *App) statusf(bad bool, msg string) {
	a.status, a.statusBad = ansi.Strip(msg), bad
	a.prepareStatus()
}

// lineRange is a page's "lines a-b of n" when it does not fit.
func (a *App) lineRange(scroll, n, h int) string {
	if n <= h {
		return ""
	}
	return a.st.muted.r("  lines " + strconv.Itoa(scroll+1) + "-" + strconv.Itoa(min(scroll+h, n)) + " of " + strconv.Itoa(n))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// footerKey is what the footer depends on.
type footerKey struct {
	keys  *keySet
	width int
}
