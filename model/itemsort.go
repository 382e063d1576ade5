package model

import "slices"

// radixMin is the fewest items sortItems orders with a radix sort: below
// it, the histograms cost more than the comparisons they spare.
const radixMin = 256

// sortItems sorts xs in the tree's order (cmp), using scratch (grown as
// needed and returned, for the caller to keep) as room. It orders by the
// row class and the key with an LSD radix sort, skipping the bytes every
// item shares, then sorts each run of items with equal class and key by
// cmp (the string and ID tie-breaks). A linger sweep that takes few spans
// out of the live tables for the size of the index sorts them so (one
// that takes many walks the index's leaves instead); with pdqsort over
// cmp, that sort had cost a third of spantop's CPU in the seconds after a
// load.
func (t *ostree) sortItems(xs, scratch []item) []item {
	if len(xs) < radixMin {
		slices.SortFunc(xs, t.cmp)
		return scratch
	}
	if cap(scratch) < len(xs) {
		scratch = make([]item, len(xs))
	}
	radixByClassKey(xs, scratch[:len(xs)])
	for i := 0; i < len(xs); {
		j := i + 1
		for j < len(xs) && xs[j].key == xs[i].key && xs[j].sym&classGoroutine == xs[i].sym&classGoroutine {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(xs[i:j], t.cmp)
		}
		i = j
	}
	return scratch
}

// radixByClassKey sorts xs by (class, key), using tmp (as long as xs) as
// room. Eight digits are the key's bytes, its sign bit flipped so that the
// bytes order as the signed key; the ninth is the class bit.
func radixByClassKey(xs, tmp []item) {
	var counts [9][256]int
	for i := range xs {
		u := uint64(xs[i].key) ^ 1<<63
		for d := range 8 {
			counts[d][byte(u>>(8*d))]++
		}
		counts[8][xs[i].sym>>31]++
	}
	src, dst := xs, tmp
	for d := range 9 {
		c := &counts[d]
		if c[itemDigit(src[0], d)] == len(src) {
			continue // every item has this byte
		}
		sum := 0
		for b, n := range c {
			c[b] = sum
			sum += n
		}
		for _, it := range src {
			b := itemDigit(it, d)
			dst[c[b]] = it
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &xs[0] {
		copy(xs, src)
	}
}

// itemDigit is digit d of an item's (class, key) for radixByClassKey.
func itemDigit(it item, d int) byte {
	if d == 8 {
		return byte(it.sym >> 31)
	}
	return byte((uint64(it.key) ^ 1<<63) >> (8 * d))
}
