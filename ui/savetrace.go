package ui

import (
	"os"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// traceSavedMsg reports how saving an execution trace went.
type traceSavedMsg struct {
	path string
	size int64 // -1 when unknown
	err  error
}

// saveTrace asks the source to write the recent execution trace of the
// goroutine's process; the writing happens in the returned command.
func (v *goroutineView) saveTrace(a *App) tea.Cmd {
	if !v.d.CanSaveTrace {
		a.statusf(true, "no execution trace of its process is held (agentlib sends one while spantop is reachable)")
		return nil
	}
	a.statusf(false, "saving the execution trace"+a.st.sym.ellipsis)
	src, id := a.src, v.id
	return func() tea.Msg {
		path, err := src.SaveTrace(id)
		m := traceSavedMsg{path: path, size: -1, err: err}
		if err == nil {
			if fi, serr := os.Stat(path); serr == nil {
				m.size = fi.Size()
			}
		}
		return m
	}
}

// traceSaved shows where the trace went, or why it could not be saved.
func (a *App) traceSaved(m traceSavedMsg) {
	if m.err != nil {
		a.statusf(true, "saving the execution trace failed: "+sanitize(m.err.Error()))
		a.prepareChrome()
		return
	}
	p := sanitize(m.path)
	if strings.ContainsAny(p, " \t'\"") {
		p = strconv.Quote(p)
	}
	saved, short := "saved the execution trace", "saved"
	if m.size >= 0 {
		saved = "saved " + fmtBytes(m.size)
		short = saved
	}
	// The command to open it is what matters: on a narrow terminal the
	// words around it go first.
	forms := []string{
		saved + " to " + p + "; open with: go tool trace " + p,
		saved + "; open with: go tool trace " + p,
		short + ": go tool trace " + p,
	}
	msg := forms[len(forms)-1]
	for _, f := range forms {
		if width(f) <= a.width {
			msg = f
			break
		}
	}
	a.statusf(false, msg)
	a.prepareChrome()
}
