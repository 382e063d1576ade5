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

// SummaryBuckets is how many buckets a summary has when its reader does
// not ask for a number.
const SummaryBuckets = 24

// summarize builds the one HistSummary every histogram gives: its
// percentiles at PercentileRanks and n buckets, linear from the minimum to
// the top of the bulk as in tokio-console, each counting the values in its
// range. each yields every bucket of the histogram: a value standing for
// it and its count. A long tail would squeeze the bulk into the first
// bucket, so when the maximum is more than twice the p99 the buckets stop
// there and what lies above them counts as outliers (Count minus the
// buckets' sum).
func summarize(count uint64, lo, hi int64, quantile func(q float64) time.Duration, each func(yield func(v int64, c uint64)), n int) HistSummary {
	s := HistSummary{Count: count}
	if count == 0 || n <= 0 {
		return s
	}
	s.Min, s.Max = time.Duration(lo), time.Duration(hi)
	s.Percentiles = make([]time.Duration, len(PercentileRanks))
	for i, p := range PercentileRanks {
		s.Percentiles[i] = quantile(p / 100)
	}
	top := hi
	if p99 := int64(quantile(0.99)); hi > 2*p99 {
		top = 2 * p99
	}
	width := max((top-lo+int64(n))/int64(n), 1) // ceil((top-lo+1)/n)
	s.Buckets = make([]uint64, n)
	s.BucketEdges = make([]time.Duration, n+1)
	for k := range s.BucketEdges {
		s.BucketEdges[k] = time.Duration(lo + int64(k)*width)
	}
	each(func(v int64, c uint64) {
		v = min(max(v, lo), hi)
		if c == 0 || v > top {
			return // an outlier
		}
		s.Buckets[min(int((v-lo)/width), n-1)] += c
	})
	return s
}

func (h *smallHist) summary() HistSummary {
	if h == nil {
		return HistSummary{}
	}
	return summarize(h.count, h.min, h.max, h.quantile, h.each, SummaryBuckets)
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

// each yields every bucket that holds values: its middle, within the
// values seen, and its count.
func (h *smallHist) each(yield func(v int64, c uint64)) {
	for b, n := range h.buckets {
		if n > 0 {
			lo, hi := smallRange(b)
			yield(lo+(hi-lo)/2, uint64(n))
		}
	}
}

// Summary describes the histogram for a details view in SummaryBuckets
// buckets.
func (h *Histogram) Summary() HistSummary { return h.SummaryIn(SummaryBuckets) }

// SummaryIn describes the histogram for a details view in n buckets.
func (h *Histogram) SummaryIn(n int) HistSummary {
	return summarize(h.count, h.min, h.max, h.Quantile, h.each, n)
}

// each yields every bucket that holds values: its middle and its count.
func (h *Histogram) each(yield func(v int64, c uint64)) {
	for g, grp := range h.groups {
		if grp == nil {
			continue
		}
		for sub, c := range grp {
			if c > 0 {
				lo, hi := bucketRange(g, sub)
				yield(lo+(hi-lo)/2, uint64(c))
			}
		}
	}
}
