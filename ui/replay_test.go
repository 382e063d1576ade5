package ui

import (
	"strings"
	"testing"
	"time"
)

// fakeReplay records the commands the keys send.
type fakeReplay struct {
	st   ReplayState
	cmds []string
}

func (f *fakeReplay) ReplayState() ReplayState { return f.st }
func (f *fakeReplay) TogglePause()             { f.cmds = append(f.cmds, "toggle") }
func (f *fakeReplay) Step()                    { f.cmds = append(f.cmds, "step") }
func (f *fakeReplay) SeekBy(d time.Duration)   { f.cmds = append(f.cmds, "seek "+d.String()) }
func (f *fakeReplay) ToStart()                 { f.cmds = append(f.cmds, "start") }
func (f *fakeReplay) ToEnd()                   { f.cmds = append(f.cmds, "end") }

func TestReplayLineAndKeys(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	r := &fakeReplay{st: ReplayState{Start: start, Now: start.Add(62 * time.Second), End: start.Add(5 * time.Minute), Pos: 812, Len: 5000, Speed: 4}}
	f := newFake(10)
	for _, size := range [][2]int{{200, 50}, {80, 24}} {
		a := newApp(t, f, Options{Replay: r, Status: func() string { return "REC x.jsonl 1.0KiB" }}, size[0], size[1])
		screen := plain(a)
		for _, want := range []string{"REPLAY ▶ 03:05:07.000", "+1m2s/5m", "812/5000", "4×", "REC x.jsonl 1.0KiB"} {
			if !strings.Contains(screen, want) {
				t.Errorf("%dx%d: no %q on\n%s", size[0], size[1], want, screen)
			}
		}
	}
	a := newApp(t, f, Options{Replay: r}, 200, 50)
	screen := plain(a)
	for _, want := range []string{"space pause/play", "[ ] ∓10s", "{ } ∓1m", "< > start/end", ". step"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the footer does not list %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "space pause ") {
		t.Errorf("the footer offers the screen's pause in a replay:\n%s", screen)
	}
	press(a, "?")
	help := plain(a)
	for _, want := range []string{"pause / resume the replay", "jump back / forward 10 s", "to the start / the end"} {
		if !strings.Contains(help, want) {
			t.Errorf("the ? help does not list %q:\n%s", want, help)
		}
	}
	press(a, "?")
	press(a, "space", ".", "[", "]", "{", "}", "<", ">")
	want := []string{"toggle", "step", "seek -10s", "seek 10s", "seek -1m0s", "seek 1m0s", "start", "end"}
	if strings.Join(r.cmds, ",") != strings.Join(want, ",") {
		t.Errorf("commands %v, want %v", r.cmds, want)
	}
	if strings.Contains(plain(a), "PAUSED") {
		t.Error("space paused the screen instead of the replay")
	}
	r.st.Paused = true
	tick(a)
	a.prepareBody() // a refresh of the rows keeps the replay line
	if !strings.Contains(plain(a), "REPLAY ⏸") {
		t.Error("a refresh of the rows took the replay line away")
	}
	if !strings.Contains(plain(a), "REPLAY ⏸") {
		t.Error("a paused replay is not shown as paused")
	}
	r.st.Pos = r.st.Len
	tick(a)
	if !strings.Contains(plain(a), "REPLAY END") {
		t.Error("the end is not shown")
	}
}

// TestReplayKeysInHelp: spantop help lists the replay's keys, and a live
// session's keys do not include them (space pauses the screen there).
func TestReplayKeysInHelp(t *testing.T) {
	var replay, pause int
	for _, l := range KeyHelpLines(false) {
		if l.Where == "spantop replay" {
			replay++
		}
		if l.Keys == "space" && l.Where == "" && strings.Contains(l.Does, "pause / resume the screen") {
			pause++
		}
	}
	if replay != len(replayKeys) || pause != 1 {
		t.Errorf("spantop help: %d replay keys (want %d), %d screen pause (want 1)", replay, len(replayKeys), pause)
	}
	f := newFake(3)
	a := newApp(t, f, Options{}, 200, 50)
	press(a, "[", "<")
	if strings.Contains(plain(a), "∓10s") {
		t.Error("a live session lists the replay keys")
	}
}
