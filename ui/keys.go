package ui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// action is what a key asks for; Update carries it out in one place.
type action int

const (
	actNone action = iota
	actUp
	actDown
	actPageUp
	actPageDown
	actTop
	actBottom
	actSortLeft
	actSortRight
	actInvert
	actEnter
	actBack
	actFilter
	actPause
	actHelp
	actWarnings
	actQuit
	actTasks
	actOps
	actResources
	actParent    // a goroutine's parent
	actWaker     // the goroutine that last woke it
	actBlockedOn // the resource it waits on
	actSaveTrace
	actTrace    // the selected span's whole trace
	actTree     // tasks: tree mode on / off
	actSpans    // an operation's spans in the tasks view
	actCollapse // trace: fold, or go to the parent
	actExpand   // trace: unfold, or go to the first child
	actFold     // trace: fold / unfold
)

// viewMask says in which views a binding applies.
type viewMask uint16

const (
	inTasks viewMask = 1 << iota
	inOps
	inDetails
	inResources
	inGoroutine
	inResource
	inTrace
	inOpDetails
	inTables = inTasks | inOps | inResources
	// inPages are the details views: they scroll rather than select rows.
	inPages = inDetails | inGoroutine | inResource
	inAll   = inTables | inPages | inTrace | inOpDetails
)

// binding is one line of the key table. The footer and the help overlay are
// both rendered from this table, and Update dispatches through it, so the
// help can never list a key that does nothing.
type binding struct {
	keys  []string // as tea.KeyPressMsg.String() reports them
	acts  []action // parallel to keys
	label string   // how the keys are shown
	ascii string   // label under --ascii (empty: same)
	desc  string   // help overlay text
	views viewMask
	// foot is the footer's short text ("" keeps it out of the footer);
	// footDetails replaces it in the span details, footNav in the trace
	// and operation views. Lower footPrio entries leave the footer first
	// when it does not fit.
	foot, footDetails, footNav string
	footPrio                   int
}

