package ui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// A table is a screen: this file holds what every table view shares —
// selection, sort, filter, paging and the title — and its kind adds the
// rest.

func (t *table[T]) keys() *keySet { return t.kind.keys() }

func (t *table[T]) refresh(a *App, n nav) { t.fetch(a.src, a.rows(), n, a.st) }

// refetch queries the window again, keeping the selection.
func (t *table[T]) refetch(a *App) { t.fetch(a.src, a.rows(), nav{row: t.selRow}, a.st) }

func (t *table[T]) layout(a *App) { t.setWidth(a.width, a.st) }

// goTo moves after navigation n: within the rows already fetched while
// paused, else by a query.
func (t *table[T]) goTo(a *App, n nav) {
	t.window.goTo(a, n, len(t.rows), t.idAt, func(n nav) { t.fetch(a.src, a.rows(), n, a.st) })
}

func (t *table[T]) moveBy(a *App, n int) { t.goTo(a, nav{move: n, row: t.selRow + n}) }

func (t *table[T]) act(a *App, act action) (tea.Cmd, bool) {
	if t.moves(a, act, func(n nav) { t.goTo(a, n) }) {
		return nil, true
	}
	switch act {
	case actSortLeft, actSortRight:
		dir := 1
		if act == actSortLeft {
			dir = -1
		}
		t.stepSort(dir, a.st)
		t.refetch(a)
	case actInvert:
		t.invert(a.st)
		t.refetch(a)
	case actBack:
		// A tab has no way back: esc clears the filter.
		if t.filter != "" {
			t.filter = ""
			t.refetch(a)
		}
	default:
		return t.kind.act(a, t, act)
	}
	return nil, true
}

func (t *table[T]) click(a *App, x, y int) {
	switch {
	case y == 0:
		if key, ok := t.columnAt(x); ok {
			t.setSort(key, a.st)
			t.refetch(a)
		}
	case y >= 1 && y <= a.rows():
		i := y - 1
		if i == t.selRow && i < len(t.lines) {
			a.do(actEnter)
			return
		}
		t.selectRow(i)
	}
}

func (t *table[T]) body(a *App, h int, line func(string)) {
	listBody(a, h, t.header, t.lines, t.selRow, t.emptyText(a), line)
}

// listBody draws a list: its column header, then its rows, the selected
// one in reverse video, or what to say when there are none.
func listBody(a *App, h int, header string, lines []string, sel int, empty string, line func(string)) {
	line(header)
	emptyLines := strings.Split(empty, "\n")
	for i := range h - 1 {
		switch {
		case len(lines) == 0 && i < len(emptyLines):
			line(a.st.padLine(a.st.muted.r(emptyLines[i]), a.width))
		case i >= len(lines):
			line("")
		case i == sel:
			// One uniform bar: colours inside reverse video would turn
			// into patches of another background.
			line(a.st.reverse.r(ansi.Strip(lines[i])))
		default:
			line(lines[i])
		}
	}
}

// emptyText says why the table has no rows.
func (t *table[T]) emptyText(a *App) string {
	if t.filter != "" {
		return "  no " + t.kind.noun() + " match the filter"
	}
	return "  " + t.kind.empty(a)
}

// keptCounter is a live table's kind whose finished rows leave it after
// --linger while they stay stored: its title counts them.
type keptCounter interface{ kept(a *App) int }

func (t *table[T]) title(a *App) string {
	st := a.st
	var b strings.Builder
	noun := t.kind.noun()
	if t.filter != "" {
		noun += " matching"
	}
	first, last := 0, 0
	if len(t.lines) > 0 {
		first, last = t.offset+1, t.offset+len(t.lines)
	}
	b.WriteString(strconv.Itoa(first) + "-" + strconv.Itoa(last) + " of " + st.bold.r(strconv.Itoa(t.total)) + " " + noun)
	if k, ok := t.kind.(keptCounter); ok && !t.stored && !t.listedStored {
		if n := k.kept(a); n > 0 {
			b.WriteString(st.muted.r(" +" + fmtCount(int64(n)) + " kept"))
		}
	}
	b.WriteString(st.muted.r(" " + st.sym.bullet + " sort "))
	b.WriteString(t.sortTitle(st))
	if t.sorting {
		b.WriteString(st.muted.r(" sorting" + st.sym.ellipsis))
	}
	if t.tree {
		b.WriteString(st.muted.r(" " + st.sym.bullet + " "))
		b.WriteString(st.accent.r("tree"))
	}
	if (t.stored || t.listedStored) && !t.tree {
		b.WriteString(st.muted.r(" " + st.sym.bullet + " "))
		b.WriteString(st.accent.r("all stored"))
	}
	if t.filter != "" {
		b.WriteString(st.muted.r(" " + st.sym.bullet + " filter "))
		b.WriteString(st.key.r(sanitize(t.filter)))
	}
	t.kind.figures(a, &b)
	return b.String()
}

func (t *table[T]) status(a *App) string {
	st := a.st
	switch {
	case t.filterErr != "":
		return st.bad.r("filter: " + sanitize(t.filterErr))
	case t.filter != "":
		return st.muted.r("filter: ") + sanitize(t.filter) + st.muted.r("  (/ edits, esc clears)")
	case a.paused:
		return st.paused.r("paused: the screen is frozen, ingest goes on; space resumes")
	}
	return ""
}

// restyle renders a table's header and rows again with new styles.
func (t *table[T]) restyle(st *styles) {
	t.gen++
	t.buildHeader(st)
	t.prepare(st)
}

// tableKeys are the bindings every table has before its own.
var tableKeys = []binding{keyMoveSelect, keyPage, keyEnds, keySort, keyInvert}

// tableKeySet builds a table's key set: the shared table keys, the
// kind's own, esc and the filter.
func tableKeySet(name string, own ...binding) *keySet {
	bs := append(append(append([]binding(nil), tableKeys...), own...), keyEscTable, keyFilter)
	return &keySet{name: name, bindings: bs, mouse: "click: select (again: open), a header: sort; wheel: scroll"}
}
