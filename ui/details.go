package ui

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// detailsView shows everything known about one span.
type detailsView struct {
	id uint64
	latest[model.SpanDetail]
	// lines are the prepared content lines, each exactly width cells.
	lines  []string
	scroll int
	width  int
	// trace is the waterfall around the span, wfRows rows of it; wfLine
	// holds the line of each of its rows.
	trace  model.TraceView
	wfRows int
	wfLine []int
	// cut holds the values too long to show whole, by the line that
	// shows their start; enter (or a click) opens one in a pager.
	cut []cutValue
}

// cutValue is a value the details show only the start of.
type cutValue struct {
	line  int
	label string
	value string
}

func newDetailsView(id uint64) *detailsView { return &detailsView{id: id} }

// refreshFrom fetches the span again and rebuilds the lines.
func (v *detailsView) refreshFrom(src Source, st *styles) {
	d, ok := src.Span(v.id)
	v.set(d, ok)
	v.fetchTrace(src)
	v.build(st)
}

// scrollBy moves the view by n lines within [0, len-height].
func (v *detailsView) scrollBy(n, height int) {
	v.scroll = min(max(v.scroll+n, 0), max(len(v.lines)-height, 0))
}

// build prepares the content lines for the current width.
func (v *detailsView) build(st *styles) {
	w := max(v.width, 20)
	v.lines = v.lines[:0]
	v.cut = v.cut[:0]
	add := func(s string) { v.lines = append(v.lines, st.padLine(s, w)) }
	if !v.found {
		add("")
		add(st.warn.r("  span " + strconv.FormatUint(v.id, 10) + " is no longer stored (retention or the memory budget removed it)."))
		add("  esc goes back.")
		return
	}
	d := &v.d
	field := func(label, value string, sty style) {
		if value == "" {
			value, sty = "-", st.muted
		}
		v.wrapped("  "+st.muted.r(st.fit(label, labelW, false))+" ", value, sty, st, w)
	}
	section := func(title string, n int) {
		add("")
		add(st.title.r(st.bold.r(title + " (" + strconv.Itoa(n) + ")")))
	}
	v.traceSection(st, w)
	v.long("name", d.Name, st.bold, st, w)
	field("trace id", d.TraceID.String(), style{})
	field("span id", d.SpanID.String(), style{})
	parent := d.Parent.String()
	if d.Parent.IsZero() {
		parent = "(root span)"
	}
	field("parent id", parent, style{})
	field("display id", strconv.FormatUint(d.ID, 10), style{})
	field("kind", d.Kind.String(), style{})
	sym, ssty := st.stateSymbol(d.State)
	field("state", sym+" "+d.State.String(), ssty)
	status := d.Status.String()
	if d.StatusMsg != "" {
		status += ": " + sanitize(clip(d.StatusMsg, maxShown))
	}
	stSty := style{}
	if d.Status == model.StatusError {
		stSty = st.bad
	}
	field("status", status, stSty)
	for _, w := range d.Warnings {
		field(st.sym.warn+" warning", sanitize(w), st.warn)
	}
	field("start", fmtTime(d.Start), style{})
	if d.End.IsZero() {
		field("end", "(in flight)", st.good)
	} else {
		field("end", fmtTime(d.End), style{})
	}
	field("duration", st.fmtDur(d.Duration), st.durStyle(d.Duration))
	field("service", sanitize(d.Service), style{})
	scope := sanitize(d.Scope)
	if d.ScopeVersion != "" {
		scope += " " + sanitize(d.ScopeVersion)
	}
	field("scope", scope, style{})
	field("location", sanitize(d.Location), style{})
	field("trace state", sanitize(d.TraceState), style{})
	seq := "none (not an in-flight snapshot)"
	if d.SnapshotSeq > 0 {
		seq = strconv.FormatUint(uint64(d.SnapshotSeq), 10)
	}
	field("snapshot seq", seq, style{})
	field("trace spans", strconv.Itoa(d.TraceSpans)+" stored", style{})
	dropped := "attributes " + strconv.FormatUint(uint64(d.DroppedAttrs), 10) +
		", events " + strconv.FormatUint(uint64(d.DroppedEvents), 10) +
		", links " + strconv.FormatUint(uint64(d.DroppedLinks), 10)
	dsty := style{}
	if d.DroppedAttrs+d.DroppedEvents+d.DroppedLinks > 0 {
		dsty = st.warn
	}
	field("dropped", dropped, dsty)

	section("Attributes", len(d.Attrs))
	v.attrs(d.Attrs, "  ", st, w)

	section("Events", len(d.Events))
	for i := range d.Events {
		e := &d.Events[i]
		off := e.Time.Sub(d.Start)
		sign := "+"
		if off < 0 {
			sign, off = "-", -off
		}
		v.wrapped("  "+st.durStyle(off).r(st.fit(sign+st.fmtDur(off), 10, true))+"  ", sanitize(clip(e.Name, maxShown)), st.bold, st, w)
		v.attrs(e.Attrs, "      ", st, w)
	}

	section("Links", len(d.Links))
	for i := range d.Links {
		l := &d.Links[i]
		v.wrapped("  ", "trace "+l.TraceID.String()+" span "+l.SpanID.String(), style{}, st, w)
		v.attrs(l.Attrs, "      ", st, w)
	}

	section("Resource", len(d.Resource))
	v.attrs(d.Resource, "  ", st, w)
}

