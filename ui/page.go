package ui

import (
	"strconv"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"

	"github.com/charmbracelet/x/ansi"
)

// pageLink is a line of a page that leads somewhere.
type pageLink struct {
	line int
	to   target
}

// page is the prepared content of a details view with links (a
// goroutine's, a resource's): lines exactly the view's width, and which of
// them are links. One link is selected and drawn in reverse video; ↑↓ step
// from link to link the way a text browser does, scrolling line by line
// where no further link is on screen. The selection is kept by target
// when the page is rebuilt.
type page struct {
	raw    []string // as built
	lines  []string // raw, with the selected link highlighted
	links  []pageLink
	sel    int // index into links; -1 when there are none
	scroll int
	// values are the values cut short on the page, which links of kind
	// linkValue open whole in a pager.
	values []cutValue
	// jump makes ↑↓ go from link to link wherever the next one is,
	// scrolling to show it (a list of spans), rather than stop at each
	// link on the way while scrolling line by line (a text).
	jump bool
}

// cutValue is a value a page shows only the start of.
type cutValue struct{ label, value string }

// scrollBy moves the view by n lines within [0, len-height].
func (p *page) scrollBy(n, height int) {
	p.scroll = min(max(p.scroll+n, 0), max(len(p.lines)-height, 0))
}

// selected returns the selected link's target.
func (p *page) selected() (target, bool) {
	if p.sel < 0 || p.sel >= len(p.links) {
		return target{}, false
	}
	return p.links[p.sel].to, true
}

// highlight selects link i (-1: none).
func (p *page) highlight(st *styles, i int) {
	if p.sel >= 0 && p.sel < len(p.links) {
		l := p.links[p.sel].line
		p.lines[l] = p.raw[l]
	}
	p.sel = -1
	if i >= 0 && i < len(p.links) {
		p.sel = i
		l := p.links[i].line
		p.lines[l] = st.reverse.r(ansi.Strip(p.raw[l]))
	}
}

// step moves the selection to the next (dir 1) or previous (dir -1) link
// on screen, or scrolls one line when there is none. A selection scrolled
// off screen restarts from the screen's edge.
func (p *page) step(st *styles, dir, height int) {
	visible := func(line int) bool { return line >= p.scroll && line < p.scroll+height }
	cur := -1
	if p.sel >= 0 && p.sel < len(p.links) && visible(p.links[p.sel].line) {
		cur = p.links[p.sel].line
	}
	next := -1
	if dir > 0 {
		from := cur
		if cur < 0 {
			from = p.scroll - 1
		}
		for i, l := range p.links {
			if l.line > from {
				next = i
				break
			}
		}
	} else {
		from := cur
		if cur < 0 {
			from = p.scroll + height
		}
		for i := len(p.links) - 1; i >= 0; i-- {
			if p.links[i].line < from {
				next = i
				break
			}
		}
	}
	if next >= 0 && visible(p.links[next].line) {
		p.highlight(st, next)
		return
	}
	p.scrollBy(dir, height)
	if next >= 0 && visible(p.links[next].line) {
		p.highlight(st, next)
	}
}

// linkAt returns the index of the link on line i, or -1.
func (p *page) linkAt(line int) int {
	for i, l := range p.links {
		if l.line == line {
			return i
		}
	}
	return -1
}

// pageBuilder prepares the lines of a page w cells wide.
type pageBuilder struct {
	st     *styles
	w      int
	lines  []string
	links  []pageLink
	values []cutValue
}

// labelW is the width of the labels of a page's fields.
const labelW = 13

func (b *pageBuilder) add(s string) { b.lines = append(b.lines, b.st.padLine(s, b.w)) }

// link adds a line that leads to t.
func (b *pageBuilder) link(s string, t target) {
	b.links = append(b.links, pageLink{line: len(b.lines), to: t})
	b.add(s)
}

// field adds "label  value"; an empty value shows as a dash.
func (b *pageBuilder) field(label, value string, sty style) {
	if value == "" {
		value, sty = "-", b.st.muted
	}
	b.wrapped("  "+b.st.muted.r(b.st.fit(label, labelW, false))+" ", sty.r(value))
}

// linkField adds a field that leads to t.
func (b *pageBuilder) linkField(label, value string, t target) {
	b.link("  "+b.st.muted.r(b.st.fit(label, labelW, false))+" "+value+b.st.muted.r(" "+b.st.arrow()), t)
}

