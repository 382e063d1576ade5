package ui

import (
	"strings"
	"testing"
)

// esc after s (an operation's spans) goes back to the operations, as the
// help says.
func TestEscAfterOpSpansGoesBack(t *testing.T) {
	f := newFake(200)
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "o", "j", "s")
	if viewName(a) != "tasks" || !strings.Contains(a.tasks.filter, "name=") {
		t.Fatalf("s: view %v filter %q", viewName(a), a.tasks.filter)
	}
	press(a, "esc")
	if viewName(a) != "operations" || a.ops.selRow != 1 {
		t.Errorf("esc after s: view %v row %d, want the operations at row 1", viewName(a), a.ops.selRow)
	}
}

// / edits the filter there is, cursor at the end; on a page without a
// filter it filters the tab the user came from.
func TestSlashEditsTheFilter(t *testing.T) {
	f := newFake(200)
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "/", "s", "v", "c", "enter")
	press(a, "/", "backspace", "-", "1", "enter")
	if a.tasks.filter != "sv-1" {
		t.Errorf("filter %q after editing, want sv-1", a.tasks.filter)
	}
	press(a, "/")
	if s := plain(a); !strings.Contains(s, "/sv-1") {
		t.Errorf("editing does not show the filter being edited:\n%s", s)
	}
	press(a, "enter", "esc", "j", "enter")
	if viewName(a) != "span details" {
		t.Fatalf("enter: view %v", viewName(a))
	}
	press(a, "/")
	if viewName(a) != "tasks" || !a.editing {
		t.Errorf("/ on span details: view %v editing %v, want the tasks' filter", viewName(a), a.editing)
	}
}
