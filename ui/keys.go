package ui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// action is what a key asks for; a screen (or, for the keys every screen
// shares, the App) carries it out.
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
	actParent    // a goroutine's parent
	actWaker     // the goroutine that last woke it
	actBlockedOn // the resource it waits on
	actSaveTrace
	actTrace    // the selected span's whole trace
	actTree     // tasks: tree mode on / off
	actStored   // spans, goroutines: list the rows that lingered out too
	actSpans    // an operation's spans in the tasks view
	actCollapse // trace: fold, or go to the parent
	actExpand   // trace: unfold, or go to the first child
	actFold     // trace: fold / unfold
	// The replay's actions (spantop replay), ui/replay.go.
	actReplayPause
	actReplayStep
	actReplayBack10s
	actReplayFwd10s
	actReplayBack1m
	actReplayFwd1m
	actReplayStart
	actReplayEnd
	// actTab is the first of the actions that show a tab: actTab+i shows
	// the App's i-th tab.
	actTab
)

// binding is one line of a key set. The footer and the help overlay are
// both rendered from a screen's key set, and keys are dispatched through
// it, so the help can never list a key that does nothing.
type binding struct {
	keys  []string // as tea.KeyPressMsg.String() reports them
	acts  []action // parallel to keys
	label string   // how the keys are shown
	ascii string   // label under --ascii (empty: same)
	desc  string   // help overlay text
	// foot is the footer's short text ("" keeps it out of the footer).
	// Lower footPrio entries leave the footer first when it does not fit.
	foot     string
	footPrio int
}

// keySet is what the keys of one screen do: its name in the help, its
// bindings in the order the help lists them, and what the mouse does.
type keySet struct {
	name     string
	bindings []binding
	mouse    string
}

// The bindings screens are made of.
var (
	keyMoveSelect = binding{keys: []string{"up", "k", "down", "j"}, acts: []action{actUp, actUp, actDown, actDown},
		label: "↑↓ j k", ascii: "up/down j k", desc: "move the selection (details: scroll, stopping at each link)",
		foot: "select", footPrio: 90}
	keyMoveScroll = with(keyMoveSelect, "scroll")
	keyPage       = binding{keys: []string{"pgup", "pgdown", "ctrl+b", "ctrl+f"}, acts: []action{actPageUp, actPageDown, actPageUp, actPageDown},
		label: "PgUp PgDn", desc: "move by a page (also ctrl+b ctrl+f)", foot: "page", footPrio: 20}
	keyEnds = binding{keys: []string{"g", "home", "G", "end"}, acts: []action{actTop, actTop, actBottom, actBottom},
		label: "g G", desc: "go to the top (and follow it) / the bottom (also home end)", foot: "top/end", footPrio: 10}
	keySort = binding{keys: []string{"left", "h", "right", "l"}, acts: []action{actSortLeft, actSortLeft, actSortRight, actSortRight},
		label: "←→ h l", ascii: "left/right h l", desc: "sort by the previous / next column", foot: "sort", footPrio: 80}
	keyInvert = binding{keys: []string{"i"}, acts: []action{actInvert}, label: "i", desc: "invert the sort order",
		foot: "invert", footPrio: 50}
	keyFilter = binding{keys: []string{"/"}, acts: []action{actFilter}, label: "/",
		desc: "filter as you type; / again edits the filter (the syntax is at the end of this help)", foot: "filter", footPrio: 60}
	keyEscTable = binding{keys: []string{"esc"}, acts: []action{actBack}, label: "esc",
		desc: "back to the previous view; in a table, clear the filter", footPrio: 95}
	keyEscBack  = with(keyEscTable, "back")
	keyOpenSpan = binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
		desc: "the selected span's details (its trace on top)", foot: "details", footPrio: 70}
	keyWholeTrace = binding{keys: []string{"w"}, acts: []action{actTrace}, label: "w", desc: "the span's whole trace as a waterfall",
		foot: "trace", footPrio: 68}
	keyOpSpans = binding{keys: []string{"s"}, acts: []action{actSpans}, label: "s", desc: "the operation's spans in the tasks view (esc comes back)",
		foot: "spans", footPrio: 45}
	keyStored = binding{keys: []string{"a"}, acts: []action{actStored}, label: "a",
		desc: "all stored: also list finished rows older than --linger (again: the live table)",
		foot: "all stored", footPrio: 30}
	keyOpenLink = binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
		desc: "details of the selected resource, or where the selected link leads", foot: "open", footPrio: 70}
)

