package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/spantop/spantop/model"
)

// pctW is the width of the percentile column of a histogram block:
// "  p99.9  123.45ms".
const pctW = 2 + 5 + 2 + 8

// histLines draws a latency histogram the way tokio-console's task details
// do: the percentiles p10…p99.9 on the left and, beside them, bars over the
// buckets with the smallest and largest value under them. On a narrow
// block the bars go under the percentiles. noun names what was counted
// ("runs"). Every line is exactly w cells.
func histLines(st *styles, title, noun string, h *model.HistSummary, w int) []string {
	var out []string
	add := func(s string) { out = append(out, st.padLine(s, w)) }
	head := st.title.r(st.bold.r(title))
	if h.Count == 0 {
		add(head + st.muted.r(st.dot()+"no "+noun+" yet"))
		return out
	}
	add(head + st.muted.r(st.dot()+fmtCount(int64(min(h.Count, 1<<62)))+" "+noun+st.dot()+"min ") +
		st.durStyle(h.Min).r(st.fmtDur(h.Min)) + st.muted.r(st.dot()+"max ") + st.durStyle(h.Max).r(st.fmtDur(h.Max)))
	pcts := make([]string, len(model.PercentileRanks))
	for i, p := range model.PercentileRanks {
		s := "  " + st.muted.r(st.fit("p"+strconv.FormatFloat(p, 'f', -1, 64), 5, false)) + "  "
		if i < len(h.Percentiles) {
			d := h.Percentiles[i]
			s += st.durStyle(d).r(st.fit(st.fmtDur(d), 8, true))
		} else {
			s += st.fit("-", 8, true)
		}
		pcts[i] = s
	}
	chartW, side := histChartLayout(w)
	bars, axis := histChart(st, h, chartW, len(pcts))
	if side {
		for i := range max(len(pcts), len(bars)) {
			l := strings.Repeat(" ", pctW)
			if i < len(pcts) {
				l = pcts[i]
			}
			if i < len(bars) {
				l += strings.Repeat(" ", histGap) + bars[i]
			}
			add(l)
		}
		if axis != "" {
			add(strings.Repeat(" ", pctW+histGap) + axis)
		}
		return out
	}
	for _, p := range pcts {
		add(p)
	}
	for _, b := range bars {
		add("    " + b)
	}
	if axis != "" {
		add("    " + axis)
	}
	return out
}

// The chart's layout: beside the percentiles when there is room, else
// under them. Bars wider than three cells tell nothing more; a wide block
// leaves the rest blank.
const histGap, histMaxChart = 3, 72

func histChartLayout(w int) (chartW int, side bool) {
	chartW = w - pctW - histGap
	side = chartW >= 16
	if !side {
		chartW = w - 4
	}
	return min(chartW, histMaxChart), side
}

// histChartWidth is how many buckets a histogram w cells wide can draw:
// one per cell of its chart.
func histChartWidth(w int) int {
	cw, _ := histChartLayout(w)
	return max(cw, 1)
}

// histChart draws the buckets of h as vertical bars height lines tall in
// at most w cells, with eighth blocks for the top of each bar, and the line
// of labels under them. Buckets are merged when there are more than cells.
func histChart(st *styles, h *model.HistSummary, w, height int) (rows []string, axis string) {
	nb := len(h.Buckets)
	if nb == 0 || w < 2 || height < 1 {
		return nil, ""
	}
	cols := min(nb, w)
	vals := make([]uint64, cols)
	for b, n := range h.Buckets {
		vals[b*cols/nb] += n
	}
	bw := w / cols
	gap := 0
	if bw >= 3 {
		gap = 1
	}
	var top uint64
	for _, v := range vals {
		top = max(top, v)
	}
	if top == 0 {
		return nil, ""
	}
	eighths := make([]int, cols)
	for i, v := range vals {
		if v > 0 {
			e := float64(v) / float64(top) * float64(height*8)
			eighths[i] = max(int(e+0.5), 1)
		}
	}
	levels := st.sym.spark
	sty := st.histStyle()
	rows = make([]string, height)
	var b strings.Builder
	for r := range height {
		b.Reset()
		base := (height - 1 - r) * 8
		for i := range cols {
			lv := min(max(eighths[i]-base, 0), 8)
			g := " "
			if lv > 0 {
				g = string(levels[min(lv, len(levels))-1])
			}
			b.WriteString(strings.Repeat(g, bw-gap))
			if gap > 0 {
				b.WriteByte(' ')
			}
		}
		rows[r] = sty.r(b.String())
	}
	lo, hi := h.Min, h.Max
	if len(h.BucketEdges) > 1 {
		lo, hi = h.BucketEdges[0], h.BucketEdges[len(h.BucketEdges)-1]
	}
	los, his := st.fmtDur(lo), st.fmtDur(hi)
	used := cols*bw - gap
	axis = st.muted.r(los + strings.Repeat(" ", max(used-width(los)-width(his), 1)) + his)
	var sum uint64
	for _, n := range h.Buckets {
		sum += n
	}
	if out := h.Count - min(sum, h.Count); out > 0 {
		axis += st.muted.r("  " + fmtCount(int64(min(out, 1<<62))) + " above")
	}
	return rows, axis
}

// splitBar draws busy, scheduled and idle time as one bar w cells wide,
// each part's share of the cells proportional to its time; a part that is
// not zero gets at least one cell when there is room.
func splitBar(st *styles, parts [3]time.Duration, w int) string {
	var total float64
	for _, p := range parts {
		total += float64(max(p, 0))
	}
	if total <= 0 || w <= 0 {
		return ""
	}
	var cells [3]int
	var rem [3]float64
	used := 0
	for i, p := range parts {
		f := float64(max(p, 0)) * float64(w) / total
		cells[i] = int(f)
		rem[i] = f - float64(cells[i])
		used += cells[i]
	}
	for ; used < w; used++ { // largest remainder first
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		cells[best]++
		rem[best] = -1
	}
	for i, p := range parts {
		if p > 0 && cells[i] == 0 {
			j := 0
			for k := range cells {
				if cells[k] > cells[j] {
					j = k
				}
			}
			if cells[j] > 1 {
				cells[j]--
				cells[i]++
			}
		}
	}
	glyphs, stys := st.splitGlyphs(), st.splitStyles()
	var b strings.Builder
	for i := range parts {
		if cells[i] > 0 {
			b.WriteString(stys[i].r(strings.Repeat(glyphs[i], cells[i])))
		}
	}
	return b.String()
}

// sideBySide puts two blocks of lines next to each other: left in lw
// cells, a gap, then right; the result's lines are w cells.
func sideBySide(st *styles, left, right []string, lw, gap, w int) []string {
	out := make([]string, 0, max(len(left), len(right)))
	for i := range max(len(left), len(right)) {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out = append(out, st.padLine(st.padLine(l, lw)+strings.Repeat(" ", gap)+r, w))
	}
	return out
}
