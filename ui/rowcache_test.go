package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// Rows are drawn again when their Version or a figure that moves with the
// clock changes, and taken from the cache otherwise: the cache trusts the
// model's Version rather than hashing every field.
func TestRowCacheFollowsVersion(t *testing.T) {
	st := newStyles(Options{NoColor: true})
	tb := newTaskTable()
	tb.setWidth(160, st)
	row := model.TaskRow{ID: 7, Version: 1, State: model.StateRunning, Name: "first.name", Service: "api", Total: time.Second}
	show := func(r model.TaskRow) string {
		tb.apply(model.Page[model.TaskRow]{Rows: []model.TaskRow{r}, Total: 1}, st)
		return tb.lines[0]
	}
	if !strings.Contains(show(row), "first.name") {
		t.Fatalf("row not drawn: %q", tb.lines[0])
	}

	same := row
	same.Name = "second.name" // the model would have bumped Version: the cache is trusted
	if got := show(same); !strings.Contains(got, "first.name") {
		t.Fatalf("an unchanged (ID, Version) was drawn again: %q", got)
	}

	same.Version++
	if got := show(same); !strings.Contains(got, "second.name") {
		t.Fatalf("a row whose Version changed was not drawn again: %q", got)
	}

	moved := same
	moved.Total = 3 * time.Second // a live span's Total moves with the clock
	if got := show(moved); !strings.Contains(got, "3.00s") {
		t.Fatalf("a live row whose Total moved was not drawn again: %q", got)
	}

	wide := show(moved)
	tb.setWidth(100, st) // a new layout draws every row again
	if got := show(moved); ansi.StringWidth(got) >= ansi.StringWidth(wide) {
		t.Fatalf("a new width did not draw the row again: %q", got)
	}
}

// An operation's rate and sparkline move with the clock: a change of
// either draws its row again at the same Version.
func TestOpRowRedrawnWhenRateMoves(t *testing.T) {
	r := model.OpRow{ID: 1, Version: 4, Rate: 2, Spark: []uint32{1, 2, 3}}
	k := opKey(&r)
	r.Spark = []uint32{2, 3, 0}
	if opKey(&r) == k {
		t.Fatal("a shifted sparkline kept the cache key")
	}
	k = opKey(&r)
	r.Rate = 1.5
	if opKey(&r) == k {
		t.Fatal("a new rate kept the cache key")
	}
}

// The waterfall's rows are cached like a table's: drawn again when the
// span's Version, its place in the tree or on the time axis, the trace's
// extent or its log mark changes.
func TestWaterfallRowCache(t *testing.T) {
	k := &waterfallKind{v: model.TraceView{Duration: time.Second}}
	r := model.TraceRow{ID: 3, Version: 2, Depth: 1, Offset: time.Millisecond, Duration: 5 * time.Millisecond, SpanID: model.SpanID{1}}
	base := k.cacheKey(&r)
	for name, change := range map[string]func(r *model.TraceRow, k *waterfallKind){
		"version":  func(r *model.TraceRow, _ *waterfallKind) { r.Version++ },
		"depth":    func(r *model.TraceRow, _ *waterfallKind) { r.Depth++ },
		"guides":   func(r *model.TraceRow, _ *waterfallKind) { r.Guides = 1 },
		"last":     func(r *model.TraceRow, _ *waterfallKind) { r.Last = true },
		"folded":   func(r *model.TraceRow, _ *waterfallKind) { r.Collapsed, r.Hidden = true, 4 },
		"hidden":   func(r *model.TraceRow, _ *waterfallKind) { r.Hidden = 9 },
		"critical": func(r *model.TraceRow, _ *waterfallKind) { r.Critical = true },
		"children": func(r *model.TraceRow, _ *waterfallKind) { r.Children = 1 },
		"offset":   func(r *model.TraceRow, _ *waterfallKind) { r.Offset *= 2 },
		"duration": func(r *model.TraceRow, _ *waterfallKind) { r.Duration *= 2 },
		"extent":   func(_ *model.TraceRow, k *waterfallKind) { k.v.Duration *= 2 },
		"logs": func(r *model.TraceRow, k *waterfallKind) {
			k.marks = map[model.SpanID]model.LogMark{r.SpanID: {Logs: 1}}
		},
	} {
		r2, k2 := r, *k
		change(&r2, &k2)
		if k2.cacheKey(&r2) == base {
			t.Errorf("a change of %s kept the cache key", name)
		}
	}
}