var bindings = []binding{
	{keys: []string{"up", "k", "down", "j"}, acts: []action{actUp, actUp, actDown, actDown},
		label: "↑↓ j k", ascii: "up/down j k", desc: "move the selection (details: scroll, stopping at each link)", views: inAll,
		foot: "select", footDetails: "scroll", footPrio: 90},
	{keys: []string{"pgup", "pgdown", "ctrl+b", "ctrl+f"}, acts: []action{actPageUp, actPageDown, actPageUp, actPageDown},
		label: "PgUp PgDn", desc: "move by a page (also ctrl+b ctrl+f)", views: inAll, foot: "page", footPrio: 20},
	{keys: []string{"g", "home", "G", "end"}, acts: []action{actTop, actTop, actBottom, actBottom},
		label: "g G", desc: "go to the top (and follow it) / the bottom (also home end)", views: inAll, foot: "top/end", footPrio: 10},
	{keys: []string{"left", "h", "right", "l"}, acts: []action{actSortLeft, actSortLeft, actSortRight, actSortRight},
		label: "←→ h l", ascii: "left/right h l", desc: "sort by the previous / next column", views: inTables,
		foot: "sort", footPrio: 80},
	{keys: []string{"left", "h", "right", "l"}, acts: []action{actCollapse, actCollapse, actExpand, actExpand},
		label: "←→ h l", ascii: "left/right h l",
		desc:  "fold the span's children (folded or a leaf: go to the parent) / unfold them (unfolded: go down)",
		views: inTrace, foot: "fold", footPrio: 80},
	{keys: []string{"c"}, acts: []action{actFold}, label: "c", desc: "fold / unfold the selected span's children",
		views: inTrace, foot: "", footPrio: 30},
	{keys: []string{"i"}, acts: []action{actInvert}, label: "i", desc: "invert the sort order", views: inTables,
		foot: "invert", footPrio: 50},
	{keys: []string{"T"}, acts: []action{actTree}, label: "T",
		desc: "tree mode: children under their parents (again: a flat table)", views: inTasks,
		foot: "tree", footPrio: 65},
	{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter", desc: "the selected span's details (its trace on top) or goroutine's",
		views: inTasks | inTrace, foot: "details", footPrio: 70},
	{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
		desc: "the operation's details: percentiles, histogram, recent history, slowest spans", views: inOps,
		foot: "details", footPrio: 70},
	{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter", desc: "details of the selected resource, or where the selected link leads",
		views: inResources | inGoroutine | inResource, foot: "details", footDetails: "open", footPrio: 70},
	{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter", desc: "open the selected span (its details and trace)",
		views: inOpDetails, foot: "open span", footPrio: 70},
	{keys: []string{"w"}, acts: []action{actTrace}, label: "w", desc: "the span's whole trace as a waterfall",
		views: inTasks | inDetails, foot: "trace", footPrio: 68},
	{keys: []string{"s"}, acts: []action{actSpans}, label: "s", desc: "the operation's spans in the tasks view",
		views: inOps | inOpDetails, foot: "spans", footPrio: 45},
	{keys: []string{"esc"}, acts: []action{actBack}, label: "esc",
		desc: "back to the previous view; in a table, clear the filter", views: inAll, footDetails: "back", footNav: "back", footPrio: 95},
	{keys: []string{"/"}, acts: []action{actFilter}, label: "/",
		desc: "filter as you type: text name=x dur>100ms name~^GET (regexp)", views: inTables,
		foot: "filter", footPrio: 60},
	{keys: []string{"space"}, acts: []action{actPause}, label: "space",
		desc: "pause / resume the screen (ingest goes on)", views: inAll, foot: "pause", footPrio: 55},
	{keys: []string{"t", "o", "r"}, acts: []action{actTasks, actOps, actResources}, label: "t o r",
		desc: "tasks / operations / resources view", views: inAll, foot: "views", footPrio: 40},
	{keys: []string{"p", "w", "b"}, acts: []action{actParent, actWaker, actBlockedOn}, label: "p w b",
		desc: "goroutine: go to its parent / waker / the resource it waits on", views: inGoroutine,
		foot: "jump", footPrio: 30},
	{keys: []string{"s"}, acts: []action{actSaveTrace}, label: "s",
		desc: "goroutine: save its process's execution trace (go tool trace)", views: inGoroutine,
		foot: "save trace", footPrio: 45},
	{keys: []string{"W"}, acts: []action{actWarnings}, label: "W", desc: "show / hide the warnings panel (each warning, its count and the flag that sets its threshold)",
		views: inAll, foot: "warnings", footPrio: 35},
	{keys: []string{"?"}, acts: []action{actHelp}, label: "?", desc: "show / hide this help", views: inAll,
		foot: "help", footPrio: 100},
	{keys: []string{"q", "ctrl+c"}, acts: []action{actQuit, actQuit}, label: "q", desc: "quit (also ctrl+c)",
		views: inAll, foot: "quit", footPrio: 100},
}

// mouseHelp is shown under the key table in the help overlay.
func mouseHelp(v viewMask) string {
	switch v {
	case inDetails:
		return "click a span of the trace: its details; wheel: scroll"
	case inTrace:
		return "click: select (again: open), its fold mark: fold; wheel: scroll"
	case inOpDetails:
		return "click a span: select (again: open); wheel: move"
	case inGoroutine, inResource:
		return "click a link: select (again: open); wheel: scroll"
	}
	return "click: select (again: open), a header: sort; wheel: scroll"
}

func (b *binding) shown(ascii bool) string {
	if ascii && b.ascii != "" {
		return b.ascii
	}
	return b.label
}

// lookup finds the action of key in view v.
func lookup(v viewMask, key string) action {
	for i := range bindings {
		b := &bindings[i]
		if b.views&v == 0 {
			continue
		}
		if k := slices.Index(b.keys, key); k >= 0 {
			return b.acts[k]
		}
	}
	return actNone
}

