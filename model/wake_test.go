package model

import (
	"testing"
	"time"
)

func TestAlignedWaitEndsOnAWholeSecondAboutDAway(t *testing.T) {
	base := time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{time.Second, 1500 * time.Millisecond, 2 * time.Second, 5 * time.Second} {
		for off := time.Duration(0); off < 2*time.Second; off += 37 * time.Millisecond {
			now := base.Add(off)
			w := AlignedWait(now, d)
			unit := time.Second
			if d >= 2*time.Second {
				unit = 2 * time.Second
			}
			if end := now.Add(w); !end.Equal(end.Truncate(unit)) {
				t.Errorf("AlignedWait(%v, %v) = %v ends at %v, not on a multiple of %v", now, d, w, end, unit)
			}
			if w < d/2 || w > d+unit/2 {
				t.Errorf("AlignedWait(%v, %v) = %v, want within [d/2, d+%v]", now, d, w, unit/2)
			}
		}
	}
	if w := AlignedWait(base.Add(123*time.Millisecond), 300*time.Millisecond); w != 300*time.Millisecond {
		t.Errorf("under a second: %v, want d itself", w)
	}
}
