package model

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// randomItems returns n items with keys drawn from keys values (0: any
// int64) and random IDs, some of them goroutine rows.
func randomItems(rng *rand.Rand, n int, keys int64) []item {
	xs := make([]item, n)
	for i := range xs {
		k := int64(rng.Uint64())
		if keys > 0 {
			k = rng.Int64N(keys) - keys/2
		}
		xs[i] = item{key: k, idk: rng.Uint64(), slot: uint32(i)}
		if rng.IntN(5) == 0 {
			xs[i].sym = classGoroutine
		}
	}
	return xs
}

func TestSortItemsMatchesCmp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "a", "ab", "b", "checkout", "checkout-2", "zz"}
	withStrings := &ostree{strings: func(a, b Sym) int {
		return compareStr(strs[a&^classGoroutine], strs[b&^classGoroutine])
	}}
	for _, n := range []int{0, 1, 5, radixMin - 1, radixMin, 3000, 20_000} {
		for _, keys := range []int64{0, 1, 3, 50_000_000} {
			for _, tree := range []*ostree{{}, withStrings} {
				xs := randomItems(rng, n, keys)
				if tree.strings != nil {
					for i := range xs {
						xs[i].sym |= Sym(rng.IntN(len(strs)))
					}
				}
				want := slices.Clone(xs)
				slices.SortFunc(want, tree.cmp)
				scratch := tree.sortItems(xs, nil)
				if !slices.Equal(xs, want) {
					t.Fatalf("n=%d keys=%d strings=%v: order differs from cmp", n, keys, tree.strings != nil)
				}
				if n >= radixMin && len(scratch) < n {
					t.Fatalf("n=%d: scratch of %d returned", n, len(scratch))
				}
			}
		}
	}
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// BenchmarkSortLeaving sorts a second's worth of spans lingering out at
// 10k spans/s (durations up to 50 ms), with pdqsort over cmp and with
// sortItems.
func BenchmarkSortLeaving(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := randomItems(rng, 10_000, 50_000_000)
	xs := make([]item, len(src))
	var t ostree
	b.Run("pdqsort", func(b *testing.B) {
		for b.Loop() {
			copy(xs, src)
			slices.SortFunc(xs, t.cmp)
		}
	})
	b.Run("sortItems", func(b *testing.B) {
		var scratch []item
		for b.Loop() {
			copy(xs, src)
			scratch = t.sortItems(xs, scratch)
		}
	})
}

// BenchmarkRemoveLeaving takes spans lingering out from an index of the
// 230k spans a 23 s load at 10k spans/s leaves behind: a second's worth
// and a sweep's (idleSweepGap) scattered over the sort order, per span:
// sorted and sought in batches of at most lingerBatch (seek), and by one
// walk of every leaf dropping their slots (walk), as sweepLinger does;
// walk-cold walks a tree pushed out of the caches, as after the idle
// seconds between two sweeps.
func BenchmarkRemoveLeaving(b *testing.B) {
	for _, n := range []int{10_000, 20_000} {
		for _, how := range []string{"seek", "walk", "walk-cold"} {
			b.Run(how+"/"+strconv.Itoa(n), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(5, 6))
				all := randomItems(rng, 230_000, 50_000_000)
				var t ostree
				for _, x := range all {
					t.insert(x)
				}
				var scratch []item
				var gone slotSet
				for b.Loop() {
					if how == "walk-cold" {
						// As after an idle while: the tree out of the caches.
						b.StopTimer()
						evictCaches()
						b.StartTimer()
					}
					if how != "seek" {
						for _, x := range all[:n] {
							gone.add(x.slot)
						}
						if got := t.removeSlots(gone); got != n {
							b.Fatalf("removed %d of %d", got, n)
						}
						clear(gone)
					}
					for leaving := all[:n]; how == "seek" && len(leaving) > 0; {
						batch := leaving[:min(len(leaving), lingerBatch)]
						leaving = leaving[len(batch):]
						scratch = t.sortItems(batch, scratch)
						if got := t.removeSorted(batch); got != len(batch) {
							b.Fatalf("removed %d of %d", got, len(batch))
						}
					}
					b.StopTimer()
					for _, x := range all[:n] {
						t.insert(x)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
			})
		}
	}
}

// evictionBuffer is larger than the last-level cache.
var evictionBuffer = make([]byte, 64<<20)

// evictCaches writes a line of a buffer larger than the caches at a
// time, pushing out what they held.
func evictCaches() {
	for i := 0; i < len(evictionBuffer); i += 64 {
		evictionBuffer[i]++
	}
}
