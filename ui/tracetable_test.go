package ui

import (
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/spantop/spantop/model"
)

// TestGoldenTraces keeps the traces table's body at 80×24 and 200×50: as
// it opens, sorted by span count, filtered, and a trace's waterfall
// opened from it.
func TestGoldenTraces(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		for _, v := range []struct {
			name string
			keys []string
		}{
			{"traces", []string{"x"}},
			{"traces_by_spans", []string{"x", "h", "h", "h"}},
			{"traces_filtered", append([]string{"x", "/"}, strings.Split("dur>100ms service=payments", "")...)},
			{"traces_waterfall", []string{"x", "enter"}},
		} {
			t.Run(v.name+"_"+strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(t *testing.T) {
				a := newApp(t, newFake(300), Options{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, sz[0], sz[1])
				press(a, v.keys...)
				golden.RequireEqual(t, viewPart(a))
			})
		}
	}
}

// checkoutTrace is the demo's many-service trace: the most spans.
func checkoutTrace(t *testing.T, f *fakeSource) model.TraceListRow {
	t.Helper()
	p := f.Traces(model.Query{Sort: model.TraceColSpans, Desc: true, Limit: 1})
	if len(p.Rows) == 0 {
		t.Fatal("the demo has no traces")
	}
	return p.Rows[0]
}

func TestTracesEnterAndBack(t *testing.T) {
	f := newFake(300)
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "x")
	if viewName(a) != "traces" {
		t.Fatalf("x shows %s", viewName(a))
	}
	press(a, "j", "j")
	sel := a.trcs.selID
	want := a.trcs.rows[a.trcs.selRow].TraceID
	press(a, "enter")
	tv, ok := a.top.(*traceView)
	if !ok || tv.traceID != want {
		t.Fatalf("enter on the traces table: %T %v, want the waterfall of %s", a.top, tv, want)
	}
	if !strings.Contains(plain(a), "trace "+want.String()[:8]) {
		t.Fatalf("the waterfall does not name its trace:\n%s", plain(a))
	}
	press(a, "esc")
	if a.top != screen(a.trcs) || a.trcs.selID != sel || a.trcs.selRow != 2 {
		t.Fatalf("esc from the waterfall: %s, selection %d row %d, want traces on %d row 2", viewName(a), a.trcs.selID, a.trcs.selRow, sel)
	}
	// Every column sorts: the title names it.
	for range model.TraceColumns {
		press(a, "l")
		if !strings.Contains(plain(a), "sort ") || len(a.trcs.rows) == 0 {
			t.Fatalf("sorted by %d: no rows or no sort:\n%s", a.trcs.sort, plain(a))
		}
	}
}

// A pasted trace ID finds its trace from any tab: one match opens its
// waterfall (esc: the traces table filtered by it).
func TestPasteTraceIDOpensWaterfall(t *testing.T) {
	f := newFake(300)
	want := checkoutTrace(t, f)
	for _, tabKey := range []string{"t", "o", "L", "x"} {
		a := newApp(t, f, Options{}, 120, 30)
		press(a, tabKey, "/")
		a.Update(tea.PasteMsg{Content: want.TraceID.String()})
		tv, ok := a.top.(*traceView)
		if !ok || tv.traceID != want.TraceID {
			t.Fatalf("tab %s: pasting %s shows %s, want its waterfall", tabKey, want.TraceID, viewName(a))
		}
		if a.editing {
			t.Errorf("tab %s: still editing the filter", tabKey)
		}
		press(a, "esc")
		if a.top != screen(a.trcs) || a.trcs.filter != "trace="+want.TraceID.String() || len(a.trcs.rows) != 1 {
			t.Fatalf("tab %s: esc shows %s filtered %q with %d rows", tabKey, viewName(a), a.trcs.filter, len(a.trcs.rows))
		}
		if tabKey != "x" && a.base() == nil {
			t.Fatal("no base")
		}
	}
}

// A typed prefix that several traces share lists them, filtered; text
// that is not a trace ID stays the table's filter.
func TestTypedTracePrefixListsTraces(t *testing.T) {
	f := newFake(300)
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "t", "/")
	press(a, strings.Split("aa000000", "")...)
	if viewName(a) != "tasks" {
		t.Fatalf("while typing: %s, want the tasks still", viewName(a))
	}
	press(a, "enter")
	if a.top != screen(a.trcs) || a.trcs.filter != "trace=aa000000" || a.trcs.total < 2 {
		t.Fatalf("enter on a shared prefix: %s filter %q total %d", viewName(a), a.trcs.filter, a.trcs.total)
	}
	if a.tasks.filter != "" {
		t.Errorf("the tasks keep the filter %q", a.tasks.filter)
	}
	press(a, "t", "/")
	press(a, strings.Split("checkout", "")...)
	press(a, "enter")
	if viewName(a) != "tasks" || a.tasks.filter != "checkout" {
		t.Fatalf("a word: %s filter %q", viewName(a), a.tasks.filter)
	}
	press(a, "/", "ctrl+u")
	press(a, strings.Split("deadbeef00", "")...)
	press(a, "enter")
	if a.top != screen(a.trcs) || a.trcs.total != 0 || !strings.Contains(plain(a), "no traces match the filter") {
		t.Fatalf("an ID nothing has: %s total %d", viewName(a), a.trcs.total)
	}
}
