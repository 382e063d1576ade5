package ui

import (
	tea "charm.land/bubbletea/v2"
	"math"
	"slices"
	"strings"

	"github.com/spantop/spantop/model"
)

// noSort marks a column that cannot be sorted by (the sparkline).
const noSort model.Column = math.MaxUint8

// column is the one place that says, for one column of a table, what its
// header is, how wide it may be, how its cells are formatted and which model
// column sorts it. Keeping these together means a header can never sort by
// another column's key.
type column[T any] struct {
	key   model.Column
	title string
	// min and ideal are widths in cells; prio decides which columns go first
	// when the terminal is narrow (lowest first); flex shares what is left.
	min, ideal, prio, flex int
	right                  bool
	// group ties columns that only make sense together (the goroutine
	// figures): when one is dropped for lack of room, all go.
	group int
	// desc is the direction a column sorts in when first chosen.
	desc bool
	// present, when set, tells whether a row has a value in this column;
	// the column then gives up its width while no row on screen has one.
	present func(*T) bool
	// cell returns a cell's plain, sanitised text and its style; w is the
	// width it will get (for the sparkline).
	cell func(st *styles, r *T, w int) (string, style)
}

// corePrio is the priority from which a column is one of the core columns
// that get their ideal width before minor columns are shown.
const corePrio = 80

// cached is one prepared row string and what it was made from.
type cached struct {
	key rowKey
	gen uint32 // the layout (width, columns) it was drawn for
	s   string
}

// rowKey is what a prepared row string depends on besides its ID and the
// layout: the row's Version, which the model bumps whenever the row shows
// something new, and the few figures a version cannot cover because they
// move with the clock (the Total of a live span) or depend on other rows
// (tree lines). Each row type's model doc comment lists those figures.
type rowKey struct {
	version uint64
	clock   [3]uint64
	tree    uint64
	flags   uint32
	extra   uint64 // what else a kind's rows show (the waterfall's hidden rows and log marks)
}

// rowDrawer is a kind whose rows are drawn whole rather than as cells:
// the waterfall, whose tree lines, folds and time bars span the width. Its
// header is drawn again with every page, as it may depend on it (the
// waterfall's time axis).
type rowDrawer[T any] interface {
	drawRow(st *styles, r *T, width int) string
	drawHeader(st *styles, width int) string
}

// tableKind is what makes a table view: its columns, how its rows are
// fetched, identified, cached and dimmed, its key set and what its own keys
// do. A table view is one file with one tableKind; a kind that lacks a part
// does not compile.
type tableKind[T any] interface {
	columns() []column[T]
	// defaultSort is the column sorted by at first.
	defaultSort() (key model.Column, desc bool)
	rowID(r *T) uint64
	// cacheKey is what a row's prepared string depends on besides its ID
	// and the layout: the one hook of the row cache (see table.prepare).
	cacheKey(r *T) rowKey
	dimmed(r *T) bool
	fetch(src Source, q model.Query) model.Page[T]
	keys() *keySet
	// noun names the rows ("spans").
	noun() string
	// figures are the live figures at the end of the title line.
	figures(a *App, b *strings.Builder)
	// empty says why there are no rows when no filter is set.
	empty(a *App) string
	// act carries out the actions of the kind's own keys.
	act(a *App, t *table[T], act action) (tea.Cmd, bool)
}

// table is the state of one table view: sort, filter, the selection (kept
// by ID), the last page and its prepared row strings.
type table[T any] struct {
	kind tableKind[T]
	cols []column[T]
	// drawer is the kind when it draws its rows whole.
	drawer rowDrawer[T]

	tableState
	sort model.Column
	desc bool
	rows []T

	// Layout for the current width.
	width  int
	gen    uint32
	absent uint64 // bit i: column i has no value in any row on screen
	vis    []int  // indexes into cols, in display order
	widths []int
	xs     []int

	cache, spare map[uint64]cached
}

func newTable[T any](kind tableKind[T]) *table[T] {
	t := &table[T]{kind: kind, cols: kind.columns(), cache: map[uint64]cached{}, spare: map[uint64]cached{}}
	t.sort, t.desc = kind.defaultSort()
	t.drawer, _ = kind.(rowDrawer[T])
	t.follow, t.live = true, true
	return t
}

// query builds the Query for a window of limit rows after navigation n.
func (t *table[T]) query(limit int, n nav) model.Query {
	q := model.Query{Sort: t.sort, Desc: t.desc, Filter: t.filter, Limit: limit, Tree: t.tree, Stored: t.stored}
	q.Anchor, q.Move, q.Row, q.Offset = t.place(limit, n)
	return q
}

// fetch queries the source for the window after navigation n and
// prepares its rows.
func (t *table[T]) fetch(src Source, limit int, n nav, st *styles) {
	t.apply(t.kind.fetch(src, t.query(limit, n)), st)
}

