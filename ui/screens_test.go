package ui

import (
	"time"

	"github.com/spantop/spantop/model"
)

// Helpers that find the screens of the App the tests look into.

// viewName names the screen on top, as its help does.
func viewName(a *App) string { return a.top.keys().name }

// find returns the screen of type T on top, else the latest one on the way
// back, else a new empty one (so that a failing test reports, not panics).
func find[T screen](a *App, empty T) T {
	if s, ok := a.top.(T); ok {
		return s
	}
	for i := len(a.stack) - 1; i >= 0; i-- {
		if s, ok := a.stack[i].(T); ok {
			return s
		}
	}
	return empty
}

func det(a *App) *detailsView   { return find(a, newDetailsView(0)) }
func gor(a *App) *goroutineView { return find(a, newGoroutineView(0)) }
func rsd(a *App) *resourceView  { return find(a, newResourceView(0)) }
func wf(a *App) *traceView      { return find(a, newTraceView([16]byte{}, 0)) }
func opd(a *App) *opDetailsView { return find(a, newOpDetailsView(0)) }

// linkPage returns the page with links on top, if any.
func linkPage(a *App) *page {
	switch v := a.top.(type) {
	case *goroutineView:
		return &v.page
	case *resourceView:
		return &v.page
	}
	return nil
}

// pageLines returns the content of the details page on top.
func pageLines(a *App) []string {
	switch v := a.top.(type) {
	case *goroutineView:
		return v.lines
	case *resourceView:
		return v.lines
	case *detailsView:
		return v.lines
	}
	return nil
}

// linkView names the screen a link leads to.
func linkView(t target) string { return screenFor(t).keys().name }

// keySets are the key sets of every screen.
var keySets = allKeySets

// nextTick is a tick a second after the last one: every tick in a test
// refreshes, as it would in a second of real time.
func nextTick(a *App) tickMsg {
	last := a.pace.last
	if last.IsZero() {
		last = time.Now()
	}
	return tickMsg(last.Add(time.Second))
}

// queryLog is a Source that keeps the last tasks query it answered.
type queryLog struct {
	Source
	last model.Query
}

func (q *queryLog) Tasks(x model.Query) model.Page[model.TaskRow] {
	q.last = x
	return q.Source.Tasks(x)
}
