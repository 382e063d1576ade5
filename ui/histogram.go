package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/spantop/spantop/model"
)

// histLabelW is the width of a mini histogram's count axis: fmtCount
// never needs more.
const histLabelW = 7

// histBuckets is how many buckets a mini histogram w cells wide draws.
func histBuckets(w int) int { return max(w-histLabelW, 1) }

// miniHistogram draws a latency histogram as tokio-console does: one
// column per bucket, bars in eighths of a cell over rows lines (a bucket
// that holds anything shows at least an eighth), the highest count at the
// top left, the range below, and a note of the outliers left out.
func (s *styles) miniHistogram(h *model.HistSummary, w, rows int, sty style) []string {
	var out []string
	if h.Count == 0 || len(h.Buckets) == 0 {
		return append(out, s.muted.r("  no finished spans yet"))
	}
	var top, sum uint64
	for _, n := range h.Buckets {
		top = max(top, n)
		sum += n
	}
	bw := min(len(h.Buckets), max(w-histLabelW, 1))
	eighths := make([]int, bw)
	for i := range bw {
		n := h.Buckets[i]
		e := int(n * uint64(rows*8) / max(top, 1))
		if n > 0 && e == 0 {
			e = 1
		}
		eighths[i] = e
	}
	for row := rows - 1; row >= 0; row-- {
		var b strings.Builder
		label := ""
		if row == rows-1 {
			label = fmtCount(int64(top))
		}
		b.WriteString(s.muted.r(s.fit(label, histLabelW-1, true)))
		b.WriteByte(' ')
		var bars strings.Builder
		for _, e := range eighths {
			level := min(max(e-row*8, 0), 8)
			bars.WriteString(s.sym.hbars[level])
		}
		b.WriteString(sty.r(bars.String()))
		out = append(out, b.String())
	}
	lo := s.fmtDur(h.BucketEdges[0])
	hi := s.fmtDur(h.BucketEdges[min(bw, len(h.BucketEdges)-1)])
	axis := strings.Repeat(" ", histLabelW) + lo
	axis += strings.Repeat(" ", max(histLabelW+bw-width(axis)-width(hi), 1)) + hi
	if out := h.Count - sum; out > 0 {
		axis += s.muted.r("  " + fmtCount(int64(out)) + " outliers (max " + s.fmtDur(h.Max) + ")")
	}
	return append(out, axis)
}

// durSpark draws durations as a sparkline (0: nothing that step).
func (s *styles) durSpark(v []time.Duration, w int) string {
	u := make([]uint32, len(v))
	for i, d := range v {
		u[i] = uint32(min(max(d/time.Microsecond, 0), 1<<31))
		if d > 0 && u[i] == 0 {
			u[i] = 1
		}
	}
	return s.sparkline(u, w)
}

// rateSpark draws rates as a sparkline.
func (s *styles) rateSpark(v []float64, w int) string {
	u := make([]uint32, len(v))
	for i, r := range v {
		u[i] = uint32(min(r*100, 1<<31))
		if r > 0 && u[i] == 0 {
			u[i] = 1
		}
	}
	return s.sparkline(u, w)
}

// percentileLabel names a percentile: p50, p99.9.
func percentileLabel(p float64) string {
	return "p" + strconv.FormatFloat(p, 'f', -1, 64)
}