// with returns b with another footer text.
func with(b binding, foot string) binding {
	b.foot = foot
	return b
}

// sharedKeys are the keys every screen has, after its own; in a replay,
// space pauses the replay (the screen follows it) and the replay's keys
// come next.
func sharedKeys(tabs []tab, replay bool) []binding {
	b := binding{label: "", desc: "", foot: "views", footPrio: 40}
	var names []string
	for i, t := range tabs {
		b.keys = append(b.keys, t.key)
		b.acts = append(b.acts, actTab+action(i))
		names = append(names, t.s.keys().name)
	}
	b.label = strings.Join(b.keys, " ")
	b.desc = strings.Join(names, " / ") + " view"
	if replay {
		return append(slices.Clone(replayKeys), b)
	}
	return []binding{
		{keys: []string{"space"}, acts: []action{actPause}, label: "space",
			desc: "pause / resume the screen (ingest goes on)", foot: "pause", footPrio: 55},
		b,
	}
}

// lastKeys close every screen's key set.
var lastKeys = []binding{
	{keys: []string{"W"}, acts: []action{actWarnings}, label: "W", desc: "show / hide the warnings panel (each warning, its count and the flag that sets its threshold)",
		foot: "warnings", footPrio: 35},
	{keys: []string{"?"}, acts: []action{actHelp}, label: "?", desc: "show / hide this help", foot: "help", footPrio: 100},
	{keys: []string{"q", "ctrl+c"}, acts: []action{actQuit, actQuit}, label: "q", desc: "quit (also ctrl+c)",
		foot: "quit", footPrio: 100},
}

// allKeys is a screen's key set with the shared keys: its own bindings
// up to esc and the filter, the shared ones, the rest of its own (its
// jumps), then W ? q.
func (a *App) allKeys(ks *keySet) []binding {
	if k, ok := a.keyCache[ks]; ok {
		return k
	}
	own := ks.bindings
	cut := len(own)
	for i := range own {
		if slices.Contains(own[i].keys, "esc") || slices.Contains(own[i].keys, "/") {
			cut = i + 1
		}
	}
	var out []binding
	out = append(out, own[:cut]...)
	out = append(out, sharedKeys(a.tabs, a.opts.Replay != nil)...)
	out = append(out, own[cut:]...)
	out = append(out, lastKeys...)
	a.keyCache[ks] = out
	return out
}

func (b *binding) shown(ascii bool) string {
	if ascii && b.ascii != "" {
		return b.ascii
	}
	return b.label
}

// lookup finds the action of key among bindings.
func lookup(bindings []binding, key string) action {
	for i := range bindings {
		if k := slices.Index(bindings[i].keys, key); k >= 0 {
			return bindings[i].acts[k]
		}
	}
	return actNone
}

// footerLine renders the one-line key help of bindings in at most w
// cells, leaving out the least important entries first.
func footerLine(st *styles, bindings []binding, w int) string {
	type entry struct {
		key, text string
		prio      int
	}
	var es []entry
	for i := range bindings {
		b := &bindings[i]
		if b.foot == "" {
			continue
		}
		es = append(es, entry{b.shown(st.ascii), b.foot, b.footPrio})
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

// helpLines renders the help overlay: a box listing every binding of a
// screen, centred in w cells and h lines.
func helpLines(st *styles, name, mouse string, bindings []binding, extra []boxLine, w, h int) []string {
	ascii := st.ascii
	var body []boxLine
	for i := range bindings {
		body = append(body, boxLine{bindings[i].shown(ascii), bindings[i].desc})
	}
	body = append(body, boxLine{}, boxLine{"mouse", mouse})
	body = append(body, extra...)
	return box(st, " keys: "+name+" ", body, w, h)
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
		for i, part := range wrapWords(l.text, max(room-1, 1)) {
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

// wrapWords wraps text at spaces only, so that words and flag names
// (--warn-inflight, warn=long-in-flight) stay whole; a word longer than a
// line is the only thing cut, at the line's end.
func wrapWords(text string, n int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(text) {
		switch {
		case cur == "":
			cur = w
		case width(cur)+1+width(w) <= n:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
		for width(cur) > n {
			lines = append(lines, ansi.Truncate(cur, n, ""))
			cur = ansi.TruncateLeft(cur, n, "")
		}
	}
	return append(lines, cur)
}