// attrs adds one "key = value" line per attribute.
func (v *detailsView) attrs(attrs []model.Attr, indent string, st *styles, w int) {
	for i := range attrs {
		a := &attrs[i]
		key := sanitize(clip(a.Key, maxShown))
		prefix := indent + st.key.r(key) + " = "
		val := a.Value.String()
		if len(val) > maxShown || strings.Count(val, "\n") > maxValueLines {
			v.cutLine(prefix, key, val, st, w)
			continue
		}
		// A multi-line value (a stack trace, a query) keeps its lines.
		for j, line := range strings.Split(strings.TrimRight(val, "\r\n"), "\n") {
			if j == 1 {
				prefix = strings.Repeat(" ", ansi.StringWidth(prefix))
			}
			v.wrapped(prefix, sanitize(strings.TrimSuffix(line, "\r")), style{}, st, w)
		}
	}
}

// maxShown is the most bytes of a value the details show in place, and
// maxValueLines the most lines; a longer value is cut, its length shown,
// and it opens whole in a pager. Rendering stays bounded however large
// the value (a 10 MB attribute costs no more than a short one).
const (
	maxShown      = 2048
	maxValueLines = 12
)

// long adds a field whose value may be too long to show whole.
func (v *detailsView) long(label, value string, sty style, st *styles, w int) {
	if len(value) <= maxShown {
		v.wrapped("  "+st.muted.r(st.fit(label, labelW, false))+" ", sanitize(value), sty, st, w)
		return
	}
	v.cutLine("  "+st.muted.r(st.fit(label, labelW, false))+" ", label, value, st, w)
}

// cutLine adds the start of a long value on one line, with its length and
// the way to see it whole.
func (v *detailsView) cutLine(prefix, label, value string, st *styles, w int) {
	note := st.muted.r(" " + st.sym.ellipsis + " " + fmtBytes(int64(len(value))) + ", enter shows it whole")
	room := max(w-ansi.StringWidth(prefix)-ansi.StringWidth(note), 8)
	head := firstLine(clip(value, 4*room))
	v.cut = append(v.cut, cutValue{line: len(v.lines), label: label, value: value})
	v.lines = append(v.lines, st.padLine(prefix+st.truncate(sanitize(head), room)+note, w))
}