func (t *table[T]) state() *tableState { return &t.tableState }

// idAt is the ID of row i on screen.
func (t *table[T]) idAt(i int) uint64 { return t.kind.rowID(&t.rows[i]) }

// selectRow selects the i-th row on screen, if there is one.
func (t *table[T]) selectRow(i int) bool {
	if i < 0 || i >= len(t.rows) {
		return false
	}
	t.pick(i, t.idAt)
	return true
}

// apply takes a page from the source and prepares its rows.
func (t *table[T]) apply(p model.Page[T], st *styles) {
	t.rows, t.filterErr, t.listedStored, t.sorting = p.Rows, p.FilterErr, p.Stored, p.Sorting
	t.settle(len(p.Rows), p.Total, p.Offset, p.Selected, t.idAt)
	if absent := t.absentCols(); absent != t.absent {
		t.absent = absent
		t.gen++
		t.arrange(t.width)
		t.buildHeader(st)
	} else if t.drawer != nil {
		t.buildHeader(st)
	}
	t.prepare(st)
}

// absentCols returns the optional columns no row of the page has a value in.
func (t *table[T]) absentCols() uint64 {
	var absent uint64
	for ci := range t.cols {
		f := t.cols[ci].present
		if f == nil || ci >= 64 {
			continue
		}
		has := false
		for i := range t.rows {
			if f(&t.rows[i]) {
				has = true
				break
			}
		}
		if !has {
			absent |= 1 << ci
		}
	}
	return absent
}

// prepare renders the rows whose content or layout changed since the last
// frame; the others reuse their cached strings. A row's cache entry is
// keyed by its ID and checked against the kind's cacheKey (the row's
// Version and what moves with the clock) and the layout generation.
func (t *table[T]) prepare(st *styles) {
	t.lines = t.lines[:0]
	clear(t.spare)
	for i := range t.rows {
		r := &t.rows[i]
		id := t.kind.rowID(r)
		key := t.kind.cacheKey(r)
		c, ok := t.cache[id]
		if !ok || c.key != key || c.gen != t.gen {
			c = cached{key: key, gen: t.gen, s: t.render(st, r)}
		}
		t.spare[id] = c
		t.lines = append(t.lines, c.s)
	}
	t.cache, t.spare = t.spare, t.cache
}

// line joins one cell per visible column, a space apart, padded to the
// table's width; cell gets the column and its width.
func (t *table[T]) line(cell func(c *column[T], w int) string) string {
	var b strings.Builder
	b.Grow(t.width + 32)
	used := 0
	for j, ci := range t.vis {
		if j > 0 {
			b.WriteByte(' ')
			used++
		}
		w := t.widths[j]
		b.WriteString(cell(&t.cols[ci], w))
		used += w
	}
	if used < t.width {
		b.WriteString(strings.Repeat(" ", t.width-used))
	}
	return b.String()
}

func (t *table[T]) render(st *styles, r *T) string {
	if t.drawer != nil {
		return t.drawer.drawRow(st, r, t.width)
	}
	s := t.line(func(c *column[T], w int) string {
		text, sty := c.cell(st, r, w)
		return sty.r(st.fit(text, w, c.right))
	})
	if t.kind.dimmed(r) {
		return st.dim.r(s)
	}
	return s
}

// setWidth lays the columns out for a terminal w cells wide.
func (t *table[T]) setWidth(w int, st *styles) {
	if w == t.width && t.vis != nil {
		return
	}
	t.width = w
	t.gen++
	t.arrange(w)
	t.buildHeader(st)
	t.prepare(st)
}

