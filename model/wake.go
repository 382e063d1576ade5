package model

import "time"

// AlignedWait returns a wait of about d from now that ends on a whole
// second, an even one for d of two seconds or more: now+d rounded to the
// nearest such second at least d/2 away; d itself under a second.
//
// An idle spantop does nothing but wake now and then (the screen's quiet
// tick, the look at the terminal, the model's sweeps, the trace reader's
// janitor), and on a small virtual machine a wake-up of the process costs
// more than the work it does: the runtime's threads and its monitor wake
// with it. The runtime runs timers due at the same time in one wake-up, so
// the periodic ones of a second or more end on whole seconds.
func AlignedWait(now time.Time, d time.Duration) time.Duration {
	if d < time.Second {
		return d
	}
	unit := time.Second
	if d >= 2*time.Second {
		unit = 2 * time.Second // the screen's quiet tick and the terminal look
	}
	at := now.Add(d).Round(unit)
	if at.Sub(now) < d/2 {
		at = at.Add(unit)
	}
	return at.Sub(now)
}

// AlignedTicker ticks about every d, each tick ending where AlignedWait
// says: a time.Ticker for the process's periodic work.
type AlignedTicker struct {
	*time.Timer
	d time.Duration
}

// NewAlignedTicker starts a ticker of about d.
func NewAlignedTicker(d time.Duration) *AlignedTicker {
	return &AlignedTicker{Timer: time.NewTimer(AlignedWait(time.Now(), d)), d: d}
}

// Next arms the next tick; call it on each value taken from C.
func (t *AlignedTicker) Next() { t.Reset(AlignedWait(time.Now(), t.d)) }
