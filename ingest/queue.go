package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/spantop/spantop/model"
)

// DefaultQueueSpans is the queue's capacity in spans when none is given.
const DefaultQueueSpans = 64 << 10

// OfferWait is how long Offer waits for room before it refuses a batch: long
// enough to ride out a hiccup of the writer, short enough that a client is
// told to back off instead of being held.
const OfferWait = 50 * time.Millisecond

// ErrQueueFull is returned by Offer when the queue had no room within
// OfferWait; receivers answer RESOURCE_EXHAUSTED / 429 with a retry delay.
var ErrQueueFull = errors.New("ingest queue full")

// ErrQueueClosed is returned by Offer after Close; receivers answer
// UNAVAILABLE / 503.
var ErrQueueClosed = errors.New("ingest queue closed")

// Queue is the one bounded queue between the receivers and the model's
// writer. It is bounded both in batches and in spans, so neither many tiny
// requests nor a few huge ones can make it grow without bound. A batch is
// counted until the reader has taken it from C.
type Queue struct {
	c          *model.Counters
	capSpans   int
	capBatches int

	mu      sync.Mutex
	ring    []*model.Batch
	head, n int // ring holds n batches from head
	spans   int // spans in the ring and in the forwarder's hand
	batches int // batches likewise
	// space is closed (and set to nil) when room is freed; made only when
	// an Offer is waiting, so the common path allocates nothing.
	space  chan struct{}
	closed bool

	ready chan struct{} // wakes the forwarder; buffered 1
	out   chan *model.Batch
}

// NewQueue returns a queue holding up to capacitySpans spans (0 means
// DefaultQueueSpans) that adds accepted spans to c.Received and refused ones
// to c.Refused. A batch larger than the whole capacity is still accepted
// when the queue is empty, so a big request can make progress.
func NewQueue(capacitySpans int, c *model.Counters) *Queue {
	if capacitySpans <= 0 {
		capacitySpans = DefaultQueueSpans
	}
	if c == nil {
		c = new(model.Counters)
	}
	capBatches := max(64, capacitySpans/16)
	q := &Queue{
		c: c, capSpans: capacitySpans, capBatches: capBatches,
		ring:  make([]*model.Batch, capBatches),
		ready: make(chan struct{}, 1),
		out:   make(chan *model.Batch),
	}
	go q.forward()
	return q
}

// C is the channel the model's writer reads batches from. It is closed after
// Close once every queued batch has been taken.
func (q *Queue) C() <-chan *model.Batch { return q.out }

// Offer queues b, waiting at most OfferWait (or until ctx ends) for room.
// It returns ErrQueueFull when refused and ErrQueueClosed after Close; the
// spans are then counted as refused and b is not kept. While the model
// cannot meet its memory budget (Counters.OverBudget) every batch is
// refused at once, so no client is told OK for spans then dropped.
func (q *Queue) Offer(ctx context.Context, b *model.Batch) error {
	n := b.Size()
	if q.c.OverBudget.Load() {
		q.c.Refuse(b)
		return ErrQueueFull
	}
	var timer *time.Timer
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			q.c.Refuse(b)
			return ErrQueueClosed
		}
		if q.batches < q.capBatches && (q.spans+n <= q.capSpans || q.spans == 0) {
			q.ring[(q.head+q.n)%len(q.ring)] = b
			q.n++
			q.batches++
			q.spans += n
			q.mu.Unlock()
			q.c.Accept(b)
			q.wake()
			return nil
		}
		if q.space == nil {
			q.space = make(chan struct{})
		}
		space := q.space
		q.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(OfferWait)
			defer timer.Stop()
		}
		select {
		case <-space:
		case <-timer.C:
			q.c.Refuse(b)
			return ErrQueueFull
		case <-ctx.Done():
			q.c.Refuse(b)
			return ErrQueueFull
		}
	}
}

// Len returns the number of spans queued and not yet taken by the reader.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.spans
}

// Close refuses further batches; C is closed once the queued ones are
// taken. It is safe to call more than once.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	if q.space != nil {
		close(q.space)
		q.space = nil
	}
	q.mu.Unlock()
	q.wake()
}

func (q *Queue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// forward hands batches to the reader one at a time; room is freed only when
// the reader has taken a batch, so the bound covers everything not yet in
// the model.
func (q *Queue) forward() {
	defer close(q.out)
	for {
		q.mu.Lock()
		for q.n == 0 {
			if q.closed {
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			<-q.ready
			q.mu.Lock()
		}
		b := q.ring[q.head]
		q.ring[q.head] = nil
		q.head = (q.head + 1) % len(q.ring)
		q.n--
		q.mu.Unlock()

		q.out <- b

		q.mu.Lock()
		q.spans -= b.Size()
		q.batches--
		if q.space != nil {
			close(q.space)
			q.space = nil
		}
		q.mu.Unlock()
	}
}