// section starts a titled part of the page.
func (b *pageBuilder) section(title string, n int) {
	b.add("")
	if n < 0 {
		b.add(b.st.title.r(b.st.bold.r(title)))
		return
	}
	b.add(b.st.title.r(b.st.bold.r(title + " (" + strconv.Itoa(n) + ")")))
}

// wrapped adds prefix+value (both may be styled), wrapping a long value
// onto indented lines rather than cutting it.
func (b *pageBuilder) wrapped(prefix, value string) {
	pw := ansi.StringWidth(prefix)
	room := b.w - pw
	if room < 10 || ansi.StringWidth(value) <= room {
		b.add(prefix + value)
		return
	}
	indent := strings.Repeat(" ", pw)
	for i, part := range strings.Split(ansi.Hardwrap(value, room, true), "\n") {
		if i == 0 {
			b.add(prefix + part)
		} else {
			b.add(indent + part)
		}
	}
}

// maxShown is the most bytes of a value a page shows in place, and
// maxValueLines the most lines; a longer value is cut, its length shown,
// and it opens whole in a pager. Building a page stays bounded however
// large its values (a 10 MB attribute costs no more than a short one).
const (
	maxShown      = 2048
	maxValueLines = 12
)

// long adds a field whose value may be too long to show whole.
func (b *pageBuilder) long(label, value string, sty style) {
	prefix := "  " + b.st.muted.r(b.st.fit(label, labelW, false)) + " "
	if len(value) <= maxShown {
		b.wrapped(prefix, sty.r(sanitize(value)))
		return
	}
	b.cut(prefix, label, value)
}

// cut adds the start of a long value on one line, with its length and the
// way to see it whole: the line is a link to the value.
func (b *pageBuilder) cut(prefix, label, value string) {
	st := b.st
	note := st.muted.r(" (" + fmtBytes(int64(len(value))) + ", enter shows it whole)")
	room := max(b.w-ansi.StringWidth(prefix)-ansi.StringWidth(note), 8)
	head := firstLine(clip(value, 4*room))
	b.link(prefix+st.truncate(sanitize(head), room)+note, target{linkValue, uint64(len(b.values))})
	b.values = append(b.values, cutValue{label: label, value: value})
}

