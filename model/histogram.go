package model

import (
	"math/bits"
	"time"
)

// Histogram is a log-linear latency histogram in nanoseconds: values below
// 128 ns are exact, above that each power of two is split into 128 linear
// buckets, so every recorded value keeps better than 1% (two significant
// digits). Bucket arrays are allocated per power of two on first use, so an
// operation whose latencies span a few decades costs a few KiB.
type Histogram struct {
	groups [64]*[subBuckets]uint32
	count  uint64
	max    int64
	min    int64
}

const (
	subBits    = 7
	subBuckets = 1 << subBits
	groupBytes = subBuckets * 4
)

func bucketOf(v int64) (group, sub int) {
	if v < subBuckets {
		return 0, int(v)
	}
	e := bits.Len64(uint64(v)) - subBits // ≥ 1
	return e, int(uint64(v)>>(e-1)) - subBuckets
}

// lowerBound returns the smallest value of a bucket; upper returns the largest.
func bucketRange(group, sub int) (lo, hi int64) {
	if group == 0 {
		return int64(sub), int64(sub)
	}
	lo = int64(sub+subBuckets) << (group - 1)
	return lo, lo + (int64(1) << (group - 1)) - 1
}

// Record adds one value; negative values count as zero. It returns the
// bytes newly allocated, for the memory budget.
func (h *Histogram) Record(v int64) int64 {
	if v < 0 {
		v = 0
	}
	g, s := bucketOf(v)
	var grew int64
	if h.groups[g] == nil {
		h.groups[g] = new([subBuckets]uint32)
		grew = groupBytes
	}
	h.groups[g][s]++
	if h.count == 0 || v < h.min {
		h.min = v
	}
	h.count++
	if v > h.max {
		h.max = v
	}
	return grew
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.count }

// Max returns the largest recorded value.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Quantile returns the value at quantile q in [0, 1]: the midpoint of the
// bucket holding it, clamped to the recorded min and max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	target := uint64(q*float64(h.count) + 0.5)
	if target < 1 {
		target = 1
	}
	if target > h.count {
		target = h.count
	}
	var seen uint64
	for g, grp := range h.groups {
		if grp == nil {
			continue
		}
		for s, n := range grp {
			if n == 0 {
				continue
			}
			seen += uint64(n)
			if seen >= target {
				lo, hi := bucketRange(g, s)
				v := lo + (hi-lo)/2
				v = min(max(v, h.min), h.max)
				return time.Duration(v)
			}
		}
	}
	return time.Duration(h.max)
}
