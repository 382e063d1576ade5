package ui

import (
	"time"
)

// durSpark draws durations as a sparkline (0: nothing that step).
func (s *styles) durSpark(v []time.Duration, w int) string {
	u := make([]uint32, len(v))
	for i, d := range v {
		u[i] = uint32(min(max(d/time.Microsecond, 0), 1<<31))
		if d > 0 && u[i] == 0 {
			u[i] = 1
		}
	}
	return s.sparkline(u, w)
}

// rateSpark draws rates as a sparkline.
func (s *styles) rateSpark(v []float64, w int) string {
	u := make([]uint32, len(v))
	for i, r := range v {
		u[i] = uint32(min(r*100, 1<<31))
		if r > 0 && u[i] == 0 {
			u[i] = 1
		}
	}
	return s.sparkline(u, w)
}
