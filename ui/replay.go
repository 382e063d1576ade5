package ui

import (
	"strconv"
	"strings"
	"time"
)

// Replay is the control of a replay (spantop replay): the UI shows where
// it is on the replay line and drives it with keys. The engine behind it
// runs on its own goroutine; these calls only send it commands.
type Replay interface {
	ReplayState() ReplayState
	TogglePause()
	Step()
	SeekBy(d time.Duration)
	ToStart()
	ToEnd()
}

// ReplayState is where a replay stands.
type ReplayState struct {
	// Now is the replay clock (a recorded time); Start and End bound the
	// recording.
	Now, Start, End time.Time
	// Pos of Len recorded requests are applied.
	Pos, Len int
	Paused   bool
	// Seeking is set while the model is rebuilt for a jump back.
	Seeking bool
	// Speed is the playback speed; 0 is as fast as possible.
	Speed float64
}

// replayKeys are the replay's bindings: in a replay they take the place
// of the shared space binding (space pauses the replay, not just the
// screen), so the footer, the ? help and `spantop help` list them.
var replayKeys = []binding{
	{keys: []string{"space"}, acts: []action{actReplayPause}, label: "space",
		desc: "pause / resume the replay (the screen shows where it stands)", foot: "pause/play", footPrio: 85},
	{keys: []string{"."}, acts: []action{actReplayStep}, label: ".",
		desc: "replay: pause and apply the next recorded request", foot: "step", footPrio: 33},
	{keys: []string{"[", "]"}, acts: []action{actReplayBack10s, actReplayFwd10s}, label: "[ ]",
		desc: "replay: jump back / forward 10 s (back rebuilds the model)", foot: "∓10s", footPrio: 75},
	{keys: []string{"{", "}"}, acts: []action{actReplayBack1m, actReplayFwd1m}, label: "{ }",
		desc: "replay: jump back / forward 1 min", foot: "∓1m", footPrio: 32},
	{keys: []string{"<", ">"}, acts: []action{actReplayStart, actReplayEnd}, label: "< >",
		desc: "replay: to the start / the end of the recording", foot: "start/end", footPrio: 31},
}

// replayAct carries out a replay action; it reports false for any other
// action, or when there is no replay.
func (a *App) replayAct(act action) bool {
	r := a.opts.Replay
	if r == nil {
		return false
	}
	switch act {
	case actReplayPause:
		r.TogglePause()
	case actReplayStep:
		r.Step()
	case actReplayBack10s:
		r.SeekBy(-10 * time.Second)
	case actReplayFwd10s:
		r.SeekBy(10 * time.Second)
	case actReplayBack1m:
		r.SeekBy(-time.Minute)
	case actReplayFwd1m:
		r.SeekBy(time.Minute)
	case actReplayStart:
		r.ToStart()
	case actReplayEnd:
		r.ToEnd()
	default:
		return false
	}
	return true
}

// replayLine: REPLAY ▶ 12:03:04.120  +1m02s/5m00s  ━━━━────  812/5000  4× (its keys are in the footer).
func (a *App) replayLine(s ReplayState) string {
	st := a.st
	var b strings.Builder
	switch {
	case s.Seeking:
		b.WriteString(st.warn.r(st.bold.r("SEEKING")))
	case s.Pos >= s.Len:
		b.WriteString(st.muted.r(st.bold.r("REPLAY END")))
	case s.Paused:
		b.WriteString(st.paused.r(st.bold.r("REPLAY ⏸")))
	default:
		b.WriteString(st.live.r(st.bold.r("REPLAY ▶")))
	}
	b.WriteByte(' ')
	b.WriteString(s.Now.Local().Format("15:04:05.000"))
	total := s.End.Sub(s.Start)
	b.WriteString(st.muted.r("  +" + fmtSpan(s.Now.Sub(s.Start)) + "/" + fmtSpan(total)))
	if a.width >= 100 {
		const barWidth = 20
		fill := 0
		if total > 0 {
			fill = int(int64(barWidth) * int64(s.Now.Sub(s.Start)) / int64(total))
		}
		fill = max(0, min(fill, barWidth))
		b.WriteString("  " + strings.Repeat("━", fill) + st.muted.r(strings.Repeat("─", barWidth-fill)))
	}
	b.WriteString("  " + strconv.Itoa(s.Pos) + "/" + strconv.Itoa(s.Len))
	if s.Speed == 0 {
		b.WriteString(st.muted.r("  max"))
	} else {
		b.WriteString(st.muted.r("  " + strconv.FormatFloat(s.Speed, 'g', 3, 64) + "×"))
	}
	return b.String()
}