func (t *table[T]) arrange(w int) {
	idx := make([]int, 0, len(t.cols))
	for i := range t.cols {
		if i >= 64 || t.absent&(1<<i) == 0 || t.sorts(i) {
			idx = append(idx, i)
		}
	}
	// The core columns (prio >= corePrio) get their ideal width before a
	// minor column is shown; if even that cannot be, every column gets its
	// minimum width and the least important go until the rest fit.
	need := func(want bool) int {
		n := len(idx) - 1
		for _, i := range idx {
			c := &t.cols[i]
			if want && c.prio >= corePrio {
				n += max(c.ideal, t.colMin(i))
			} else {
				n += t.colMin(i)
			}
		}
		return n
	}
	// The sort column is never dropped: a table never sorts by a column
	// that is not on screen.
	prio := func(i int) int {
		if t.sorts(i) {
			return math.MaxInt
		}
		return t.cols[i].prio
	}
	lowest := func() int {
		low := 0
		for k, i := range idx {
			if prio(i) < prio(idx[low]) {
				low = k
			}
		}
		return low
	}
	drop := func(idx []int, k int) []int {
		g := t.cols[idx[k]].group
		if g == 0 {
			return slices.Delete(idx, k, k+1)
		}
		return slices.DeleteFunc(idx, func(i int) bool { return t.cols[i].group == g && !t.sorts(i) })
	}
	for len(idx) > 1 && need(true) > w {
		low := lowest()
		if prio(idx[low]) >= corePrio {
			break
		}
		idx = drop(idx, low)
	}
	for len(idx) > 1 && need(false) > w && prio(idx[lowest()]) != math.MaxInt {
		idx = drop(idx, lowest())
	}
	widths := make([]int, len(idx))
	for k, i := range idx {
		widths[k] = t.colMin(i)
	}
	extra := w - need(false)
	if extra < 0 { // a single column wider than the terminal
		widths[0] = max(w, 1)
		extra = 0
	}
	// Grow columns towards their ideal width, most important first.
	order := make([]int, len(idx))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return t.cols[idx[b]].prio - t.cols[idx[a]].prio })
	for _, k := range order {
		c := &t.cols[idx[k]]
		add := min(extra, max(c.ideal-t.colMin(idx[k]), 0))
		widths[k] += add
		extra -= add
	}
	// Share the rest among the flexible columns.
	flex := 0
	for _, i := range idx {
		flex += t.cols[i].flex
	}
	if flex > 0 && extra > 0 {
		left := extra
		last := -1
		for k, i := range idx {
			if f := t.cols[i].flex; f > 0 {
				add := extra * f / flex
				widths[k] += add
				left -= add
				last = k
			}
		}
		widths[last] += left
	}
	t.vis, t.widths = idx, widths
	t.xs = make([]int, len(idx))
	x := 0
	for k := range idx {
		t.xs[k] = x
		x += widths[k] + 1
	}
}

// buildHeader prepares the column header line, marking the sort column.
func (t *table[T]) buildHeader(st *styles) {
	if t.drawer != nil {
		t.header = t.drawer.drawHeader(st, t.width)
		return
	}
	t.header = t.line(func(c *column[T], w int) string {
		if c.key != t.sort || c.key == noSort {
			return st.bold.r(st.fit(c.title, w, c.right))
		}
		arrow := st.sym.up
		if t.desc {
			arrow = st.sym.down
		}
		return st.title.r(st.bold.r(st.fit(c.title+arrow, w, c.right)))
	})
}

// sortTitle names the sort column and its direction.
func (t *table[T]) sortTitle(st *styles) string {
	for i := range t.cols {
		if t.cols[i].key == t.sort && t.sort != noSort {
			if t.desc {
				return t.cols[i].title + st.sym.down
			}
			return t.cols[i].title + st.sym.up
		}
	}
	return ""
}

// colMin is column i's narrowest width: the sort column's title keeps its
// arrow.
func (t *table[T]) colMin(i int) int {
	if c := &t.cols[i]; t.sorts(i) {
		return max(c.min, width(c.title)+1)
	}
	return t.cols[i].min
}

// sorts reports whether column i is the sort column.
func (t *table[T]) sorts(i int) bool { return t.cols[i].key == t.sort && t.sort != noSort }

// setSort sorts by key; choosing the current sort column inverts it.
func (t *table[T]) setSort(key model.Column, st *styles) {
	if key == noSort {
		return
	}
	if key == t.sort {
		t.desc = !t.desc
	} else {
		t.sort = key
		for i := range t.cols {
			if t.cols[i].key == key {
				t.desc = t.cols[i].desc
			}
		}
		if t.vis != nil { // the sort column is shown: arrange them again
			t.gen++
			t.arrange(t.width)
		}
	}
	t.buildHeader(st)
}

// invert flips the sort direction.
func (t *table[T]) invert(st *styles) {
	t.desc = !t.desc
	t.buildHeader(st)
}

// stepSort moves the sort to the next (dir 1) or previous (dir -1)
// sortable column. Columns dropped for lack of room are included, so every
// column can be sorted by on a narrow terminal too; the title line names
// the sort column.
func (t *table[T]) stepSort(dir int, st *styles) {
	var keys []model.Column
	cur := -1
	for ci := range t.cols {
		if k := t.cols[ci].key; k != noSort {
			if k == t.sort {
				cur = len(keys)
			}
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	next := 0
	if cur >= 0 {
		next = (cur + dir + len(keys)) % len(keys)
	}
	t.setSort(keys[next], st)
}

// columnAt returns the sort key of the visible column at x.
func (t *table[T]) columnAt(x int) (model.Column, bool) {
	for k, ci := range t.vis {
		if x >= t.xs[k] && x < t.xs[k]+t.widths[k] {
			return t.cols[ci].key, t.cols[ci].key != noSort
		}
	}
	return 0, false
}
