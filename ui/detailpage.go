package ui

import (
	"strconv"
	"time"
)

// detailPage is what every details screen (a span's, an operation's, a
// goroutine's, a resource's, a log record's, a metric's) shares: one
// subject asked for again on each refresh, its last copy kept once the
// source no longer has it, and a page with links rebuilt for the width.
// It gives the screen its refresh, layout, title and status; the screen
// keeps only its own: how it fetches its subject, how it builds the
// page, its keys and its actions.
type detailPage[D any] struct {
	id uint64
	latest[D]
	page
	// width and rows are the size the page was built for.
	width, rows int
	// byRows rebuilds the page when the rows change too (a chart as
	// high as a third of the screen).
	byRows bool
	// missing is the page's line while the subject was never found;
	// goneNote the status line once its last copy is what is shown.
	missing, goneNote string

	// fetch asks the source for subject id.
	fetch func(src Source, id uint64) (D, bool)
	// fetched, when set, asks for what goes with the subject once its
	// answer is kept.
	fetched func(src Source)
	// fill builds the page of a subject found at least once.
	fill func(st *styles, now time.Time)
	// heading names the subject on the title line: the "(no longer
	// stored)" mark goes between lead and rest, before what a narrow
	// screen cuts. A screen with a title of its own leaves it nil.
	heading func(a *App) (lead, rest string)
}

// newDetailPage prepares the page of subject id, named noun ("span",
// "log record"); why says why a subject never found is not stored.
func newDetailPage[D any](noun string, id uint64, why string, fetch func(Source, uint64) (D, bool),
	fill func(*styles, time.Time), heading func(*App) (string, string)) detailPage[D] {
	subject := noun + " " + strconv.FormatUint(id, 10)
	return detailPage[D]{id: id, page: page{sel: -1},
		missing:  subject + " is no longer stored (" + why + ").",
		goneNote: subject + " is no longer stored; showing the last copy",
		fetch:    fetch, fill: fill, heading: heading}
}

// refreshFrom asks the source again and rebuilds the page. Once the
// subject is no longer stored (retention or the memory budget removed
// it), the page keeps what it showed last and says so.
func (p *detailPage[D]) refreshFrom(src Source, st *styles, now time.Time) {
	p.set(p.fetch(src, p.id))
	if p.fetched != nil {
		p.fetched(src)
	}
	p.rebuild(st, now)
}

// rebuild prepares the page for the current size: the subject's, or the
// line that says it is not stored.
func (p *detailPage[D]) rebuild(st *styles, now time.Time) {
	if p.found {
		p.fill(st, now)
		return
	}
	b := p.builder(st)
	b.add("")
	b.add(st.warn.r("  " + p.missing))
	b.add("  esc goes back.")
	b.finish(&p.page)
}

// builder starts the lines of the page for its width.
func (p *detailPage[D]) builder(st *styles) pageBuilder {
	return pageBuilder{st: st, w: max(p.width, 20)}
}

// The shared part of the screen interface.

func (p *detailPage[D]) refresh(a *App, _ nav) {
	p.width, p.rows = a.width, a.detailRows()
	p.refreshFrom(a.src, a.st, a.now())
	p.scrollBy(0, a.detailRows())
}

// layout rebuilds the page for a new width (or rows, when byRows),
// keeping its scroll position within the new length.
func (p *detailPage[D]) layout(a *App) {
	if p.width == a.width && (!p.byRows || p.rows == a.detailRows()) {
		return
	}
	p.width, p.rows = a.width, a.detailRows()
	p.rebuild(a.st, a.now())
	p.scrollBy(0, a.detailRows())
}

func (p *detailPage[D]) title(a *App) string {
	lead, rest := p.heading(a)
	return a.pageTitle(lead+goneMark(p.gone)+rest, &p.page)
}

func (p *detailPage[D]) status(a *App) string {
	if p.gone {
		return a.st.warn.r(p.goneNote)
	}
	return ""
}

// idAndName is the heading of a subject named by its ID and, once found,
// its name (sanitised, and cut where no screen is wide enough to show
// more of it).
func idAndName(a *App, noun string, id uint64, found bool, name string) (lead, rest string) {
	if found {
		rest = " " + sanitize(clip(name, 4*a.width))
	}
	return noun + " " + strconv.FormatUint(id, 10), rest
}

// latest keeps the last answer of a details query: once its subject is no
// longer stored, a view goes on showing the last copy, marked gone.
type latest[T any] struct {
	d     T
	found bool // the subject was seen at least once
	gone  bool // and is no longer stored
}

func (l *latest[T]) set(d T, ok bool) {
	switch {
	case ok:
		l.d, l.found, l.gone = d, true, false
	case l.found:
		l.gone = true
	}
}

// goneMark is what a details page's title adds once its subject is no
// longer stored: the page keeps showing its last copy.
func goneMark(gone bool) string {
	if !gone {
		return ""
	}
	return " (no longer stored)"
}
