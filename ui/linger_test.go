package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// A span's details page opened before the span is removed (by --retain or
// the memory budget) keeps showing what it showed — fields, trace,
// events — marked "(no longer stored)" in its title.
func TestSpanDetailsKeepShowingOnceRemoved(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		f := newFake(20)
		a := newApp(t, f, Options{}, size[0], size[1])
		press(a, "j")
		id := a.tasks.selID
		press(a, "enter")
		name := f.spans[id].Name
		before := plain(a) + pageText(a)
		for _, want := range []string{name, "Trace (", "cache.miss"} {
			if !strings.Contains(before, want) {
				t.Fatalf("%v: details of span %d lack %q:\n%s", size, id, want, before)
			}
		}
		if strings.Contains(before, "no longer stored") {
			t.Fatalf("%v: a stored span's details say it is no longer stored:\n%s", size, before)
		}
		f.mu.Lock()
		delete(f.spans, id)
		f.mu.Unlock()
		tick(a)
		after := plain(a)
		lines := strings.Split(after, "\n")
		after += pageText(a)
		title := ""
		for _, l := range lines {
			if strings.Contains(l, "span ") && strings.Contains(l, name) {
				title = l
				break
			}
		}
		if !strings.Contains(title, "(no longer stored)") {
			t.Errorf("%v: the title of a removed span's details is %q, want it marked (no longer stored):\n%s", size, title, after)
		}
		for _, want := range []string{name, "Trace (", "cache.miss"} {
			if !strings.Contains(after, want) {
				t.Errorf("%v: once the span is removed its details lost %q:\n%s", size, want, after)
			}
		}
		checkFrame(t, a, size[0], size[1])
	}
}

// pageText is the whole text of the details page on top, scrolled or not.
func pageText(a *App) string {
	if v, ok := a.top.(*detailsView); ok {
		return ansi.Strip(strings.Join(v.lines, "\n"))
	}
	return ""
}

// An operation's details page keeps its last figures when the operation
// is no longer known, marked in its title.
func TestOperationDetailsKeepShowingOnceGone(t *testing.T) {
	f := newFake(20)
	a := newApp(t, f, Options{}, 120, 40)
	press(a, "o", "enter")
	before := plain(a)
	if !strings.Contains(before, "Latency") || strings.Contains(before, "no longer stored") {
		t.Fatalf("operation details:\n%s", before)
	}
	f.mu.Lock()
	f.opsGone = true
	f.mu.Unlock()
	tick(a)
	after := plain(a)
	first := strings.SplitN(after, "\n", 8)
	marked := false
	for _, l := range first {
		marked = marked || (strings.Contains(l, "operation ") && strings.Contains(l, "(no longer stored)"))
	}
	if !marked || !strings.Contains(after, "Latency") {
		t.Errorf("a gone operation's details: title marked %v, figures kept %v:\n%s", marked, strings.Contains(after, "Latency"), after)
	}
}

// `a` on the spans and goroutines tables lists every stored row, those
// that lingered out of the live table too, and says so; again, the live
// table. The title counts the older rows kept.
func TestAllStoredToggle(t *testing.T) {
	f := newFake(50)
	f.hdr.Shelved, f.hdr.ShelvedGoroutines = 1234, 7
	a := newApp(t, f, Options{}, 200, 50)
	if q := f.lastTaskQuery(); q.Stored {
		t.Fatalf("the live table asks for stored rows: %+v", q)
	}
	if s := plain(a); !strings.Contains(s, "spans +1234 kept") {
		t.Errorf("the title does not count the older spans kept:\n%s", s)
	}
	press(a, "a")
	if q := f.lastTaskQuery(); !q.Stored || q.Goroutines {
		t.Fatalf("a: query %+v, want the stored spans", q)
	}
	if s := plain(a); !strings.Contains(s, "all stored") || !strings.Contains(s, "all stored spans, those older than --linger too") {
		t.Errorf("a: title and status do not say all stored:\n%s", s)
	}
	press(a, "a")
	if q := f.lastTaskQuery(); q.Stored {
		t.Fatalf("a again: query %+v, want the live table", q)
	}
	press(a, "u", "a")
	if q := f.lastTaskQuery(); !q.Stored || !q.Goroutines {
		t.Fatalf("goroutines, a: query %+v, want the stored goroutines", q)
	}
}
