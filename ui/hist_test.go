package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

func TestHistLines(t *testing.T) {
	st := newStyles(Options{})
	h := fakeHist(1, time.Microsecond, 48*time.Millisecond)
	for _, w := range []int{20, 40, 60, 80, 120, 200} {
		lines := histLines(st, "Run time", "runs", &h, w)
		for i, l := range lines {
			if lw := ansi.StringWidth(l); lw != w {
				t.Errorf("w=%d: line %d is %d cells: %q", w, i, lw, ansi.Strip(l))
			}
		}
		s := ansi.Strip(strings.Join(lines, "\n"))
		for _, want := range []string{"Run time · ", " runs · min 1.00µs · max 48.00ms", "p10", "p50", "p99.9"} {
			if !strings.Contains(s, want) && (w >= 60 || !strings.Contains(want, "max")) {
				t.Errorf("w=%d: lacks %q", w, want)
			}
		}
		// Side by side, the title, one line per percentile and the axis;
		// stacked, the bars come under the percentiles.
		side := len(lines) == 1+len(model.PercentileRanks)+1
		if side != (w-pctW-3 >= 16) {
			t.Errorf("w=%d: %d lines", w, len(lines))
		}
		if !strings.Contains(lines[len(lines)-1], "1.00µs") || !strings.HasSuffix(strings.TrimRight(ansi.Strip(lines[len(lines)-1]), " "), "48.00ms") {
			t.Errorf("w=%d: axis %q", w, ansi.Strip(lines[len(lines)-1]))
		}
	}
	var empty model.HistSummary
	if got := histLines(st, "Wait time", "waits", &empty, 40); len(got) != 1 || !strings.Contains(ansi.Strip(got[0]), "Wait time · no waits yet") {
		t.Errorf("empty histogram: %q", got)
	}
}

func TestHistChart(t *testing.T) {
	st := newStyles(Options{NoColor: true})
	h := model.HistSummary{Count: 11, Min: time.Millisecond, Max: 5 * time.Millisecond,
		Buckets:     []uint64{8, 0, 2, 1},
		BucketEdges: []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond, 5 * time.Millisecond}}
	rows, axis := histChart(st, &h, 8, 2)
	// Two cells per bucket, two lines: 8 is the top, 2 a quarter, 1 an eighth.
	want := []string{"██      ", "██  ▄▄▂▂"}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	if axis != "1.00ms 5.00ms" { // wider than the bars: one space apart
		t.Errorf("axis %q", axis)
	}
	// More buckets than cells: merged (8+0 and 2+1).
	rows, _ = histChart(st, &h, 2, 1)
	if rows[0] != "█▃" {
		t.Errorf("merged row %q", rows[0])
	}
	// Wide enough for a gap between bars.
	rows, axis = histChart(st, &h, 16, 1)
	if rows[0] != "███     ▂▂▂ ▁▁▁ " {
		t.Errorf("gapped row %q", rows[0])
	}
	if axis != "1.00ms   5.00ms" { // under the bars, without the last gap
		t.Errorf("axis %q", axis)
	}
	if r, a := histChart(st, &model.HistSummary{Count: 1}, 10, 8); r != nil || a != "" {
		t.Error("a histogram without buckets drew bars")
	}
}

func TestSplitBar(t *testing.T) {
	st := newStyles(Options{NoColor: true})
	for _, c := range []struct {
		parts [3]time.Duration
		w     int
		want  string
	}{
		{[3]time.Duration{1, 1, 2}, 8, "██▓▓░░░░"},
		{[3]time.Duration{1, 0, 1000}, 10, "█░░░░░░░░░"}, // a sliver still shows
		{[3]time.Duration{0, 0, 5}, 4, "░░░░"},
		{[3]time.Duration{1, 2, 3}, 7, "█▓▓░░░░"},
		{[3]time.Duration{}, 10, ""},
	} {
		got := splitBar(st, c.parts, c.w)
		if got != c.want {
			t.Errorf("splitBar(%v, %d) = %q, want %q", c.parts, c.w, got, c.want)
		}
		if c.want != "" && ansi.StringWidth(got) != c.w {
			t.Errorf("splitBar(%v, %d) is %d cells", c.parts, c.w, ansi.StringWidth(got))
		}
	}
	if got := splitBar(newStyles(Options{ASCII: true, NoColor: true}), [3]time.Duration{1, 1, 1}, 3); got != "#+." {
		t.Errorf("ascii split bar %q", got)
	}
}
