// Package tapqueue is the queue between ingest's receivers and a tap that
// does slow work with each request (a recording's file, a forward
// target). Offer copies the request in, or counts it dropped when the
// queue already holds its bytes or its count of requests: a receiver never
// waits for a tap, and a tap never holds more than its bound.
package tapqueue

import (
	"sync"
	"sync/atomic"

	"github.com/spantop/spantop/ingest/otlpjson"
)

// Item is one queued request: a copy of its body, to hand back with Done.
type Item struct {
	Sig     otlpjson.Signal
	JSON    bool  // Body is OTLP/JSON, else protobuf
	Arrived int64 // Unix nanoseconds
	Body    []byte
}

// Protobuf is the request as protobuf: Body itself, or Body decoded from
// OTLP/JSON.
func (it Item) Protobuf() ([]byte, error) {
	if !it.JSON {
		return it.Body, nil
	}
	req, err := otlpjson.DecodeSignal(it.Body, it.Sig)
	if err != nil {
		return nil, err
	}
	return req.Proto, nil
}

// Queue holds at most maxItems requests and maxBytes bytes of bodies.
type Queue struct {
	c        chan Item
	maxBytes int64
	queued   atomic.Int64 // bytes of the bodies queued
	dropped  atomic.Int64
}

// New makes a queue for maxItems requests and maxBytes of bodies.
func New(maxItems int, maxBytes int64) *Queue {
	return &Queue{c: make(chan Item, maxItems), maxBytes: maxBytes}
}

// bodies keeps the copies' buffers for the next requests.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled is the largest body buffer kept for reuse.
const maxPooled = 1 << 20

// Offer queues a copy of body, or counts it dropped when the queue is
// full. It never blocks.
func (q *Queue) Offer(sig otlpjson.Signal, body []byte, json bool, arrived int64) {
	n := int64(len(body))
	if q.queued.Add(n) > q.maxBytes {
		q.queued.Add(-n)
		q.dropped.Add(1)
		return
	}
	bp := bodies.Get().(*[]byte)
	it := Item{Sig: sig, JSON: json, Arrived: arrived, Body: append((*bp)[:0], body...)}
	select {
	case q.c <- it:
	default:
		q.queued.Add(-n)
		q.dropped.Add(1)
		free(it.Body)
	}
}

// C is where the tap's goroutine takes the requests; it is never closed,
// so that a late Offer cannot panic.
func (q *Queue) C() <-chan Item { return q.c }

// Len is how many requests are queued.
func (q *Queue) Len() int { return len(q.c) }

// Done says the tap is finished with it (taken from C): its bytes leave
// the bound and its body may be reused, so the tap must not keep it.
func (q *Queue) Done(it Item) {
	q.queued.Add(-int64(len(it.Body)))
	free(it.Body)
}

// Drop counts a request dropped that Offer had queued (a tap that gave up
// on it).
func (q *Queue) Drop() { q.dropped.Add(1) }

// Dropped is how many requests were dropped.
func (q *Queue) Dropped() int64 { return q.dropped.Load() }

func free(b []byte) {
	if cap(b) <= maxPooled {
		bodies.Put(&b)
	}
}
