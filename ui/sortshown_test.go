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
