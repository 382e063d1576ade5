package ui

import (
	"strconv"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// TestGoldenTraceViews keeps the view part of the screen (see viewPart) of the trace view, the
// operation details and tree mode at 80×24 and 200×50, against the demo
// model on its fixed clock (go test ./ui -run TestGoldenTraceViews
// -update refreshes them).
func TestGoldenTraceViews(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		for _, v := range []struct {
			name string
			keys []string
		}{
			{"trace", []string{"w"}},
			{"trace_folded", []string{"w", "j", "j", "j", "left", "j"}},
			{"opdetails", []string{"o", "enter"}},
			{"opdetails_slowest", []string{"o", "enter", "j", "j"}},
			{"tree", []string{"T", "j"}},
			{"trace_help", []string{"w", "?"}},
		} {
			t.Run(v.name+"_"+strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(t *testing.T) {
				a := newApp(t, modelSource{demoModel()}, Options{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, sz[0], sz[1])
				press(a, v.keys...)
				golden.RequireEqual(t, viewPart(a))
			})
		}
	}
}
