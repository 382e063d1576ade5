package model

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOSTreeMatchesASortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	tr := &ostree{}
	var ref []item
	cmp := cmpByLess
	check := func(step int) {
		if tr.size != len(ref) {
			t.Fatalf("step %d: size %d want %d", step, tr.size, len(ref))
		}
		if len(ref) == 0 {
			return
		}
		p := rng.IntN(len(ref))
		if got := tr.itemAt(p); got != ref[p] {
			t.Fatalf("step %d: itemAt(%d) = %+v want %+v", step, p, got, ref[p])
		}
		if r := tr.rank(ref[p]); r != p {
			t.Fatalf("step %d: rank = %d want %d", step, r, p)
		}
		n := rng.IntN(100)
		if got := tr.appendRange(nil, p, p+n); !slices.Equal(got, ref[p:min(p+n, len(ref))]) {
			t.Fatalf("step %d: range [%d,%d) differs", step, p, p+n)
		}
	}
	next := uint64(0)
	for step := range 60_000 {
		switch {
		case len(ref) == 0 || rng.IntN(100) < 55:
			next++
			x := item{key: int64(rng.IntN(500)), idk: next, slot: uint32(next)}
			tr.insert(x)
			i, _ := slices.BinarySearchFunc(ref, x, cmp)
			ref = slices.Insert(ref, i, x)
		default:
			i := rng.IntN(len(ref))
			if rng.IntN(4) == 0 {
				i = 0 // FIFO-like removals from one end
			}
			if !tr.remove(ref[i]) {
				t.Fatalf("step %d: remove of a present item failed", step)
			}
			ref = slices.Delete(ref, i, i+1)
		}
		if tr.remove(item{key: -1}) {
			t.Fatal("removed an absent item")
		}
		if step%97 == 0 {
			check(step)
		}
	}
	check(-1)
	built := &ostree{}
	built.build(ref)
	for p := range ref {
		if built.itemAt(p) != ref[p] || built.rank(ref[p]) != p {
			t.Fatalf("built tree differs at %d", p)
		}
	}
	built.insert(item{key: 250, idk: 1 << 40})
	built.remove(ref[len(ref)/2])
	if built.size != len(ref) {
		t.Fatalf("built tree size %d", built.size)
	}
}

// removeSorted deletes a sorted set of items as removing them one by one
// does: runs from one end (spans lingering out in the order they came),
// runs in the middle, scattered items, everything, and items never there;
// so does removeSlots, the same set given by slot.
func TestOSTreeRemoveSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	cmp := cmpByLess
	for round := range 300 {
		tr := &ostree{}
		var ref []item
		n := rng.IntN(20_000)
		for k := range n {
			x := item{key: int64(rng.IntN(50)), idk: uint64(k + 1), slot: uint32(k + 1)}
			tr.insert(x)
			ref = append(ref, x)
		}
		slices.SortFunc(ref, cmp)
		var gone []item
		switch round % 4 {
		case 0: // the oldest of each key: a run per key
			for _, x := range ref {
				if x.idk < uint64(n/3) {
					gone = append(gone, x)
				}
			}
		case 1: // scattered
			for _, x := range ref {
				if rng.IntN(7) == 0 {
					gone = append(gone, x)
				}
			}
		case 2: // everything
			gone = slices.Clone(ref)
		case 3: // one run in the middle
			if len(ref) > 0 {
				a := rng.IntN(len(ref))
				gone = slices.Clone(ref[a:min(len(ref), a+rng.IntN(3000))])
			}
		}
		// Items never there: before every item, among them (a leaf is
		// searched for them) and after every item (the search ends).
		withAbsent := slices.Clone(gone)
		for _, absent := range []item{{key: -1, idk: 1 << 40}, {key: 25, idk: 1 << 40}, {key: 25, idk: 1 << 41}, {key: 60, idk: 1 << 40}} {
			i, _ := slices.BinarySearchFunc(withAbsent, absent, cmp)
			withAbsent = slices.Insert(withAbsent, i, absent)
		}
		// Rounds 4–7, 12–15, … remove by slot, walking every leaf
		// (removeSlots).
		removed := 0
		if round/4%2 == 1 {
			var set slotSet
			for _, x := range gone {
				set.add(x.slot)
			}
			removed = tr.removeSlots(set)
		} else {
			removed = tr.removeSorted(withAbsent)
		}
		if removed != len(gone) {
			t.Fatalf("round %d: removed %d, want %d", round, removed, len(gone))
		}
		ref = slices.DeleteFunc(ref, func(x item) bool {
			_, found := slices.BinarySearchFunc(gone, x, cmp)
			return found
		})
		if tr.size != len(ref) || !slices.Equal(tr.appendRange(nil, 0, tr.size), ref) {
			t.Fatalf("round %d: %d items left, want %d, or in another order", round, tr.size, len(ref))
		}
		if l := countLeaves(tr.root); l != tr.leaves {
			t.Fatalf("round %d: %d leaves counted, %d in the tree", round, tr.leaves, l)
		}
		for range 50 {
			if len(ref) == 0 {
				break
			}
			p := rng.IntN(len(ref))
			if tr.rank(ref[p]) != p || tr.itemAt(p) != ref[p] {
				t.Fatalf("round %d: rank or select of %d is wrong after removeSorted", round, p)
			}
		}
		x := item{key: 3, idk: 1 << 41}
		tr.insert(x) // the tree is still usable
		if !tr.remove(x) {
			t.Fatalf("round %d: the tree took no insert after removeSorted", round)
		}
	}
}

func countLeaves(n *osNode) int {
	if n == nil {
		return 0
	}
	if n.leaf() {
		return 1
	}
	c := 0
	for _, k := range n.kids {
		c += countLeaves(k)
	}
	return c
}

// cmpByLess orders items by less, three-way.
func cmpByLess(a, b item) int {
	if less(a, b) {
		return -1
	}
	if less(b, a) {
		return 1
	}
	return 0
}
