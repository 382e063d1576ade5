package ingest

import (
	"fmt"
	"sync/atomic"
)

// inflight bounds the bytes of the requests being read and decoded, across
// both receivers: a semaphore on bytes, not on requests, so memory does not
// grow with the number of clients sending at once. A request that does not
// fit is refused at once (errBusy, retryable), never queued.
type inflight struct {
	limit int64
	used  atomic.Int64
}

// take reserves n bytes if they fit.
func (f *inflight) take(n int64) bool {
	for {
		u := f.used.Load()
		if u+n > f.limit {
			return false
		}
		if f.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (f *inflight) give(n int64) { f.used.Add(-n) }

// reservation is one request's share of the in-flight bound. Its owner
// (one goroutine) grows it before it allocates and releases it at the end.
type reservation struct {
	f    *inflight
	held int64
}

// set makes the reservation exactly n bytes: it gives back what is no
// longer needed, or takes more. A request that could never fit is
// tooLarge; one that does not fit now is errBusy.
func (r *reservation) set(n int64) error {
	switch d := n - r.held; {
	case d <= 0:
		r.f.give(-d)
		r.held = n
		return nil
	case n > r.f.limit:
		return tooLarge{fmt.Sprintf("request needs %d bytes in memory to read and decode, over spantop's in-flight bound of %d bytes (a share of --max-memory)", n, r.f.limit)}
	case !r.f.take(d):
		return errBusy
	default:
		r.held = n
		return nil
	}
}

// grow adds n bytes to the reservation.
func (r *reservation) grow(n int64) error { return r.set(r.held + n) }

// shrink gives n bytes back.
func (r *reservation) shrink(n int64) {
	r.f.give(n)
	r.held -= n
}

// release gives everything back.
func (r *reservation) release() {
	r.f.give(r.held)
	r.held = 0
}
