package tea

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// spantop patch: a frame drawn line by line (only the lines that changed)
// leaves the same cells and writes the same bytes to the terminal as the
// same frame drawn whole, frame after frame; a style left open across a
// line end, a carriage return or a resize makes it draw whole.
func TestCursedRenderer_drawsChangedLinesAsWhole(t *testing.T) {
	const w, h = 60, 12
	var outLines, outWhole bytes.Buffer
	byLines := newCursedRenderer(&outLines, []string{"TERM=xterm-256color"}, w, h)
	whole := newCursedRenderer(&outWhole, []string{"TERM=xterm-256color"}, w, h)
	byLines.start()
	whole.start()

	rng := rand.New(rand.NewPCG(7, 8))
	styles := []string{"", "\x1b[1m", "\x1b[38;5;141m", "\x1b[2;3m", "\x1b[7m"}
	line := func(y, v int) string {
		st := styles[(y+v)%len(styles)]
		s := fmt.Sprintf("row %d value %d %s", y, v, strings.Repeat("·", v%20))
		if st != "" {
			return "plain " + st + s + "\x1b[m tail"
		}
		return s
	}
	vals := make([]int, h)
	for frame := range 200 {
		for y := range vals {
			if rng.IntN(4) == 0 {
				vals[y] = rng.IntN(1000)
			}
		}
		lines := make([]string, h)
		for y := range lines {
			lines[y] = line(y, vals[y])
		}
		switch frame % 50 {
		case 17: // a style left open into the next line
			lines[3] = "\x1b[1mopen bold"
		case 18:
			lines[4] = "after an open style"
		case 31: // a carriage return
			lines[5] = "a\rb"
		}
		v := NewView(strings.Join(lines, "\n"))
		v.AltScreen = true
		for _, r := range []*cursedRenderer{byLines, whole} {
			if frame == 120 {
				r.resize(w-10, h)
				r.cellbuf.Resize(w-10, h)
			}
			r.render(v)
		}
		whole.lastLines = nil // draws whole
		if err := byLines.flush(false); err != nil {
			t.Fatal(err)
		}
		if err := whole.flush(false); err != nil {
			t.Fatal(err)
		}
		if a, b := byLines.cellbuf.Render(), whole.cellbuf.Render(); a != b {
			t.Fatalf("frame %d: the cells drawn by line differ from the whole frame's:\n%q\n%q", frame, a, b)
		}
		if a, b := outLines.String(), outWhole.String(); a != b {
			t.Fatalf("frame %d: the bytes written differ:\n%q\n%q", frame, a, b)
		}
	}
}

// A frame that changes one line of a styled frame draws that line only.
func TestCursedRenderer_drawsOnlyTheChangedLine(t *testing.T) {
	var out bytes.Buffer
	r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 6)
	r.start()
	lines := []string{"\x1b[1mtitle 1\x1b[m", "a", "\x1b[7mb\x1b[m c", "d", "e", "f"}
	render := func() {
		v := NewView(strings.Join(lines, "\n"))
		v.AltScreen = true
		r.render(v)
		if err := r.flush(false); err != nil {
			t.Fatal(err)
		}
	}
	render()
	render() // the first frame after entering the alt screen is drawn whole
	lines[0] = "\x1b[1mtitle 2\x1b[m"
	v := NewView(strings.Join(lines, "\n"))
	v.AltScreen = true
	if !r.drawChangedLines(&v, strings.Split(v.Content, "\n"), r.cellbuf.Bounds()) {
		t.Fatal("a frame of plain-ended lines was not drawn by lines")
	}
	var touched []int
	for y, l := range r.cellbuf.Touched {
		if l != nil && (l.FirstCell != -1 || l.LastCell != -1) {
			touched = append(touched, y)
		}
	}
	if len(touched) != 1 || touched[0] != 0 {
		t.Fatalf("lines %v drawn, want only line 0", touched)
	}
}