// attrs adds one "key = value" line per attribute; a multi-line value (a
// stack trace, a query) keeps its lines, a long one is cut.
func (b *pageBuilder) attrs(attrs []model.Attr, indent string) {
	st := b.st
	for i := range attrs {
		a := &attrs[i]
		key := sanitize(clip(a.Key, maxShown))
		prefix := indent + st.key.r(key) + " = "
		val := a.Value.String()
		if len(val) > maxShown || strings.Count(val, "\n") > maxValueLines {
			b.cut(prefix, key, val)
			continue
		}
		for j, line := range strings.Split(strings.TrimRight(val, "\r\n"), "\n") {
			if j == 1 {
				prefix = strings.Repeat(" ", ansi.StringWidth(prefix))
			}
			b.wrapped(prefix, sanitize(strings.TrimSuffix(line, "\r")))
		}
	}
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

// finish stores the lines in p, keeping the selected link by its target
// (or else by its place) and the scroll position.
func (b *pageBuilder) finish(p *page) {
	prev, had := p.selected()
	old := p.sel
	p.raw = b.lines
	p.lines = append(p.lines[:0], b.lines...)
	p.links = b.links
	p.values = b.values
	p.sel = -1
	sel := -1
	if had {
		for i, l := range p.links {
			if l.to == prev {
				sel = i
				break
			}
		}
	}
	if sel < 0 && len(p.links) > 0 {
		sel = min(max(old, 0), len(p.links)-1)
	}
	p.highlight(b.st, sel)
}

// The keys and mouse of a page with links, which every such screen shares.

// pageKeys builds the key set of a page with links; jumps are its own
// keys after the shared ones.
func pageKeys(name string, jumps ...binding) *keySet {
	return &keySet{name: name,
		bindings: append([]binding{keyMoveScroll, keyPage, keyEnds, keyOpenLink, keyEscBack}, jumps...),
		mouse:    "click a link: select (again: open); wheel: scroll"}
}

func (p *page) body(_ *App, h int, line func(string)) {
	for i := range h {
		if j := p.scroll + i; j < len(p.lines) {
			line(p.lines[j])
		} else {
			line("")
		}
	}
}

// act moves through the page's links (one line at a time), scrolls it, or
// opens the selected link.
func (p *page) act(a *App, act action) (tea.Cmd, bool) {
	h := a.detailRows()
	switch act {
	case actUp, actDown, actPageUp, actPageDown, actTop, actBottom:
		if p.jump {
			p.jumpAct(a.st, act, h)
			break
		}
		switch act {
		case actUp:
			p.step(a.st, -1, h)
		case actDown:
			p.step(a.st, 1, h)
		default:
			scrollAct(act, h, p.scrollBy)
		}
	case actEnter:
		if p.sel < 0 || p.sel >= len(p.links) {
			a.statusf(false, "nothing here leads anywhere")
			break
		}
		p.follow(a, p.sel)
	default:
		return nil, false
	}
	return nil, true
}

func (p *page) moveBy(a *App, n int) {
	if p.jump {
		p.jumpBy(a.st, n, a.detailRows())
		return
	}
	p.scrollBy(n, a.detailRows())
}

// follow opens where link i leads: a value in a pager, or another page.
func (p *page) follow(a *App, i int) {
	t := p.links[i].to
	if t.kind == linkValue {
		if int(t.id) < len(p.values) {
			v := p.values[t.id]
			a.push(newPager(v.label, v.value))
		}
		return
	}
	a.open(t)
}

// linkTo returns the index of the first link to t, or -1.
func (p *page) linkTo(t target) int {
	for i, l := range p.links {
		if l.to == t {
			return i
		}
	}
	return -1
}

// jumpAct moves the selection from link to link (a page of them, or to
// the first or the last) and scrolls to show it.
func (p *page) jumpAct(st *styles, act action, h int) {
	switch act {
	case actUp:
		p.jumpBy(st, -1, h)
	case actDown:
		p.jumpBy(st, 1, h)
	case actPageUp:
		p.jumpBy(st, -h, h)
	case actPageDown:
		p.jumpBy(st, h, h)
	case actTop:
		p.jumpBy(st, -1<<30, h)
		p.scroll = 0
	case actBottom:
		p.jumpBy(st, 1<<30, h)
		p.scrollBy(len(p.lines), h)
	}
}

// jumpBy moves the selection n links, scrolling to show it; with no
// links it scrolls.
func (p *page) jumpBy(st *styles, n, h int) {
	if len(p.links) == 0 {
		p.scrollBy(n, h)
		return
	}
	p.highlight(st, min(max(p.sel+n, 0), len(p.links)-1))
	p.show(h)
}

// show scrolls so that the selected link is on screen.
func (p *page) show(h int) {
	if p.sel < 0 || p.sel >= len(p.links) {
		return
	}
	l := p.links[p.sel].line
	if l < p.scroll {
		p.scroll = max(l-1, 0)
	}
	if l >= p.scroll+h {
		p.scroll = l - h + 1
	}
	p.scrollBy(0, h)
}

// click selects the link on line y of the body, and opens it when it
// already was selected.
func (p *page) click(a *App, _, y int) {
	if y < 0 {
		return
	}
	i := p.linkAt(p.scroll + y)
	switch {
	case i < 0:
	case i == p.sel:
		p.follow(a, i)
	default:
		p.highlight(a.st, i)
	}
}

// pageTitle is the title of a page: its name, the lines shown and how
// far back esc goes.
func (a *App) pageTitle(name string, p *page) string {
	st := a.st
	s := st.bold.r(name) + a.lineRange(p.scroll, len(p.lines), a.detailRows())
	if n := len(a.stack) - 1; n > 0 {
		s += st.muted.r("  " + st.sym.bullet + " " + strconv.Itoa(n) + " back")
	}
	return s
}

// scrollAct carries out a scrolling action on a text h lines high; it
// reports false for any other action.
func scrollAct(act action, h int, scrollBy func(n, h int)) bool {
	switch act {
	case actUp:
		scrollBy(-1, h)
	case actDown:
		scrollBy(1, h)
	case actPageUp:
		scrollBy(-h, h)
	case actPageDown:
		scrollBy(h, h)
	case actTop:
		scrollBy(-1<<30, h)
	case actBottom:
		scrollBy(1<<30, h)
	default:
		return false
	}
	return true
}
