package ui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestProgramSmoke runs the real bubbletea program: the first rows appear,
// the tick keeps running, q quits.
func TestProgramSmoke(t *testing.T) {
	f := newFake(200)
	tm := teatest.NewTestModel(t, New(f, Options{Tick: 20 * time.Millisecond}),
		teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("GET /api/items/101"))
	}, teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("o"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("SELECT items"))
	}, teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("q"))
	// Nothing else ends the program: it must finish because of q.
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if _, ok := tm.FinalModel(t).(*App); !ok {
		t.Error("program did not end by q")
	}
}
