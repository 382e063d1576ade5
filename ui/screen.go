package ui

import (
	"slices"

	tea "charm.land/bubbletea/v2"
)

// screen is one view of the UI: a table, a details page, a trace. The App
// shows the screen on top of a stack; the tabs, the footer, the help and
// esc all come from this interface, so a view is one file.
type screen interface {
	// keys is the screen's key set: its name and bindings (the App adds
	// the keys every screen shares) and what the mouse does.
	keys() *keySet
	// refresh asks the source again for what the screen shows, after
	// navigation n.
	refresh(a *App, n nav)
	// layout prepares the screen again for a new size or new styles.
	layout(a *App)
	// title is the title line's text after the tabs.
	title(a *App) string
	// status is the status line when the App has nothing else to say.
	status(a *App) string
	// body draws the h lines between the title and the status line.
	body(a *App, h int, line func(string))
	// act carries out an action of the screen's key set; handled is false
	// for an action it leaves to the App.
	act(a *App, act action) (cmd tea.Cmd, handled bool)
	// click handles a left click at x on line y of the body (0 is the
	// line under the title).
	click(a *App, x, y int)
}

// tab is a table the user starts from: its key and its screen.
type tab struct {
	key string
	s   screen
}

// linkKind is what a link of a details page leads to.
type linkKind uint8

const (
	linkSpan linkKind = iota
	linkGoroutine
	linkResource
	linkOperation
	linkValue  // a value cut short on the page, by its index
	linkLog    // a log record
	linkStream // a metric's stream, charted on its page (0: all of them)
)

// target is where a link leads.
type target struct {
	kind linkKind
	id   uint64
}

// screenFor builds the screen a link leads to.
func screenFor(t target) screen {
	switch t.kind {
	case linkGoroutine:
		return newGoroutineView(t.id)
	case linkResource:
		return newResourceView(t.id)
	case linkOperation:
		return newOpDetailsView(t.id)
	case linkLog:
		return newLogView(t.id)
	}
	return newDetailsView(t.id)
}

// shows reports whether screen s shows what t leads to.
func shows(s screen, t target) bool {
	switch v := s.(type) {
	case *detailsView:
		return t.kind == linkSpan && v.id == t.id
	case *goroutineView:
		return t.kind == linkGoroutine && v.id == t.id
	case *resourceView:
		return t.kind == linkResource && v.id == t.id
	case *opDetailsView:
		return t.kind == linkOperation && v.id == t.id
	case *logView:
		return t.kind == linkLog && v.id == t.id
	}
	return false
}

// maxHistory bounds the way back through followed links.
const maxHistory = 32

// base is the tab the user started from.
func (a *App) base() screen {
	if len(a.stack) > 0 {
		return a.stack[0]
	}
	return a.top
}

// push shows s on top of the current screen; esc comes back.
func (a *App) push(s screen) {
	if len(a.stack) > maxHistory {
		a.stack = slices.Delete(a.stack, 1, 2) // keep the tab at the bottom
	}
	a.stack = append(a.stack, a.top)
	a.top = s
	s.layout(a)
	s.refresh(a, nav{})
}

// open shows what t leads to on top of the current screen, unless it is
// already on screen.
func (a *App) open(t target) {
	if shows(a.top, t) {
		return
	}
	a.push(screenFor(t))
}

// pop goes back to the previous screen; false when there is none.
func (a *App) pop() bool {
	n := len(a.stack)
	if n == 0 {
		return false
	}
	a.top = a.stack[n-1]
	a.stack = a.stack[:n-1]
	a.top.layout(a)
	a.top.refresh(a, a.keepNav())
	return true
}

// switchTo shows tab s, leaving any details and forgetting the way back.
func (a *App) switchTo(s screen) {
	a.stack = a.stack[:0]
	if a.top != s {
		a.top = s
		s.layout(a)
		s.refresh(a, a.keepNav())
	}
}

// keepNav is the navigation that keeps a table's selection where it is.
func (a *App) keepNav() nav {
	if t, ok := a.top.(interface{ state() *tableState }); ok {
		return nav{row: t.state().selRow}
	}
	return nav{}
}
