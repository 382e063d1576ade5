package model

import (
	"math"
	"sort"
)

// A table query never sorts the whole table. Each item has a sort key and
// its ID (the last sort key); a query counts the matching items, finds the
// selected item's rank, and then selects only the items around it with two
// bounded heaps: the k largest below the anchor and the k smallest at or
// above it. That is one or two linear passes over compact key columns and
// O(log window) work per item, independent of where in the table the
// window lies. Descending order is ascending order of negated keys.

// item is one candidate row: its sort key, its ID transformed so that the
// desired order is ascending (idk), and where it is stored.
type item struct {
	key  int64
	idk  uint64
	slot uint32
	// sym breaks ties of key in string columns, whose key is only the
	// string's first eight bytes (see taskIndex.less).
	sym Sym
}

func less(a, b item) bool { return a.key < b.key || (a.key == b.key && a.idk < b.idk) }

var (
	minItem = item{key: math.MinInt64}
	maxItem = item{key: math.MaxInt64, idk: math.MaxUint64}
)

// picker keeps the k smallest items ≥ lo (a max-heap, "above") and the k
// largest items < lo (a min-heap, "below").
type picker struct {
	lo             item
	above, below   []item
	kAbove, kBelow int
}

func (p *picker) offer(it item) {
	if less(it, p.lo) {
		if p.kBelow == 0 {
			return
		}
		if len(p.below) < p.kBelow {
			p.below = append(p.below, it)
			up(p.below, len(p.below)-1, greater)
		} else if less(p.below[0], it) {
			p.below[0] = it
			down(p.below, 0, greater)
		}
		return
	}
	if p.kAbove == 0 {
		return
	}
	if len(p.above) < p.kAbove {
		p.above = append(p.above, it)
		up(p.above, len(p.above)-1, less)
	} else if less(it, p.above[0]) {
		p.above[0] = it
		down(p.above, 0, less)
	}
}

func greater(a, b item) bool { return less(b, a) }

// up and down maintain a heap whose root is the item that "before" ranks
// last: with before=less the root is the largest (a max-heap).
func up(h []item, i int, before func(a, b item) bool) {
	for i > 0 {
		p := (i - 1) / 2
		if !before(h[p], h[i]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func down(h []item, i int, before func(a, b item) bool) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && before(h[l], h[r]) {
			c = r
		}
		if !before(h[i], h[c]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// sorted returns below then above, in ascending order.
func (p *picker) sorted() []item {
	out := make([]item, 0, len(p.below)+len(p.above))
	out = append(out, p.below...)
	out = append(out, p.above...)
	sort.Slice(out, func(a, b int) bool { return less(out[a], out[b]) })
	return out
}

// windowPlan decides which ranks a query shows, given the number of matching
// items and, when the anchor is present, its rank.
type windowPlan struct {
	off, limit int
	selected   int // index in the window, or -1
	// lo splits the selection: rank(lo) items are below it.
	lo     item
	loRank int
}

func planWindow(q Query, total int, anchor item, anchorRank int, hasAnchor bool) windowPlan {
	limit := max(q.Limit, 0)
	maxOff := max(total-limit, 0)
	row := min(max(q.Row, 0), max(limit-1, 0))
	if hasAnchor {
		t := min(max(anchorRank+q.Move, 0), max(total-1, 0))
		off := min(max(t-row, 0), maxOff)
		return windowPlan{off: off, limit: limit, selected: t - off, lo: anchor, loRank: anchorRank}
	}
	off := min(max(q.Offset, 0), maxOff)
	sel := -1
	if n := min(limit, total-off); n > 0 {
		sel = min(max(row+q.Move, 0), n-1)
	}
	// Select from whichever end of the table is nearer.
	if off <= total-off-limit {
		return windowPlan{off: off, limit: limit, selected: sel, lo: minItem, loRank: 0}
	}
	return windowPlan{off: off, limit: limit, selected: sel, lo: maxItem, loRank: total}
}

// picker returns the heaps that collect the window's items.
func (w windowPlan) picker() *picker {
	p := &picker{lo: w.lo}
	if w.off < w.loRank {
		p.kBelow = w.loRank - w.off
	}
	p.kAbove = max(w.off+w.limit-w.loRank, 0)
	return p
}

// window cuts the collected items down to the planned ranks.
func (w windowPlan) window(p *picker) []item {
	all := p.sorted()
	first := 0
	if w.off > w.loRank {
		first = w.off - w.loRank // selected from the anchor down; skip to off
	}
	all = all[min(first, len(all)):]
	return all[:min(w.limit, len(all))]
}
