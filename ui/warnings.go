package ui

import (
	"strings"

	"github.com/spantop/spantop/model"
)

// warnLabels are the header's short names of the warnings.
var warnLabels = [model.WarnKinds]string{
	model.WarnLongInFlight:    "long in flight",
	model.WarnLost:            "lost",
	model.WarnNoRemoteChild:   "no remote child",
	model.WarnOrphan:          "orphans",
	model.WarnRootBurst:       "root bursts",
	model.WarnBlocked:         "blocked goroutines",
	model.WarnNeverYields:     "long runs",
	model.WarnGoroutineGrowth: "goroutine growth",
	model.WarnErrorSpike:      "error spikes",
	model.WarnDropped:         "dropped",
}

// warnLine renders the header's warnings line: a count per kind, most
// serious first, or a calm "no warnings".
func (a *App) warnLine() string {
	st := a.st
	if len(a.warns) == 0 {
		if note := a.badNote(); note != "" {
			return st.padLine(st.muted.r("no warnings")+note+st.muted.r("  (W: details)"), a.width)
		}
		return st.padLine(st.muted.r("no warnings"), a.width)
	}
	var b strings.Builder
	b.WriteString(st.warn.r(st.bold.r(st.sym.warn + " warnings")))
	for _, w := range a.warns {
		b.WriteString("  ")
		b.WriteString(st.warn.r(fmtCount(w.Count)))
		b.WriteString(" ")
		b.WriteString(warnLabels[w.Kind])
	}
	b.WriteString(a.badNote())
	b.WriteString(st.muted.r("  (W: details)"))
	return st.padLine(b.String(), a.width)
}

// prepareWarnings renders the header line and, when it is open, the
// warnings panel.
func (a *App) prepareWarnings() {
	a.head[3] = a.warnLine()
	if !a.warnPanel {
		return
	}
	var body []boxLine
	if len(a.warns) == 0 {
		body = append(body, boxLine{"", "no warnings: nothing has crossed a threshold"})
	}
	for _, w := range a.warns {
		text := sanitize(w.Text)
		if w.Flag != "" {
			text += " [" + w.Flag + "]"
		}
		if w.Kind < model.WarnGoroutineGrowth { // a warning on rows: they can be filtered
			text += " · / warn=" + w.Kind.String()
		}
		body = append(body, boxLine{fmtCount(w.Count) + " " + warnLabels[w.Kind], text})
	}
	for _, l := range a.badRequestLines("") {
		body = append(body, boxLine{"", l})
	}
	body = append(body, boxLine{}, boxLine{"", "filter the tasks with warn>0 or warn=<kind>, or sort by the Warn column; thresholds are flags (spantop help)"})
	a.warnBox = box(a.st, " warnings ", body, a.width, a.rows()+1)
}
