package tapqueue

import (
	"bytes"
	"testing"

	"github.com/spantop/spantop/ingest/otlpjson"
)

// The queue holds copies up to its bytes and its count, drops and counts
// the rest without waiting, and takes more once the tap is done with some.
func TestQueueBoundsAndCounts(t *testing.T) {
	q := New(3, 100)
	body := bytes.Repeat([]byte{'x'}, 40)
	q.Offer(otlpjson.Traces, body, false, 1)
	q.Offer(otlpjson.Logs, body, true, 2)
	q.Offer(otlpjson.Traces, body, false, 3) // 120 bytes: over the bound
	if q.Len() != 2 || q.Dropped() != 1 {
		t.Fatalf("after 3 offers of 40 bytes into 100: %d queued, %d dropped; want 2, 1", q.Len(), q.Dropped())
	}
	body[0] = 'y' // the queue holds copies
	it := <-q.C()
	if it.Sig != otlpjson.Traces || it.JSON || it.Arrived != 1 || it.Body[0] != 'x' || len(it.Body) != 40 {
		t.Fatalf("first item %+v", it)
	}
	q.Done(it)
	q.Offer(otlpjson.Metrics, []byte("a"), false, 4)
	q.Offer(otlpjson.Metrics, []byte("b"), false, 5) // 3 items: the count's bound
	q.Offer(otlpjson.Metrics, []byte("c"), false, 6)
	if q.Len() != 3 || q.Dropped() != 2 {
		t.Fatalf("count bound: %d queued, %d dropped; want 3, 2", q.Len(), q.Dropped())
	}
	for range 3 {
		q.Done(<-q.C())
	}
	if q.queued.Load() != 0 {
		t.Fatalf("%d bytes counted in an empty queue", q.queued.Load())
	}
	q.Drop()
	if q.Dropped() != 3 {
		t.Fatalf("Drop: %d dropped, want 3", q.Dropped())
	}
}