// footerLine renders the one-line key help for view v in at most w cells,
// leaving out the least important entries first.
func footerLine(st *styles, v viewMask, w int) string {
	type entry struct {
		key, text string
		prio      int
	}
	var es []entry
	for i := range bindings {
		b := &bindings[i]
		if b.views&v == 0 {
			continue
		}
		text := b.foot
		switch {
		case v&inPages != 0 && b.footDetails != "":
			text = b.footDetails
		case v&(inTrace|inOpDetails) != 0 && b.footNav != "":
			text = b.footNav
		}
		if text == "" {
			continue
		}
		es = append(es, entry{b.shown(st.ascii), text, b.footPrio})
	}
	render := func() (string, int) {
		var b strings.Builder
		n := 0
		for i, e := range es {
			if i > 0 {
				b.WriteString("  ")
				n += 2
			}
			b.WriteString(st.key.r(st.bold.r(e.key)))
			b.WriteByte(' ')
			b.WriteString(st.muted.r(e.text))
			n += width(e.key) + 1 + width(e.text)
		}
		return b.String(), n
	}
	for {
		s, n := render()
		if n <= w || len(es) <= 1 {
			return st.padLine(s, w)
		}
		low := 0
		for i := range es {
			if es[i].prio < es[low].prio {
				low = i
			}
		}
		es = slices.Delete(es, low, low+1)
	}
}

// helpLines renders the help overlay: a box listing every binding of view
// v, centred in w cells and h lines.
func helpLines(st *styles, v viewMask, w, h int) []string {
	ascii := st.ascii
	var body []boxLine
	for i := range bindings {
		if bindings[i].views&v != 0 {
			body = append(body, boxLine{bindings[i].shown(ascii), bindings[i].desc})
		}
	}
	body = append(body, boxLine{}, boxLine{"mouse", mouseHelp(v)})
	return box(st, " keys: "+viewName(v)+" ", body, w, h)
}

// boxLine is one line of an overlay box: a bold key column and its text.
type boxLine struct{ key, text string }

// box draws lines in a bordered box centred in a w×h area; long texts
// wrap inside it.
func box(st *styles, title string, body []boxLine, w, h int) []string {
	keyW := 0
	for _, l := range body {
		keyW = max(keyW, width(l.key))
	}
	inner := 0
	for _, l := range body {
		inner = max(inner, keyW+2+width(l.text)+2)
	}
	inner = min(inner, max(w-2, keyW+4))
	var out []string
	top := st.sym.tl + st.sym.h + title + strings.Repeat(st.sym.h, max(inner-1-width(title), 0)) + st.sym.tr
	out = append(out, st.title.r(top))
	blank := 0 // the last empty line, the first to go when the box is too tall
	for _, l := range body {
		if l.key == "" {
			blank = len(out)
		}
		k := " " + st.fit(l.key, keyW, false) + "  "
		room := inner - width(k)
		// Long descriptions wrap inside the box rather than being cut.
		for i, part := range strings.Split(ansi.Wordwrap(l.text, max(room-1, 1), ""), "\n") {
			if i > 0 {
				k = strings.Repeat(" ", width(k))
			}
			text := st.key.r(st.bold.r(k)) + st.fit(part, room, false)
			out = append(out, st.title.r(st.sym.v)+text+st.title.r(st.sym.v))
		}
	}
	out = append(out, st.title.r(st.sym.bl+strings.Repeat(st.sym.h, inner)+st.sym.br))
	if len(out) > h && blank > 0 {
		out = slices.Delete(out, blank, blank+1) // no room for the blank line
	}
	// Centre the box in the area.
	pad := strings.Repeat(" ", max((w-(inner+2))/2, 0))
	res := make([]string, 0, h)
	for range max((h-len(out))/2, 0) {
		res = append(res, "")
	}
	for _, l := range out {
		if len(res) == h {
			break
		}
		res = append(res, st.padLine(pad+l, w))
	}
	for len(res) < h {
		res = append(res, "")
	}
	return res
}

// viewName names a view in the help.
func viewName(v viewMask) string {
	switch v {
	case inTasks:
		return "tasks"
	case inOps:
		return "operations"
	case inDetails:
		return "span details"
	case inTrace:
		return "trace"
	case inOpDetails:
		return "operation details"
	case inResources:
		return "resources"
	case inGoroutine:
		return "goroutine details"
	case inResource:
		return "resource details"
	}
	return "all views"
}
