package model

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A flood of spans each with a unique 1 MB name and a unique long attribute
// key must not break the budget: names are cut, strings of evicted spans are
// reclaimed, and while the budget cannot be met the model asks ingest to
// refuse (OverBudget) rather than drop what it accepted. Afterwards ordinary
// spans are stored again.
func TestStringFloodKeepsBudget(t *testing.T) {
	const budget = 4 << 20
	m, clk := newTestModel(Config{MaxMemory: budget, MaxString: 64 << 10, Retain: time.Hour})
	long := strings.Repeat("x", 1<<20)
	start := clk.Now()
	refused, offered := 0, 0
	for i := range 600 {
		clk.Advance(20 * time.Millisecond)
		offered++
		if m.Counters().OverBudget.Load() {
			refused++ // what ingest's queue does
		} else {
			m.Apply(m.batch(spec{
				trace: uint64(i + 1), span: 1, name: fmt.Sprintf("%d-%s", i, long),
				start: start, dur: time.Millisecond,
				attrs: map[string]string{fmt.Sprintf("k%d-%s", i, long[:100<<10]): "v"},
			}))
		}
		m.Sweep()
		if used := m.memoryUsed(); used > budget {
			t.Fatalf("after %d requests: memory %d over the budget %d", i+1, used, budget)
		}
	}
	if got := m.Counters().Dropped.Load(); got != 0 {
		t.Errorf("%d spans dropped after being accepted; want them refused instead", got)
	}
	if refused == 0 || refused == offered {
		t.Errorf("refused %d of %d: want some refused while the strings are reclaimed, not all", refused, offered)
	}
	if m.syms.Truncated() == 0 {
		t.Error("no string counted as truncated")
	}
	if m.strs.freed == 0 {
		t.Error("no string bytes reclaimed")
	}
	// Quiet for a while: the strings of evicted spans go, refusing ends.
	for range 100 {
		clk.Advance(100 * time.Millisecond)
		m.Sweep()
	}
	if m.Counters().OverBudget.Load() {
		t.Fatalf("still over budget when idle: memory %d, strings %d (%d ops, %d spans, %d collections, agg %d)", m.memoryUsed(), m.syms.Bytes(), len(m.aggs.ops), m.store.live, m.strs.runs, m.aggs.bytes)
	}
	var ordinary []spec
	for i := range 100 {
		ordinary = append(ordinary, spec{trace: 100000, span: uint64(i + 1), name: "ordinary", start: clk.Now(), dur: time.Millisecond})
	}
	m.Apply(m.batch(ordinary...))
	page := m.Tasks(Query{Sort: TaskID, Filter: "name=ordinary", Limit: 200})
	if page.Total != 100 {
		t.Fatalf("ordinary spans stored after the flood: %d, want 100", page.Total)
	}
	if m.memoryUsed() > budget {
		t.Fatalf("memory %d over the budget %d", m.memoryUsed(), budget)
	}
}

func TestClipMarksTruncation(t *testing.T) {
	s := NewSymbols()
	s.setMaxString(8)
	got := string(s.Clip([]byte("héllo wörld")))
	if !isTruncated(got) || !strings.HasPrefix(got, "héllo w") {
		t.Fatalf("Clip = %q", got)
	}
	if isTruncated("short") || string(s.Clip([]byte("short"))) != "short" {
		t.Fatal("a short string was cut")
	}
	if s.Truncated() != 1 {
		t.Fatalf("Truncated = %d, want 1", s.Truncated())
	}
}

// A handle looked up since the collection opened survives the sweep even if
// nothing stored refers to it yet (a batch decoded but not applied).
func TestCollectKeepsRecentlyInterned(t *testing.T) {
	m, clk := newTestModel(Config{MaxMemory: 1 << 20})
	old := m.syms.InternString("old, referred to by nothing")
	epoch := m.syms.openEpoch()
	queued := m.syms.InternString("in a queued batch")
	clk.Advance(time.Second)
	m.mu.Lock()
	m.collectStrings(epoch)
	m.mu.Unlock()
	if m.syms.String(queued) != "in a queued batch" {
		t.Fatal("a handle interned after the open was freed")
	}
	if m.syms.String(old) != "" {
		t.Fatal("an unreferenced old string was kept")
	}
	if again := m.syms.InternString("reused"); again != old {
		t.Fatalf("freed handle %d not reused (got %d)", old, again)
	}
}

// Strings interned by ingest between the mark and the sweep lie beyond the
// mark's bitmap: the sweep keeps them.
func TestSweepKeepsHandlesAddedAfterTheMark(t *testing.T) {
	s := NewSymbols()
	live := make([]uint64, 1) // marked when the table had under 64 strings
	since := s.openEpoch()
	var ids []Sym
	for i := range 200 {
		ids = append(ids, s.InternString(fmt.Sprint("new-", i)))
	}
	s.sweep(live, since+1) // as if all were old: only those under the bitmap go
	for _, id := range ids {
		if int(id) >= 64 && s.String(id) == "" {
			t.Fatalf("handle %d added after the mark was freed", id)
		}
	}
}
