package model

import (
	"math/rand/v2"
	"testing"
)

func TestSpanIndexMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var x spanIndex
	ref := map[uint32]uint64{} // slot → hash
	var slots []uint32
	for step := range 200_000 {
		if len(slots) == 0 || rng.IntN(100) < 52 {
			slot := uint32(step)
			h := rng.Uint64() & 0xffff // few distinct hashes: many equal ones
			if step%1000 == 0 {
				h = 0
			}
			x.insert(h, slot)
			ref[slot] = h
			slots = append(slots, slot)
		} else {
			k := rng.IntN(len(slots))
			slot := slots[k]
			x.remove(ref[slot], slot)
			delete(ref, slot)
			slots[k] = slots[len(slots)-1]
			slots = slots[:len(slots)-1]
		}
		if step%101 == 0 {
			if x.n != len(ref) {
				t.Fatalf("step %d: n=%d want %d", step, x.n, len(ref))
			}
			for _, slot := range slots[max(0, len(slots)-20):] {
				if got, ok := x.find(ref[slot], func(s uint32) bool { return s == slot }); !ok || got != slot {
					t.Fatalf("step %d: slot %d not found", step, slot)
				}
			}
			if _, ok := x.find(1<<40, func(uint32) bool { return true }); ok {
				t.Fatal("found an absent hash")
			}
		}
	}
	for len(slots) > 0 { // empty it: the table shrinks back
		slot := slots[len(slots)-1]
		slots = slots[:len(slots)-1]
		x.remove(ref[slot], slot)
	}
	if x.n != 0 || len(x.hashes) > spanIndexMin {
		t.Fatalf("empty index holds n=%d in %d cells", x.n, len(x.hashes))
	}
}
