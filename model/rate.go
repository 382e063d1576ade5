package model

// rateRing counts events per local second over the last rateSeconds, for
// rates and sparklines. Updating it is two integer operations.
type rateRing struct {
	counts [rateSeconds]uint32
	sec    int64 // the second counts[sec%rateSeconds] belongs to
}

const (
	rateSeconds = 60
	// RateWindow is how many whole seconds a rate averages over.
	RateWindow = 5
)

func (r *rateRing) advance(sec int64) {
	if sec <= r.sec {
		return
	}
	if sec-r.sec >= rateSeconds {
		r.counts = [rateSeconds]uint32{}
	} else {
		for s := r.sec + 1; s <= sec; s++ {
			r.counts[s%rateSeconds] = 0
		}
	}
	r.sec = sec
}

func (r *rateRing) add(nowNs int64, n uint32) {
	sec := nowNs / 1e9
	r.advance(sec)
	if sec > r.sec-rateSeconds {
		r.counts[sec%rateSeconds] += n
	}
}

// rate returns events per second over the last RateWindow whole seconds.
func (r *rateRing) rate(nowNs int64) float64 {
	sec := nowNs / 1e9
	var sum uint32
	for s := sec - RateWindow; s < sec; s++ {
		if s > r.sec-rateSeconds && s <= r.sec && s >= 0 {
			sum += r.counts[s%rateSeconds]
		}
	}
	return float64(sum) / RateWindow
}

// last returns the counts of the n whole seconds before now, oldest first.
func (r *rateRing) last(nowNs int64, n int) []uint32 {
	sec := nowNs / 1e9
	out := make([]uint32, n)
	for i := range out {
		s := sec - int64(n) + int64(i)
		if s > r.sec-rateSeconds && s <= r.sec && s >= 0 {
			out[i] = r.counts[s%rateSeconds]
		}
	}
	return out
}
