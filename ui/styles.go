package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// style is a pair of SGR sequences. Each style switches off only the
// attribute it switched on (39 for a foreground colour, 22 for bold or dim,
// 27 for reverse), so styles nest: a dimmed finished row keeps its dimming
// around a coloured duration, and the reverse video of the selected row
// survives the colours inside it.
type style struct{ on, off string }

func (s style) r(text string) string {
	if s.on == "" || text == "" {
		return text
	}
	return s.on + text + s.off
}

var (
	sgrBold    = style{"\x1b[1m", "\x1b[22m"}
	sgrDim     = style{"\x1b[2m", "\x1b[22m"}
	sgrReverse = style{"\x1b[7m", "\x1b[27m"}
)

// symbols are the glyphs spantop draws; --ascii swaps them for plain ones.
type symbols struct {
	running, waiting, done, failed, lost  string
	up, down, ellipsis, warn, sep, bullet string
	micro                                 string
	spark                                 []rune
	// Box drawing for the help overlay.
	tl, tr, bl, br, h, v string
	// Trees: a branch, the last branch, a line passing by, a top-level
	// span whose parent is missing; folded and unfolded nodes.
	branch, lastBranch, pass, orphan string
	folded, unfolded, loop           string
	// Waterfall bars: a critical span, another span, and the eighths of a
	// cell that end a bar; the end of a bar still growing.
	barCrit, barOther string
	eighths           []string
	growing           string
	// Mini histogram bars, from one eighth to full height.
}

var unicodeSymbols = symbols{
	running: "▶", waiting: "⏸", done: "⏹", failed: "✗", lost: "?",
	up: "▲", down: "▼", ellipsis: "…", warn: "⚠", sep: "│", bullet: "·",
	micro: "µ",
	spark: []rune("▁▂▃▄▅▆▇█"),
	tl:    "┌", tr: "┐", bl: "└", br: "┘", h: "─", v: "│",
	branch: "├─", lastBranch: "└─", pass: "│ ", orphan: "┄ ",
	folded: "▸", unfolded: "▾", loop: "↺",
	barCrit: "█", barOther: "▆",
	eighths: []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"},
	growing: "▶",
}

var asciiSymbols = symbols{
	running: ">", waiting: "|", done: ".", failed: "x", lost: "?",
	up: "^", down: "v", ellipsis: "~", warn: "!", sep: "|", bullet: "-",
	micro: "u",
	spark: []rune("_.-=+*#@"),
	tl:    "+", tr: "+", bl: "+", br: "+", h: "-", v: "|",
	branch: "|-", lastBranch: "`-", pass: "| ", orphan: "~ ",
	folded: "+", unfolded: "-", loop: "@",
	barCrit: "#", barOther: "=",
	eighths: []string{"", "", "", "", "", "", "", ""},
	growing: ">",
}

// styles owns every colour and every format the UI uses.
type styles struct {
	sym   symbols
	ascii bool

	dim, bold, reverse style

	// Colours (empty under NO_COLOR).
	title, key, label      style
	live, paused           style
	good, warn, bad, muted style
	accent                 style

	// Durations by magnitude, like tokio-console.
	durSub, durMs, durS, durLong style

	// Waterfalls: the critical path, other bars, markers (missing
	// parents); one colour per service.
	critical, bar, marker style
	services              []style
	svcColours            *serviceColours
}

// newStyles returns the styles for a dark background, which most
// terminals have; the App switches when the terminal says otherwise.
func newStyles(opts Options) *styles { return newStylesFor(opts, true) }

func newStylesFor(opts Options, dark bool) *styles {
	s := &styles{sym: unicodeSymbols, dim: sgrDim, bold: sgrBold, reverse: sgrReverse, svcColours: &serviceColours{}}
	if opts.ASCII {
		s.sym, s.ascii = asciiSymbols, true
	}
	if opts.NoColor {
		// NO_COLOR forbids colour, not emphasis: keep bold, dim and reverse
		// so the selection and the header stay visible.
		s.title, s.key, s.live, s.paused = sgrBold, sgrBold, sgrBold, sgrReverse
		s.bad, s.critical = sgrBold, sgrBold
		return s
	}
	p := paletteFor(dark)
	s.title = fgc(p.title)
	s.key = fgc(p.key)
	s.label = style{} // default
	s.live = fgc(p.live)
	s.paused = fgc(p.paused)
	s.good = fgc(p.good)
	s.warn = fgc(p.warn)
	s.bad = fgc(p.bad)
	s.muted = fgc(p.muted)
	s.accent = fgc(p.accent)
	s.durSub = fgc(p.durSub)
	s.durMs = style{}
	s.durS = fgc(p.durS)
	s.durLong = fgc(p.durLong)
	s.critical = fgc(p.critical)
	s.bar = fgc(p.bar)
	s.marker = fgc(p.marker)
	for _, c := range p.services {
		s.services = append(s.services, fgc(c))
	}
	return s
}

// durStyle picks the colour of a duration: sub-millisecond grey, milliseconds
// plain, seconds yellow, ten seconds and more red.
func (s *styles) durStyle(d time.Duration) style {
	switch {
	case d < time.Millisecond:
		return s.durSub
	case d < time.Second:
		return s.durMs
	case d < 10*time.Second:
		return s.durS
	default:
		return s.durLong
	}
}

// stateSymbol returns the State column's glyph and colour.
func (s *styles) stateSymbol(st model.State) (string, style) {
	switch st {
	case model.StateRunning:
		return s.sym.running, s.good
	case model.StateWaiting:
		return s.sym.waiting, s.warn
	case model.StateDone:
		return s.sym.done, s.muted
	case model.StateError:
		return s.sym.failed, s.bad
	case model.StateLost:
		return s.sym.lost, s.accent
	}
	return "?", style{}
}

