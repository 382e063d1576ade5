package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// At 80×24 a table never sorts by a column that is not on screen: stepping
// the sort through every column (those dropped for room, and those with
// no value on screen, like Busy for spans without runtime figures) shows
// each in the column header, marked.
func TestSortColumnIsAlwaysShown(t *testing.T) {
	f := newFake(200)
	a := newApp(t, f, Options{}, 80, 24)
	for _, tab := range []string{"t", "u", "o", "r"} {
		press(a, tab)
		for range 20 {
			press(a, "l")
			title := ansi.Strip(a.title)
			i := strings.Index(title, "sort ")
			if i < 0 {
				t.Fatalf("%s: no sort in the title %q", tab, title)
			}
			name := title[i+5:]
			name = name[:strings.IndexAny(name, "▲▼")]
			head := ansi.Strip(strings.Split(frame(a), "\n")[colHeaderY])
			if !strings.Contains(head, name+"▲") && !strings.Contains(head, name+"▼") {
				t.Errorf("%s: sorted by %q, not in the header %q", tab, name, head)
			}
		}
	}
}

// The boxes (help, warnings) wrap at spaces only: flag names stay whole.
func TestWrapWordsKeepsFlagNames(t *testing.T) {
	text := "12 spans in flight longer than 30s (hung?) [--warn-inflight] · / warn=long-in-flight"
	for n := 20; n <= 40; n++ {
		lines := wrapWords(text, n)
		if got := strings.Join(lines, " "); got != text {
			t.Fatalf("width %d: %q joined is %q", n, lines, got)
		}
		for _, l := range lines {
			if width(l) > n {
				t.Errorf("width %d: line %q too wide", n, l)
			}
		}
		for _, flag := range []string{"[--warn-inflight]", "warn=long-in-flight"} {
			if !strings.Contains(strings.Join(lines, "\n"), flag) {
				t.Errorf("width %d: %q broken: %q", n, flag, lines)
			}
		}
	}
}

// At 80 columns the columns that matter (service, location) get their
// width before the free-form fields.
func TestNarrowTasksShowServiceAndLocationFirst(t *testing.T) {
	a := newApp(t, newFake(50), Options{}, 80, 24)
	head := ansi.Strip(strings.Split(frame(a), "\n")[colHeaderY])
	if !strings.Contains(head, "Service") || !strings.Contains(head, "Location") || strings.Contains(head, "Fields") {
		t.Errorf("80 columns: header %q, want Service and Location before Fields", head)
	}
}
