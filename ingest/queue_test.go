package ingest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

func batchOf(n int) *model.Batch { return &model.Batch{Spans: make([]model.SpanRec, n)} }

func TestQueueBoundedInSpans(t *testing.T) {
	c := new(model.Counters)
	q := NewQueue(10, c)
	defer q.Close()
	ctx := context.Background()
	if err := q.Offer(ctx, batchOf(6)); err != nil {
		t.Fatal(err)
	}
	if err := q.Offer(ctx, batchOf(4)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := q.Offer(ctx, batchOf(1)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err = %v", err)
	}
	if waited := time.Since(start); waited < OfferWait || waited > 20*OfferWait {
		t.Errorf("waited %v", waited)
	}
	if c.Received.Load() != 10 || c.Refused.Load() != 1 || q.Len() != 10 {
		t.Errorf("received %d refused %d len %d", c.Received.Load(), c.Refused.Load(), q.Len())
	}
	// Room is freed only when the reader takes a batch.
	if b := <-q.C(); len(b.Spans) != 6 {
		t.Errorf("first batch has %d spans", len(b.Spans))
	}
	if err := q.Offer(ctx, batchOf(6)); err != nil {
		t.Errorf("after a take: %v", err)
	}
}

func TestQueueBoundedInBatches(t *testing.T) {
	q := NewQueue(1<<20, nil)
	defer q.Close()
	ctx := context.Background()
	n := 0
	for ; n < 1<<20; n++ {
		if err := q.Offer(ctx, batchOf(0)); err != nil {
			break
		}
	}
	if n != q.capBatches {
		t.Errorf("accepted %d empty batches, want the bound %d", n, q.capBatches)
	}
}

func TestQueueHugeBatchWhenEmpty(t *testing.T) {
	q := NewQueue(10, nil)
	defer q.Close()
	if err := q.Offer(context.Background(), batchOf(100)); err != nil {
		t.Errorf("a batch over capacity must pass an empty queue: %v", err)
	}
}

func TestQueueWaiterGetsRoom(t *testing.T) {
	q := NewQueue(4, nil)
	defer q.Close()
	ctx := context.Background()
	if err := q.Offer(ctx, batchOf(4)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- q.Offer(ctx, batchOf(4)) }()
	time.Sleep(OfferWait / 5)
	<-q.C()
	if err := <-done; err != nil {
		t.Errorf("waiter refused although room was freed: %v", err)
	}
}

func TestQueueContextCancel(t *testing.T) {
	q := NewQueue(1, nil)
	defer q.Close()
	if err := q.Offer(context.Background(), batchOf(1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Offer(ctx, batchOf(1)); !errors.Is(err, ErrQueueFull) {
		t.Errorf("err = %v", err)
	}
}

func TestQueueCloseDrains(t *testing.T) {
	c := new(model.Counters)
	q := NewQueue(100, c)
	ctx := context.Background()
	for range 3 {
		if err := q.Offer(ctx, batchOf(2)); err != nil {
			t.Fatal(err)
		}
	}
	q.Close()
	q.Close()
	if err := q.Offer(ctx, batchOf(5)); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("offer after close: %v", err)
	}
	n := 0
	for b := range q.C() {
		n += len(b.Spans)
	}
	if n != 6 || c.Refused.Load() != 5 {
		t.Errorf("drained %d spans, refused %d", n, c.Refused.Load())
	}
}

func TestQueueConcurrent(t *testing.T) {
	c := new(model.Counters)
	q := NewQueue(64, c)
	var got int
	done := make(chan struct{})
	go func() {
		for b := range q.C() {
			got += len(b.Spans)
		}
		close(done)
	}()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				_ = q.Offer(context.Background(), batchOf(3)) // refusals are counted
			}
		})
	}
	wg.Wait()
	q.Close()
	<-done
	if int64(got) != c.Received.Load() || c.Received.Load()+c.Refused.Load() != 8*200*3 {
		t.Errorf("got %d received %d refused %d", got, c.Received.Load(), c.Refused.Load())
	}
}
