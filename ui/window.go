package ui

import "math"

// nav is a navigation request: move the selection by move ranks and show it
// at screen row row; or go to the top or the bottom.
type nav struct {
	move, row   int
	top, bottom bool
}

// window is the part of a sorted list on screen and the selection in it,
// kept by ID, not by row number. Every table and the trace view share it:
// how a query places the window, how a move is answered from the rows at
// hand while paused, and how the answer places the selection.
type window struct {
	selRow int
	selID  uint64
	offset int // the rank of the first row on screen
	total  int // how many rows the list has
	// follow keeps the selection on the first row while it is there, so a
	// live table shows its top instead of following a row that sinks.
	follow bool
	// live lists follow their top; a trace does not.
	live bool
}

// place returns a query's window fields for limit rows after navigation n:
// the anchor (the selection, moved by move) shown at screen row row, or
// else the rows from offset.
func (w *window) place(limit int, n nav) (anchor uint64, move, row, offset int) {
	switch {
	case n.top, w.live && w.follow && n.move == 0 && !n.bottom:
		return 0, 0, 0, 0
	case n.bottom:
		return 0, 0, limit - 1, math.MaxInt32
	}
	return w.selID, n.move, min(max(n.row, 0), max(limit-1, 0)), w.offset
}

// local applies navigation n within the count rows at hand (idAt gives a
// row's ID); it reports false when the target lies outside them.
func (w *window) local(n nav, count int, idAt func(int) uint64) bool {
	i := w.selRow + n.move
	switch {
	case n.top:
		if w.offset != 0 {
			return false
		}
		i = 0
	case n.bottom:
		if w.offset+count < w.total {
			return false
		}
		i = count - 1
	}
	if i < 0 || i >= count {
		return false
	}
	w.pick(i, idAt)
	return true
}

// pick selects row i on screen.
func (w *window) pick(i int, idAt func(int) uint64) {
	w.selRow, w.selID = i, idAt(i)
	w.follow = w.offset == 0 && i == 0
}

// settle places the selection in an answer of count rows: on the anchor
// (selected, -1 when it is gone) or else at the same screen row.
func (w *window) settle(count, total, offset, selected int, idAt func(int) uint64) {
	w.total, w.offset = total, offset
	if count == 0 {
		w.selID, w.selRow = 0, 0
	} else {
		s := selected
		if s < 0 || s >= count {
			s = min(max(w.selRow, 0), count-1)
		}
		w.selRow, w.selID = s, idAt(s)
	}
	w.follow = w.offset == 0 && w.selRow == 0
}

// goTo moves after navigation n: within the count rows at hand while the
// screen is paused (idAt gives a row's ID), else by fetch, a query.
func (w *window) goTo(a *App, n nav, count int, idAt func(int) uint64, fetch func(nav)) {
	if a.paused && w.local(n, count, idAt) {
		return
	}
	fetch(n)
}

// moves carries out the moves every list shares — a row, a page (keeping
// the selection's screen row), the ends — through goTo; false for any
// other action.
func (w *window) moves(a *App, act action, goTo func(nav)) bool {
	switch act {
	case actUp:
		goTo(nav{move: -1, row: w.selRow - 1})
	case actDown:
		goTo(nav{move: 1, row: w.selRow + 1})
	case actPageUp:
		goTo(nav{move: -a.rows(), row: w.selRow})
	case actPageDown:
		goTo(nav{move: a.rows(), row: w.selRow})
	case actTop, actBottom:
		goTo(nav{top: act == actTop, bottom: act == actBottom})
	default:
		return false
	}
	return true
}
