package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// TestGolden keeps ANSI-stripped screens of each view at 80×24 and 200×50
// in testdata (go test ./ui -run TestGolden -update refreshes them). The
// details view is left out: it shows local times.
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
				// Trailing blanks are padding; drop them so diffs stay readable.
				lines := strings.Split(plain(a), "\n")
				for i, l := range lines {
					lines[i] = strings.TrimRight(l, " ")
				}
				golden.RequireEqual(t, strings.Join(lines, "\n")+"\n")
			})
		}
	}
}
