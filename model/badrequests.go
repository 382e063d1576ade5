package model

import (
	"sync"
	"sync/atomic"
	"time"
)

// BadReason is why a request was refused as something spantop cannot take.
type BadReason uint8

// Reasons a request is bad.
const (
	BadPath        BadReason = iota // an HTTP path other than /v1/traces|logs|metrics, or an unknown gRPC method
	BadMethod                       // an HTTP method other than POST
	BadContentType                  // a content type other than protobuf or JSON (415)
	BadEncoding                     // a Content-Encoding other than gzip
	BadBody                         // a body that does not decode (400 / InvalidArgument)
	BadTooLarge                     // over --max-message (413 / RESOURCE_EXHAUSTED)
	BadProtocol                     // bytes that are neither HTTP nor gRPC
	BadReasons
)

var badReasonNames = [BadReasons]string{"path", "method", "content type", "encoding", "malformed", "too large", "not OTLP"}

// String names the reason as the header counts it.
func (r BadReason) String() string {
	if r < BadReasons {
		return badReasonNames[r]
	}
	return "unknown"
}

// BadRequest is one refused request, as the diagnostics show it.
type BadRequest struct {
	Time   time.Time
	Reason BadReason
	// Client is the sender's address; Detail what was wrong (the answer
	// it got); Hint, when the mistake is a common one, what to change.
	Client, Detail, Hint string
}

// recentBadRequests is how many bad requests are kept to show.
const recentBadRequests = 5

// badLogPerSecond bounds the bad requests written to the log each second
// (a misconfigured exporter retries in a loop); the others are counted.
const badLogPerSecond = 5

// BadRequests counts refused requests by reason and keeps the last few.
// Receivers add from many goroutines; the UI reads.
type BadRequests struct {
	counts [BadReasons]atomic.Int64

	mu      sync.Mutex
	recent  [recentBadRequests]BadRequest
	n       int
	log     func(BadRequest, int64)
	logSec  int64
	logged  int
	skipped int64
}

// SetLog makes every bad request (at most badLogPerSecond a second) go to
// log too, with the number of those left out before it.
func (b *BadRequests) SetLog(log func(r BadRequest, skipped int64)) {
	b.mu.Lock()
	b.log = log
	b.mu.Unlock()
}

// Add counts a bad request and keeps it among the recent ones.
func (b *BadRequests) Add(r BadRequest) {
	if r.Reason >= BadReasons {
		return
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	b.counts[r.Reason].Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recent[b.n%recentBadRequests] = r
	b.n++
	if b.log == nil {
		return
	}
	if sec := r.Time.Unix(); sec != b.logSec {
		b.logSec, b.logged = sec, 0
	}
	if b.logged >= badLogPerSecond {
		b.skipped++
		return
	}
	b.logged++
	b.log(r, b.skipped)
	b.skipped = 0
}

// Count returns how many requests were bad for reason r.
func (b *BadRequests) Count(r BadReason) int64 { return b.counts[r].Load() }

// Total returns how many requests were bad.
func (b *BadRequests) Total() int64 {
	var n int64
	for i := range b.counts {
		n += b.counts[i].Load()
	}
	return n
}

// Recent returns the last few bad requests, newest first.
func (b *BadRequests) Recent() []BadRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := min(b.n, recentBadRequests)
	out := make([]BadRequest, 0, k)
	for j := 1; j <= k; j++ {
		out = append(out, b.recent[(b.n-j)%recentBadRequests])
	}
	return out
}

// BadRequests returns the counts by reason and the last few bad requests,
// newest first.
func (m *Model) BadRequests() (counts [BadReasons]int64, recent []BadRequest) {
	for r := range BadReasons {
		counts[r] = m.counters.Bad.Count(r)
	}
	return counts, m.counters.Bad.Recent()
}
