package agentlib

import (
	"fmt"
	"maps"
	"strconv"
	"sync"
	"testing"
)

func registered(r *nameRegistry) map[int64]string {
	got := map[int64]string{}
	r.each(func(id int64, name string) {
		if _, twice := got[id]; twice {
			panic(fmt.Sprintf("goroutine %d seen twice", id))
		}
		got[id] = name
	})
	return got
}

// Goroutines whose IDs fall on the same slot, or on slots their
// neighbours took, are all held, in the table or in the overflow map, and
// each is gone once removed.
func TestNameRegistryHoldsCollidingGoroutines(t *testing.T) {
	var r nameRegistry
	want := map[int64]string{}
	where := map[int64]int{}
	add := func(id int64) {
		name := "worker-" + strconv.FormatInt(id, 10) // built, not constant
		where[id] = r.add(id, name)
		want[id] = name
	}
	for k := range int64(nameProbe + 3) {
		add(5 + k*nameSlots) // one slot, more goroutines than probes
	}
	add(6)
	add(nameSlots - 1) // probes wrap to the table's start
	add(2*nameSlots - 1)
	if !maps.Equal(registered(&r), want) {
		t.Fatalf("registered %v, want %v", registered(&r), want)
	}
	overflowed := 0
	for _, at := range where {
		if at == inOverflow {
			overflowed++
		}
	}
	if overflowed == 0 {
		t.Fatalf("no goroutine went to the overflow map: %v", where)
	}
	for _, id := range []int64{5, 5 + 2*nameSlots, 6, 5 + (nameProbe+2)*nameSlots, nameSlots - 1} {
		r.remove(id, where[id])
		delete(want, id)
		if got := registered(&r); !maps.Equal(got, want) {
			t.Fatalf("after removing %d: registered %v, want %v", id, got, want)
		}
	}
	// A freed slot is taken again.
	add(5 + 9*nameSlots)
	if where[5+9*nameSlots] == inOverflow {
		t.Fatalf("a goroutine went to the map while its slot was free")
	}
	if got := registered(&r); !maps.Equal(got, want) {
		t.Fatalf("registered %v, want %v", got, want)
	}
}

// While goroutines come and go, a reader sees every one that stays, and
// every name it sees is the name of the goroutine it sees it for.
func TestNameRegistryReadWhileChanging(t *testing.T) {
	var r nameRegistry
	name := func(id int64) string { return "g" + strconv.FormatInt(id, 10) }
	const stay = 300
	for id := int64(1); id <= stay; id++ {
		r.add(id*7, name(id*7))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			next := int64(1_000_000 * (w + 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				var ids [16]int64
				var at [16]int
				for i := range ids {
					next++
					ids[i] = next
					at[i] = r.add(next, name(next))
				}
				for i := range ids {
					r.remove(ids[i], at[i])
				}
			}
		})
	}
	for range 300 {
		seen := 0
		r.each(func(id int64, got string) {
			if got != name(id) {
				t.Errorf("goroutine %d named %q", id, got)
			}
			if id <= 7*stay && id%7 == 0 {
				seen++
			}
		})
		if seen != stay {
			t.Errorf("saw %d of the %d goroutines that stay", seen, stay)
		}
	}
	close(stop)
	wg.Wait()
}
