package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// TestGolden keeps each view's part of the screen (ANSI-stripped) at 80×24
// and 200×50 in testdata (go test ./ui -run TestGolden -update refreshes
// them); the chrome around it has goldens of its own (TestGoldenChrome).
// The details view is left out: it shows local times.
func TestGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		for _, v := range []struct {
			name string
			keys []string
		}{
			{"tasks", []string{"j"}},
			{"operations", []string{"o"}},
			{"help", []string{"?"}},
			{"filter", []string{"/", "1", "2"}},
		} {
			t.Run(v.name+"_"+strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(t *testing.T) {
				a := newApp(t, newFake(300), Options{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, sz[0], sz[1])
				press(a, v.keys...)
				golden.RequireEqual(t, viewPart(a))
			})
		}
	}
}

// viewPart is what the screen on top draws, ANSI-stripped, trailing blanks
// dropped: its title (after the tabs), its body and the status line. The
// header, the tabs and the footer are the chrome, checked once.
func viewPart(a *App) string {
	lines := strings.Split(plain(a), "\n")
	title := lines[titleY]
	if i := strings.Index(title, a.st.sym.sep+" "); i >= 0 {
		title = title[i+len(a.st.sym.sep)+1:]
	}
	part := append([]string{title}, lines[titleY+1:len(lines)-1]...)
	return trimmed(strings.Join(part, "\n"))
}

// TestGoldenChrome keeps the chrome at 80×24 and 200×50: the header, the
// tabs, and the footer of every screen's key set.
func TestGoldenChrome(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		t.Run("chrome_"+strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(t *testing.T) {
			a := newApp(t, newFake(300), Options{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, sz[0], sz[1])
			lines := strings.Split(plain(a), "\n")
			var b strings.Builder
			for _, l := range lines[:titleY] {
				b.WriteString(l + "\n")
			}
			title := lines[titleY]
			b.WriteString(title[:strings.Index(title, a.st.sym.sep)+len(a.st.sym.sep)] + "\n")
			for _, ks := range keySets {
				b.WriteString(ks.name + ":\n" + ansi.Strip(footerLine(a.st, a.allKeys(ks), a.width)) + "\n")
			}
			golden.RequireEqual(t, trimmed(b.String()))
		})
	}
}
