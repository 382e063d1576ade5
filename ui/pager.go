package ui

import (
	"strconv"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// pager shows one long value whole, however large: it finds where its
// lines start once for a width, and renders only the lines on screen.
type pager struct {
	label, value string
	width        int
	starts       []int // byte offset of each screen line
	scroll       int
}

func newPager(label, value string) *pager { return &pager{label: label, value: value} }

var pagerKeys = &keySet{name: "value",
	bindings: []binding{keyMoveScroll, keyPage, keyEnds, keyEscBack},
	mouse:    "wheel: scroll"}

func (p *pager) keys() *keySet { return pagerKeys }

func (p *pager) refresh(*App, nav) {}

// layout breaks the value into lines of the terminal's width: at line
// breaks, and every width runes.
func (p *pager) layout(a *App) {
	w := max(a.width-1, 8)
	if w == p.width && p.starts != nil {
		return
	}
	p.width = w
	p.starts = append(p.starts[:0], 0)
	n := 0
	for i, r := range p.value {
		if r == '\n' {
			p.starts = append(p.starts, i+1)
			n = 0
			continue
		}
		if n == w {
			p.starts = append(p.starts, i)
			n = 0
		}
		n++
	}
	p.scrollBy(0, a.detailRows())
}

func (p *pager) scrollBy(n, h int) {
	p.scroll = min(max(p.scroll+n, 0), max(len(p.starts)-h, 0))
}

func (p *pager) title(a *App) string {
	return a.st.bold.r(sanitize(clip(p.label, 200))) + a.st.muted.r(" "+a.st.sym.bullet+" "+fmtBytes(int64(len(p.value)))+
		", "+strconv.Itoa(len(p.starts))+" lines") + a.lineRange(p.scroll, len(p.starts), a.detailRows())
}

func (p *pager) status(*App) string { return "" }

// line returns screen line i of the value.
func (p *pager) line(i int) string {
	from, to := p.starts[i], len(p.value)
	if i+1 < len(p.starts) {
		to = p.starts[i+1]
	}
	s := p.value[from:to]
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	return s
}

func (p *pager) body(a *App, h int, line func(string)) {
	for i := range h {
		if j := p.scroll + i; j < len(p.starts) {
			line(a.st.padLine(" "+a.st.truncate(sanitize(p.line(j)), p.width), a.width))
		} else {
			line("")
		}
	}
}

func (p *pager) moveBy(a *App, n int) { p.scrollBy(n, a.detailRows()) }

func (p *pager) act(a *App, act action) (tea.Cmd, bool) {
	return nil, scrollAct(act, a.detailRows(), p.scrollBy)
}

func (p *pager) click(*App, int, int) {}
