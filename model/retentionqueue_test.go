package model

import "testing"

// The retention queue keeps order across its blocks, recycles emptied
// blocks and reports the memory it holds.
func TestFifoQueueOrder(t *testing.T) {
	var q fifoQueue
	next, want := uint32(0), uint32(0)
	for round := range 5 {
		for range 3*fifoBlock + 17 {
			q.push(fifoEntry{slot: next})
			next++
		}
		for range 2*fifoBlock + round {
			e, ok := q.front()
			if !ok || e.slot != want {
				t.Fatalf("front = %d, %v; want %d", e.slot, ok, want)
			}
			if got := q.pop(); got.slot != want {
				t.Fatalf("pop = %d, want %d", got.slot, want)
			}
			want++
		}
		if q.len() != int(next-want) {
			t.Fatalf("len = %d, want %d", q.len(), next-want)
		}
		if max := int64(q.len()/fifoBlock+3) * fifoBlock * fifoBytes; q.bytes() > max+int64(cap(q.blocks))*24 {
			t.Fatalf("bytes = %d for %d entries", q.bytes(), q.len())
		}
	}
	for q.len() > 0 {
		if got := q.pop(); got.slot != want {
			t.Fatalf("pop = %d, want %d", got.slot, want)
		}
		want++
	}
	if _, ok := q.front(); ok || want != next {
		t.Fatalf("queue not empty after popping all (%d of %d)", want, next)
	}
	q.push(fifoEntry{slot: 1})
	if e, _ := q.front(); e.slot != 1 || q.len() != 1 {
		t.Fatal("queue unusable after emptying")
	}
}
