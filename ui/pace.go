package ui

import (
	"time"

	"github.com/spantop/spantop/model"
)

// The screen costs what it shows: a frame that changed is parsed and
// diffed whole by the renderer, so the App asks the model for rows and
// redraws only when something changed, and no more often than a person
// can read. A tick first compares the model's counters with the last
// ones (one cheap call); when nothing changed and nothing on screen moves
// with the clock, it does nothing.
const (
	// liveEvery is how often rows that change on every tick (a steady
	// stream of spans) are redrawn.
	liveEvery = 300 * time.Millisecond
	// figuresEvery is how often the header's figures and the counts on
	// the title line are redrawn while they change.
	figuresEvery = time.Second
	// settleEvery is how often a screen that seems unchanged is refreshed
	// anyway, for what moves with the clock alone (rates decaying,
	// sparklines scrolling, ages). A clockless screen is not: with the
	// model's Changes the same it shows the same.
	settleEvery = time.Second
	// quietTick is the longest interval between two ticks. A change of
	// the model wakes a quiet screen at once (Source.Changed); the quiet
	// tick shows what changes without it (requests refused before they
	// reached the model, the note about a child) within this long.
	quietTick = 2 * time.Second
)

// pace decides, tick by tick, what the App refreshes and when it looks
// again. Every tick wakes the process (on a small virtual machine a
// wake-up with nothing to do costs about as much as a small frame), so
// the ticks follow what changes: while the rows change, one tick per
// refresh of the rows (liveEvery); once nothing changes, each interval
// twice the last, from twice liveEvery up to quietTick, and a change of
// the model meanwhile wakes the screen at once (Source.Changed), so that
// a screen that shows the same costs a wake-up every quietTick. (Idle
// after a load, the model's sweeps change what is shown every few seconds,
// as spans linger out; ticks at the App's own 100 ms after each cost more
// than the sweeps.)
type pace struct {
	last        time.Time // the last tick
	lastData    time.Time // the last query of the rows
	lastFigures time.Time // the last redraw of the header's figures
	// moved says the last tick saw a change; gap is the interval after the
	// last tick that saw none.
	moved bool
	gap   time.Duration
	// acted is set by a key or a click: the next tick refreshes at once.
	acted bool
	// figuresBehind says the header shows figures older than a.hdr (the
	// last change was drawn in the rows only, within figuresEvery).
	figuresBehind bool
	// settle says a refresh is due settleEvery after the last: the screen
	// moves with the clock alone (it is not clockless), or the model
	// changed in what the header's figures do not show (Changes).
	settle bool
}

// every is the interval to the next tick, tick being the App's shortest.
func (p *pace) every(tick time.Duration) time.Duration {
	if p.acted || p.last.IsZero() {
		return tick
	}
	if p.moved {
		return max(tick, p.lastData.Add(liveEvery).Sub(p.last))
	}
	d := max(p.gap, tick)
	if p.figuresBehind {
		d = min(d, p.lastFigures.Add(figuresEvery).Sub(p.last))
	}
	if p.settle {
		d = min(d, p.lastData.Add(settleEvery).Sub(p.last))
	}
	return max(d, tick)
}

// saw records what a tick at now saw: a change or none.
func (p *pace) saw(moved bool, tick time.Duration) {
	p.moved = moved
	if moved {
		p.gap = liveEvery // the first quiet gap is twice that
	} else {
		p.gap = min(max(2*p.gap, tick), quietTick)
	}
}

// changed reports whether h's figures tell of anything new since the last
// header seen, or of something on screen that moves with the clock (a span
// or a goroutine in flight). Changes alone (a sweep, a trace check setting
// a warning) is not counted: that is drawn at the settle pace. Nor are the
// rates: once a load stops they fall for model.RateWindow seconds with nothing
// else changed, and are drawn at the figures' pace.
func changed(h, last model.Header) bool {
	h.SpansPerSec, last.SpansPerSec = 0, 0
	h.LogsPerSec, last.LogsPerSec = 0, 0
	h.MemoryUsed, last.MemoryUsed = 0, 0
	h.Changes, last.Changes = 0, 0
	return h != last || h.Running > 0 || h.Goroutines > 0
}

// tickRefresh refreshes what changed at time now (the tick's time) and
// reports whether it prepared anything new to draw.
func (a *App) tickRefresh(now time.Time) (drawn bool) {
	p := &a.pace
	p.last = now
	h := a.src.Header()
	moved := changed(h, a.hdr)
	p.saw(moved, a.opts.Tick)
	// settle: the screen is behind the model's Changes, or moves with the
	// clock; asked now and of what the screen shows after this tick (a.hdr
	// is h once refreshed).
	settle := func() bool { return h.Changes != a.hdr.Changes || !isClockless(a.top) }
	defer func() { p.settle = settle() }()
	due := now.Sub(p.lastData) >= settleEvery && (moved || settle())
	switch {
	case p.acted, due:
	case !moved:
		if h.SpansPerSec != a.hdr.SpansPerSec || h.LogsPerSec != a.hdr.LogsPerSec {
			// Only the rates moved (a load ended): the header, not the
			// rows, at the figures' pace.
			a.hdr.SpansPerSec, a.hdr.LogsPerSec = h.SpansPerSec, h.LogsPerSec
			p.figuresBehind = true
		}
		if p.figuresBehind && now.Sub(p.lastFigures) >= figuresEvery || a.aroundNote() != a.note {
			// The last change was drawn in the rows only, or the note
			// changed (a child exited while nothing arrived): the
			// header now.
			p.lastFigures, p.figuresBehind = now, false
			a.prepareChrome()
			return true
		}
		return false // nothing changed: no query
	case now.Sub(p.lastData) < liveEvery:
		return false
	}
	p.acted = false
	p.lastData = now
	a.hdr = h
	a.warns = a.src.Warnings()
	a.prepareWarnings()
	a.top.refresh(a, a.keepNav())
	if now.Sub(p.lastFigures) >= figuresEvery || due {
		p.lastFigures, p.figuresBehind = now, false
		a.prepareChrome()
		return true
	}
	p.figuresBehind = true
	a.prepareBody()
	return true
}

// clockless is a table kind whose rows change only when the model does
// (Header.Changes), given nothing runs: the spans and goroutines, whose
// durations grow only while they run (Header.Running, Goroutines).
type clockless interface{ clockless() }

func (tasksKind) clockless()      {}
func (goroutinesKind) clockless() {}

// isClockless says s is a table of a clockless kind.
func isClockless(s screen) bool {
	t, ok := s.(*taskTable)
	if !ok {
		return false
	}
	_, ok = t.kind.(clockless)
	return ok
}

// prepareBody prepares what a refresh of the rows may change between two
// redraws of the figures.
func (a *App) prepareBody() { a.prepareStatus() }

// aroundNote is the header's note about what runs around spantop
// (Options.Status): a recording, a child process.
func (a *App) aroundNote() string {
	if a.opts.Status == nil {
		return ""
	}
	return a.opts.Status()
}