// clip returns at most n bytes of s, cut at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// wrapped adds prefix+value, wrapping a long value onto indented lines
// rather than cutting it.
func (v *detailsView) wrapped(prefix, value string, sty style, st *styles, w int) {
	pw := ansi.StringWidth(prefix)
	room := w - pw
	if room < 10 || width(value) <= room {
		v.lines = append(v.lines, st.padLine(prefix+sty.r(value), w))
		return
	}
	parts := strings.Split(ansi.Hardwrap(value, room, true), "\n")
	indent := strings.Repeat(" ", pw)
	for i, p := range parts {
		if i == 0 {
			v.lines = append(v.lines, st.padLine(prefix+sty.r(p), w))
		} else {
			v.lines = append(v.lines, st.padLine(indent+sty.r(p), w))
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05.000000 MST")
}

// The span details as a screen.

var detailsKeys = &keySet{name: "span details",
	bindings: []binding{keyMoveScroll, keyPage, keyEnds, keyWholeTrace,
		{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
			desc: "show the value cut short on screen whole", foot: "", footPrio: 70},
		keyEscBack},
	mouse: "click a span of the trace: its details, a value cut short: all of it; wheel: scroll"}

func (v *detailsView) keys() *keySet { return detailsKeys }

func (v *detailsView) refresh(a *App, _ nav) {
	v.wfRows = min(max(a.detailRows()/3, 3), 15)
	v.width = a.width
	v.refreshFrom(a.src, a.st)
	v.scrollBy(0, a.detailRows())
}

func (v *detailsView) layout(a *App) {
	if v.width != a.width || v.lines == nil {
		v.width = a.width
		v.build(a.st)
		v.scrollBy(0, a.detailRows())
	}
}

func (v *detailsView) title(a *App) string {
	st := a.st
	s := st.bold.r("span " + strconv.FormatUint(v.id, 10))
	if v.found {
		s += " " + sanitize(clip(v.d.Name, 4*a.width))
	}
	return s + a.lineRange(v.scroll, len(v.lines), a.detailRows())
}

func (v *detailsView) status(a *App) string {
	if v.gone {
		return a.st.warn.r("span " + strconv.FormatUint(v.id, 10) + " is no longer stored; showing the last copy")
	}
	return ""
}

func (v *detailsView) body(a *App, h int, line func(string)) {
	for i := range h {
		if j := v.scroll + i; j < len(v.lines) {
			line(v.lines[j])
		} else {
			line("")
		}
	}
}

func (v *detailsView) moveBy(a *App, n int) { v.scrollBy(n, a.detailRows()) }

func (v *detailsView) act(a *App, act action) (tea.Cmd, bool) {
	h := a.detailRows()
	switch act {
	case actUp:
		v.scrollBy(-1, h)
	case actDown:
		v.scrollBy(1, h)
	case actPageUp:
		v.scrollBy(-h, h)
	case actPageDown:
		v.scrollBy(h, h)
	case actTop:
		v.scrollBy(-1<<30, h)
	case actBottom:
		v.scrollBy(1<<30, h)
	case actTrace:
		if !v.found {
			a.statusf(false, "the span is not stored")
			break
		}
		a.push(newTraceView(v.d.TraceID, v.id))
	case actEnter:
		// The first value cut short on screen opens whole.
		for _, c := range v.cut {
			if c.line >= v.scroll && c.line < v.scroll+h {
				a.push(newPager(c.label, c.value))
				return nil, true
			}
		}
		a.statusf(false, "no value on screen is cut short")
	default:
		return nil, false
	}
	return nil, true
}

func (v *detailsView) click(a *App, _, y int) {
	l := v.scroll + y
	// A row of the trace at the top opens that span.
	if r, ok := v.traceRowAt(l); ok && !r.Missing && r.ID != v.id {
		a.open(target{linkSpan, r.ID})
		return
	}
	for _, c := range v.cut {
		if c.line == l {
			a.push(newPager(c.label, c.value))
			return
		}
	}
}
