// Command ansi2html turns a terminal capture with SGR colour sequences
// (`tmux capture-pane -e -p`) into a standalone HTML page with inline
// colours, for a headless browser to screenshot. It understands the SGR
// attributes a TUI uses: bold, faint, italic, underline, reverse, the 16
// basic colours, the 256-colour palette and 24-bit colour.
//
//	tmux capture-pane -e -p -t demo | go run ./scripts/ansi2html -cols 200 > tasks.html
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"strconv"
	"strings"
)

// palette16 is the 16-colour palette (a dark theme close to xterm's).
var palette16 = [16]string{
	"#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
	"#666666", "#ff7b7b", "#d7e283", "#ffe08a", "#9ec5ea", "#d3b0dc", "#a3e1d8", "#ffffff",
}

const (
	defaultFG = "#d0d0d0"
	defaultBG = "#1c1c1c"
)

// color256 returns the xterm 256-colour palette entry n.
func color256(n int) string {
	switch {
	case n < 16:
		return palette16[n]
	case n < 232:
		n -= 16
		lv := func(v int) int {
			if v == 0 {
				return 0
			}
			return 55 + 40*v
		}
		return fmt.Sprintf("#%02x%02x%02x", lv(n/36), lv(n/6%6), lv(n%6))
	default:
		g := 8 + 10*(n-232)
		return fmt.Sprintf("#%02x%02x%02x", g, g, g)
	}
}

type style struct {
	fg, bg                                  string
	bold, faint, italic, underline, reverse bool
}

func (s style) css() string {
	fg, bg := s.fg, s.bg
	if s.reverse {
		if fg == "" {
			fg = defaultFG
		}
		if bg == "" {
			bg = defaultBG
		}
		fg, bg = bg, fg
	}
	var b strings.Builder
	if fg != "" {
		b.WriteString("color:" + fg + ";")
	}
	if bg != "" {
		b.WriteString("background:" + bg + ";")
	}
	if s.bold {
		b.WriteString("font-weight:bold;")
	}
	if s.faint {
		b.WriteString("opacity:0.6;")
	}
	if s.italic {
		b.WriteString("font-style:italic;")
	}
	if s.underline {
		b.WriteString("text-decoration:underline;")
	}
	return b.String()
}

// apply updates s with the parameters of one SGR sequence.
func (s *style) apply(params string) {
	if params == "" {
		params = "0"
	}
	ps := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	for i := 0; i < len(ps); i++ {
		n, err := strconv.Atoi(ps[i])
		if err != nil {
			continue
		}
		switch {
		case n == 0:
			*s = style{}
		case n == 1:
			s.bold = true
		case n == 2:
			s.faint = true
		case n == 3:
			s.italic = true
		case n == 4:
			s.underline = true
		case n == 7:
			s.reverse = true
		case n == 22:
			s.bold, s.faint = false, false
		case n == 23:
			s.italic = false
		case n == 24:
			s.underline = false
		case n == 27:
			s.reverse = false
		case n >= 30 && n <= 37:
			s.fg = palette16[n-30]
		case n >= 90 && n <= 97:
			s.fg = palette16[n-90+8]
		case n == 39:
			s.fg = ""
		case n >= 40 && n <= 47:
			s.bg = palette16[n-40]
		case n >= 100 && n <= 107:
			s.bg = palette16[n-100+8]
		case n == 49:
			s.bg = ""
		case n == 38 || n == 48 || n == 58:
			var c string
			if i+2 < len(ps) && ps[i+1] == "5" {
				v, _ := strconv.Atoi(ps[i+2])
				c = color256(v & 255)
				i += 2
			} else if i+4 < len(ps) && ps[i+1] == "2" {
				r, _ := strconv.Atoi(ps[i+2])
				g, _ := strconv.Atoi(ps[i+3])
				b, _ := strconv.Atoi(ps[i+4])
				c = fmt.Sprintf("#%02x%02x%02x", r&255, g&255, b&255)
				i += 4
			}
			switch n {
			case 38:
				s.fg = c
			case 48:
				s.bg = c
			}
		}
	}
}

func convert(in io.Reader, out io.Writer, cols int, title string) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>%s</title>
<style>
html, body { margin: 0; padding: 0; background: %s; }
pre { margin: 0; padding: 8px; color: %s; background: %s;
      font-family: "DejaVu Sans Mono", "Symbola", monospace; font-size: 14px; line-height: 17px;
      width: %dch; white-space: pre; font-variant-ligatures: none; }
/* Glyphs the mono font lacks (⏸ ⏹) come from a fallback font with another
   advance width; a one-cell box keeps the columns aligned. */
.c { display: inline-block; width: 1ch; text-align: center; }
</style></head><body><pre>`, html.EscapeString(title), defaultBG, defaultFG, defaultBG, cols)
	var cur style
	open := false
	text := string(data)
	flush := func(chunk string) {
		for _, r := range chunk {
			if r >= 0x2300 && r <= 0x23ff {
				w.WriteString(`<span class="c">`)
				w.WriteString(html.EscapeString(string(r)))
				w.WriteString(`</span>`)
				continue
			}
			w.WriteString(html.EscapeString(string(r)))
		}
	}
	start := 0
	for i := 0; i < len(text); i++ {
		if text[i] != 0x1b {
			continue
		}
		flush(text[start:i])
		// CSI: ESC [ params final
		if i+1 < len(text) && text[i+1] == '[' {
			j := i + 2
			for j < len(text) && (text[j] < 0x40 || text[j] > 0x7e) {
				j++
			}
			if j < len(text) && text[j] == 'm' {
				cur.apply(text[i+2 : j])
				if open {
					w.WriteString("</span>")
					open = false
				}
				if css := cur.css(); css != "" {
					fmt.Fprintf(w, `<span style="%s">`, css)
					open = true
				}
			}
			i = j
		} else if i+1 < len(text) && text[i+1] == ']' {
			// OSC (e.g. hyperlinks): skip to BEL or ST.
			j := i + 2
			for j < len(text) && text[j] != 0x07 && !(text[j] == 0x1b && j+1 < len(text) && text[j+1] == '\\') {
				j++
			}
			if j < len(text) && text[j] == 0x1b {
				j++
			}
			i = j
		} else {
			i++
		}
		start = i + 1
	}
	if start < len(text) {
		flush(text[start:])
	}
	if open {
		w.WriteString("</span>")
	}
	w.WriteString("</pre></body></html>\n")
	return w.Flush()
}

func main() {
	cols := flag.Int("cols", 200, "terminal width in cells")
	title := flag.String("title", "spantop", "page title")
	flag.Parse()
	if err := convert(os.Stdin, os.Stdout, *cols, *title); err != nil {
		fmt.Fprintln(os.Stderr, "ansi2html:", err)
		os.Exit(1)
	}
}
