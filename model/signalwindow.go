package model

import "encoding/binary"

// scanWindow answers a query over items that each offers (called twice:
// once to count and rank the anchor, once to pick the window). anchor is
// the anchor's item when it is present and matches the filter.
func scanWindow(q Query, anchor item, hasAnchor bool, each func(offer func(item))) ([]item, int, windowPlan) {
	total, rank := 0, 0
	each(func(it item) {
		total++
		if hasAnchor && less(it, anchor) {
			rank++
		}
	})
	plan := planWindow(q, total, anchor, rank, hasAnchor)
	p := plan.picker()
	each(p.offer)
	return plan.window(p), total, plan
}

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
