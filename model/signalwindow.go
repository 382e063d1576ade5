package model

import (
	"encoding/binary"
	"math"
)

// scanWindow answers a query over the items each offers. It makes one
// pass when it can tell where the window lies before counting: around the
// anchor (the picker then keeps enough items on both sides of it for any
// window the count may call for) or at the top; a deep offset without an
// anchor needs a count first, and a second pass. anchor is the anchor's
// item when it is present and matches the filter.
func scanWindow(q Query, anchor item, hasAnchor bool, each func(offer func(item))) ([]item, int, windowPlan) {
	total, rank := 0, 0
	switch {
	case hasAnchor:
		// The window holds ranks [off, off+limit) with off at most limit+|move|
		// away from the anchor's rank, whatever total turns out to be.
		k := max(q.Limit, 0) + abs(q.Move)
		p := &picker{lo: anchor, kBelow: k, kAbove: k}
		each(func(it item) {
			total++
			if less(it, anchor) {
				rank++
			}
			p.offer(it)
		})
		plan := planWindow(q, total, anchor, rank, true)
		all := p.sorted() // ranks from rank-len(p.below) on
		first := min(max(plan.off-(rank-len(p.below)), 0), len(all))
		all = all[first:]
		return all[:min(plan.limit, len(all))], total, plan
	case q.Offset == 0:
		plan := planWindow(q, math.MaxInt32, item{}, 0, false)
		p := plan.picker()
		each(func(it item) { total++; p.offer(it) })
		plan = planWindow(q, total, item{}, 0, false)
		return plan.window(p), total, plan
	}
	each(func(item) { total++ })
	plan := planWindow(q, total, anchor, rank, false)
	p := plan.picker()
	each(p.offer)
	return plan.window(p), total, plan
}

func abs(n int) int { return max(n, -n) }

// sortItem makes an item whose ascending order is the query's order: keys
// negated when descending, and the ID (the last key) reversed with them.
func sortItem(key int64, id uint64, desc bool) item {
	if desc {
		return item{key: -key, idk: ^id}
	}
	return item{key: key, idk: id}
}

// itemID recovers the ID of an item made by sortItem.
func itemID(it item, desc bool) uint64 {
	if desc {
		return ^it.idk
	}
	return it.idk
}

// prefixKey orders strings by their first seven bytes (the key is signed).
func prefixKey(b []byte) int64 {
	var buf [8]byte
	copy(buf[1:], b)
	return int64(binary.BigEndian.Uint64(buf[:]))
}

// symKey orders Syms alphabetically by their rank; a Sym interned after
// the ranks were taken sorts last.
func symKey(ranks []uint32, id Sym) int64 {
	if int(id) < len(ranks) {
		return int64(ranks[id])
	}
	return 1 << 32
}

// FollowOffset is the Query.Offset that shows the last page of a table: a
// live tail (newest at the bottom) when sorted by time.
const FollowOffset = 1 << 31