// fmtDur formats a duration in at most 8 cells: 123ns, 12.34µs, 123.45ms,
// 1.23s, 12m05s, 3h07m.
func (s *styles) fmtDur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	var b []byte
	switch {
	case d < time.Microsecond:
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, "ns"...)
	case d < time.Millisecond:
		b = strconv.AppendFloat(b, float64(d)/1e3, 'f', 2, 64)
		b = append(b, s.sym.micro...)
		b = append(b, 's')
	case d < time.Second:
		b = strconv.AppendFloat(b, float64(d)/1e6, 'f', 2, 64)
		b = append(b, "ms"...)
	case d < time.Minute:
		b = strconv.AppendFloat(b, d.Seconds(), 'f', 2, 64)
		b = append(b, 's')
	case d < time.Hour:
		m := int64(d / time.Minute)
		sec := int64(d%time.Minute) / int64(time.Second)
		b = strconv.AppendInt(b, m, 10)
		b = append(b, 'm')
		b = append2(b, sec)
		b = append(b, 's')
	default:
		h := int64(d / time.Hour)
		m := int64(d%time.Hour) / int64(time.Minute)
		b = strconv.AppendInt(b, h, 10)
		b = append(b, 'h')
		b = append2(b, m)
		b = append(b, 'm')
	}
	return string(b)
}

func append2(b []byte, n int64) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, n, 10)
}

// fmtCount formats a count: exact below 100000, then 123.4k, 12.35M, 1.23G.
func fmtCount(n int64) string {
	switch {
	case n < 100_000:
		return strconv.FormatInt(n, 10)
	case n < 1_000_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + "k"
	case n < 1_000_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 2, 64) + "M"
	default:
		return strconv.FormatFloat(float64(n)/1e9, 'f', 2, 64) + "G"
	}
}

// fmtRate formats a per-second rate.
func fmtRate(f float64) string {
	switch {
	case f <= 0:
		return "0"
	case f < 10:
		return strconv.FormatFloat(f, 'f', 2, 64)
	case f < 10_000:
		return strconv.FormatFloat(f, 'f', 1, 64)
	case f < 10_000_000:
		return strconv.FormatFloat(f/1e3, 'f', 1, 64) + "k"
	default:
		return strconv.FormatFloat(f/1e6, 'f', 1, 64) + "M"
	}
}

// fmtBytes formats a size in binary units.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), -1
	for f >= unit && i < 3 {
		f /= unit
		i++
	}
	prec := 1
	if f >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + " " + [...]string{"KiB", "MiB", "GiB", "TiB"}[i]
}

// fmtPercent formats part/whole as a percentage.
func fmtPercent(part, whole int64) string {
	if whole <= 0 || part <= 0 {
		return "0%"
	}
	p := float64(part) * 100 / float64(whole)
	if p < 10 {
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// sparkline draws counts scaled to the highest one, right-aligned in width
// cells (the newest counts win when there are more than fit).
func (s *styles) sparkline(v []uint32, width int) string {
	if width <= 0 {
		return ""
	}
	if len(v) > width {
		v = v[len(v)-width:]
	}
	var top uint32
	for _, x := range v {
		top = max(top, x)
	}
	levels := s.sym.spark
	var b strings.Builder
	b.Grow(width * 3)
	for range width - len(v) {
		b.WriteByte(' ')
	}
	for _, x := range v {
		switch {
		case x == 0:
			b.WriteByte(' ')
		default:
			i := int(uint64(x) * uint64(len(levels)-1) / uint64(max(top, 1)))
			b.WriteRune(levels[i])
		}
	}
	return b.String()
}

// width returns the display width of plain text, quickly for ASCII.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// fit pads or truncates plain text to exactly w cells; truncated text ends
// in the ellipsis.
func (s *styles) fit(text string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	tw := width(text)
	if tw > w {
		text = s.truncate(text, w)
		tw = width(text)
	}
	if tw == w {
		return text
	}
	pad := strings.Repeat(" ", w-tw)
	if right {
		return pad + text
	}
	return text + pad
}

// truncate cuts plain or styled text to at most w cells, ending in the
// ellipsis when it had to cut.
func (s *styles) truncate(text string, w int) string {
	if w <= 0 {
		return ""
	}
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 || text[i] == 0x1b {
			ascii = false
			break
		}
	}
	if ascii {
		if len(text) <= w {
			return text
		}
		return text[:w-1] + s.sym.ellipsis
	}
	return ansi.Truncate(text, w, s.sym.ellipsis)
}

// padLine truncates a styled line to w cells and pads it with spaces.
func (s *styles) padLine(line string, w int) string {
	lw := ansi.StringWidth(line)
	if lw > w {
		line = s.truncate(line, w)
		lw = ansi.StringWidth(line)
	}
	if lw < w {
		line += strings.Repeat(" ", w-lw)
	}
	return line
}

// splitGlyphs are the glyphs of busy, scheduled and idle time in a
// goroutine's proportional bar; they differ so the bar reads without colour.
func (s *styles) splitGlyphs() [3]string {
	if s.ascii {
		return [3]string{"#", "+", "."}
	}
	return [3]string{"█", "▓", "░"}
}

// splitStyles are the colours of busy, scheduled and idle time.
func (s *styles) splitStyles() [3]style { return [3]style{s.good, s.warn, s.muted} }

// histStyle colours the bars of a mini histogram.
func (s *styles) histStyle() style { return s.accent }

// arrow marks a line of a details view that leads somewhere.
func (s *styles) arrow() string {
	if s.ascii {
		return "->"
	}
	return "→"
}

// dot separates figures on one line: " · ".
func (s *styles) dot() string { return " " + s.sym.bullet + " " }
