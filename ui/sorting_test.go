package ui

import (
	"strings"
	"testing"
)

// A sort change on a large store is answered at once in the previous order
// while the model builds the new index; the title says so until the rows
// come in the new order.
func TestSortChangeSaysSortingUntilTheIndexIsReady(t *testing.T) {
	f := newFake(50)
	a := newApp(t, f, Options{}, 200, 50)
	if s := plain(a); strings.Contains(s, "sorting") {
		t.Fatalf("sorting before any change:\n%s", s)
	}
	f.mu.Lock()
	f.sorting = true
	f.mu.Unlock()
	press(a, "l")
	if s := plain(a); !strings.Contains(s, "sorting") {
		t.Fatalf("a sort change answered in the previous order does not say sorting:\n%s", s)
	}
	f.mu.Lock()
	f.sorting = false
	f.hdr.Changes++ // the model's index became active
	f.mu.Unlock()
	a.Update(nextTick(a))
	if s := plain(a); strings.Contains(s, "sorting") {
		t.Fatalf("still sorting once the index is ready:\n%s", s)
	}
}
