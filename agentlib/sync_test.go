package agentlib

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMutex(t *testing.T) {
	mu := NewMutex("counter")
	n := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5000 {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n != 8*5000 {
		t.Fatalf("n = %d, want %d", n, 8*5000)
	}
	if !mu.TryLock() {
		t.Fatal("TryLock on a free mutex failed")
	}
	if mu.TryLock() {
		t.Fatal("TryLock on a held mutex succeeded")
	}
	mu.Unlock()
	var zero Mutex // usable, unnamed
	zero.Lock()
	zero.Unlock() //lint:ignore SA2001 only that the zero value works is checked
}

func TestSemaphoreLimits(t *testing.T) {
	const size = 3
	s := NewSemaphore("pool", size)
	var holders, most atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				if i%3 == 0 {
					if !s.TryAcquire() {
						continue
					}
				} else if err := s.Acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				h := holders.Add(1)
				for {
					m := most.Load()
					if h <= m || most.CompareAndSwap(m, h) {
						break
					}
				}
				holders.Add(-1)
				s.Release()
			}
		}()
	}
	wg.Wait()
	if most.Load() > size {
		t.Errorf("%d holders at once, want at most %d", most.Load(), size)
	}
	checkIdle(t, s)
}

// checkIdle checks that every token is back and nobody waits.
func checkIdle(t *testing.T, s *Semaphore) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.avail.Load() != s.size || s.waiting.Load() != 0 || len(s.waiters) != 0 {
		t.Errorf("avail %d of %d, waiting %d, queued %d", s.avail.Load(), s.size, s.waiting.Load(), len(s.waiters))
	}
}

func TestSemaphoreCancel(t *testing.T) {
	s := NewSemaphore("one", 1)
	if err := s.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire on a held semaphore: %v, want the context's error", err)
	}
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if err := s.Acquire(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a done context: %v", err)
	}
	s.Release()
	if !s.TryAcquire() {
		t.Fatal("the token was lost to a cancelled waiter")
	}
	s.Release()
	checkIdle(t, s)
}

// Waiters giving up while tokens come and go must neither lose nor
// duplicate a token.
func TestSemaphoreCancelRace(t *testing.T) {
	s := NewSemaphore("churn", 2)
	var holders atomic.Int64
	var wg sync.WaitGroup
	for g := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 500 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(200))*time.Microsecond)
				err := s.Acquire(ctx)
				cancel()
				if err != nil {
					continue
				}
				if holders.Add(1) > 2 {
					t.Error("more holders than tokens")
				}
				time.Sleep(time.Duration(r.IntN(50)) * time.Microsecond)
				holders.Add(-1)
				s.Release()
			}
		}()
	}
	wg.Wait()
	checkIdle(t, s)
}

func TestSemaphoreFIFO(t *testing.T) {
	s := NewSemaphore("line", 1)
	if !s.TryAcquire() {
		t.Fatal("TryAcquire on a free semaphore failed")
	}
	order := make(chan int, 2)
	for i := range 2 {
		go func() {
			if err := s.Acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			order <- i
			s.Release()
		}()
		waitFor(t, 5*time.Second, "the waiter to queue", func() bool { return s.waiting.Load() == int64(i+1) })
	}
	if s.TryAcquire() {
		t.Fatal("TryAcquire overtook waiting goroutines")
	}
	s.Release()
	if a, b := <-order, <-order; a != 0 || b != 1 {
		t.Errorf("served %d then %d; want first come, first served", a, b)
	}
	checkIdle(t, s)
}

func TestSemaphoreOverRelease(t *testing.T) {
	s := NewSemaphore("x", 1)
	defer func() {
		if recover() == nil {
			t.Error("releasing an unheld semaphore did not panic")
		}
		checkIdle(t, s)
	}()
	s.Release()
}

func TestGo(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	got := make(chan any, 1)
	Go(ctx, "reader", func(ctx context.Context) { got <- ctx.Value(key{}) })
	if v := <-got; v != "v" {
		t.Errorf("fn got a context with %v, want the caller's", v)
	}
}
