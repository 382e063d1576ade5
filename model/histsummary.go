package model

import (
	"math/bits"
	"time"
)

// smallHist is a coarse log histogram for per-goroutine run and scheduling
// times: two buckets per power of two of nanoseconds (values within ±25%),
// 352 bytes, allocated on the first sample. A full Histogram would cost a
// few KiB for each of thousands of goroutines.
type smallHist struct {
	buckets [smallBuckets]uint32
	count   uint64
	min     int64
	max     int64
}

const (
	smallPowers  = 44 // up to 2^44 ns, about 4.9 hours; larger values share the last bucket
	smallBuckets = smallPowers * 2
	smallBytes   = smallBuckets*4 + 32
)

func smallBucket(v int64) int {
	if v < 2 {
		return 0
	}
	e := bits.Len64(uint64(v)) - 1 // 2^e <= v < 2^(e+1)
	half := int(uint64(v)>>(e-1)) & 1
	return min(e*2+half, smallBuckets-1)
}

// smallRange returns the bucket's lowest and highest value.
func smallRange(b int) (lo, hi int64) {
	if b <= 1 {
		return 0, 1
	}
	e, half := b/2, b%2
	lo = int64(1)<<e + int64(half)*(int64(1)<<(e-1))
	return lo, lo + (int64(1) << (e - 1)) - 1
}

func (h *smallHist) record(v int64) {
	v = max(v, 0)
	h.buckets[smallBucket(v)]++
	if h.count == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.count++
}

// summarize builds a HistSummary from any histogram that can tell how many
// values lie at or below a value and its quantiles.
func summarize(count uint64, lo, hi int64, quantile func(q float64) time.Duration, atOrBelow func(v int64) uint64) HistSummary {
	s := HistSummary{Count: count}
	if count == 0 {
		return s
	}
	s.Min, s.Max = time.Duration(lo), time.Duration(hi)
	s.Percentiles = make([]time.Duration, len(PercentileRanks))
	for i, p := range PercentileRanks {
		s.Percentiles[i] = quantile(p / 100)
	}
	// The mini histogram: miniBuckets bars, linear between min and max as
	// in tokio-console, each counting the values in its range.
	const miniBuckets = 24
	width := (hi - lo) / miniBuckets
	if width < 1 {
		width = 1
	}
	prev := uint64(0)
	if lo > 0 {
		prev = atOrBelow(lo - 1)
	}
	for b := 0; b < miniBuckets; b++ {
		from := lo + int64(b)*width
		to := from + width - 1
		if b == miniBuckets-1 || to >= hi {
			to = hi
		}
		n := atOrBelow(to)
		s.BucketEdges = append(s.BucketEdges, time.Duration(from))
		s.Buckets = append(s.Buckets, n-min(prev, n))
		prev = n
		if to >= hi {
			break
		}
	}
	s.BucketEdges = append(s.BucketEdges, time.Duration(hi))
	return s
}

func (h *smallHist) summary() HistSummary {
	if h == nil {
		return HistSummary{}
	}
	return summarize(h.count, h.min, h.max, h.quantile, h.atOrBelow)
}

func (h *smallHist) quantile(q float64) time.Duration {
	target := max(uint64(q*float64(h.count)+0.5), 1)
	var seen uint64
	for b, n := range h.buckets {
		seen += uint64(n)
		if seen >= target {
			lo, hi := smallRange(b)
			return time.Duration(min(max(lo+(hi-lo)/2, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// atOrBelow counts values in buckets that end at or below v, plus the part
// of v's own bucket below it, assuming values spread evenly in a bucket.
func (h *smallHist) atOrBelow(v int64) uint64 {
	if v >= h.max {
		return h.count
	}
	var n uint64
	vb := smallBucket(v)
	for b := 0; b < vb; b++ {
		n += uint64(h.buckets[b])
	}
	lo, hi := smallRange(vb)
	n += uint64(float64(h.buckets[vb]) * float64(v-lo+1) / float64(hi-lo+1))
	return n
}

// Summary describes the histogram for a details view.
func (h *Histogram) Summary() HistSummary {
	return summarize(h.count, h.min, h.max, h.Quantile, h.atOrBelow)
}

func (h *Histogram) atOrBelow(v int64) uint64 {
	if v >= h.max {
		return h.count
	}
	var n uint64
	vg, vs := bucketOf(max(v, 0))
	for g, grp := range h.groups {
		if grp == nil || g > vg {
			continue
		}
		for s, c := range grp {
			if g == vg && s > vs {
				break
			}
			n += uint64(c)
		}
	}
	return n
}
