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
	cmp := func(a, b item) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	}
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
