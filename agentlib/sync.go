package agentlib

import (
	"context"
	"runtime/trace"
	"sync"
	"sync/atomic"

	oteltrace "go.opentelemetry.io/otel/trace"
)

// Go runs fn(ctx) on a new goroutine that spantop shows under name. The
// goroutine is registered under its name while it runs, so that every
// trace session, however late it starts (spantop reached after the worker
// began, or restarted), logs its name first (spantop.goroutine.names).
// While the execution trace runs, the goroutine first logs
// spantop.goroutine.name (message: name) and, if ctx carries a valid span,
// spantop.span.go with the span's 24 ID bytes, so that spantop links the
// goroutine to the span it works for until the span ends. A panic in fn is
// not recovered: it behaves as in any goroutine.
func Go(ctx context.Context, name string, fn func(context.Context)) {
	go func() {
		// Register before looking at the trace: a session that starts
		// after this logs the registry; one that started before is seen.
		id := goID()
		at := names.add(id, name)
		defer names.remove(id, at)
		if trace.IsEnabled() {
			trace.Log(ctx, "spantop.goroutine.name", name)
			if sc := oteltrace.SpanContextFromContext(ctx); sc.IsValid() {
				trace.Log(ctx, "spantop.span.go", spanIDs(sc))
			}
		}
		fn(ctx)
	}()
}

// Mutex is a sync.Mutex that spantop shows as a named resource. An
// uncontended Lock costs what sync.Mutex's does; only a goroutine about to
// wait logs spantop.res (message "mutex:<name>"), and only while the
// execution trace runs. Use NewMutex; the zero value is an unnamed mutex.
type Mutex struct {
	mu  sync.Mutex
	res string // "mutex:<name>"
}

// NewMutex returns an unlocked Mutex named name.
func NewMutex(name string) *Mutex {
	return &Mutex{res: "mutex:" + name}
}

// Lock locks m, waiting while another goroutine holds it.
func (m *Mutex) Lock() {
	if m.mu.TryLock() {
		return
	}
	m.lockSlow()
}

func (m *Mutex) lockSlow() {
	if trace.IsEnabled() {
		trace.Log(context.Background(), "spantop.res", m.res)
	}
	m.mu.Lock()
}

// TryLock locks m if it is free and reports whether it did.
func (m *Mutex) TryLock() bool { return m.mu.TryLock() }

// Unlock unlocks m. As with sync.Mutex, unlocking an unlocked Mutex is a
// fatal error.
func (m *Mutex) Unlock() { m.mu.Unlock() }

// Semaphore is a counting semaphore that spantop shows as a named
// resource. Acquire takes a token without any lock when one is free; a
// goroutine about to wait logs spantop.res (message "semaphore:<name>")
// while the execution trace runs, then waits its turn (waiters are served
// in order; TryAcquire does not overtake them).
type Semaphore struct {
	avail   atomic.Int64 // free tokens
	waiting atomic.Int64 // goroutines in Acquire's slow path
	size    int64
	res     string // "semaphore:<name>"

	mu      sync.Mutex
	waiters []*semWaiter // FIFO; guarded by mu
}

type semWaiter struct {
	ready   chan struct{} // closed when granted
	granted bool          // guarded by Semaphore.mu
}

// NewSemaphore returns a Semaphore named name holding n tokens. n below 1
// is taken as 1.
func NewSemaphore(name string, n int) *Semaphore {
	if n < 1 {
		n = 1
	}
	s := &Semaphore{size: int64(n), res: "semaphore:" + name}
	s.avail.Store(int64(n))
	return s
}

// take removes a token if one is free.
func (s *Semaphore) take() bool {
	for {
		a := s.avail.Load()
		if a <= 0 {
			return false
		}
		if s.avail.CompareAndSwap(a, a-1) {
			return true
		}
	}
}

// TryAcquire takes a token if one is free and nobody waits for one, and
// reports whether it did.
func (s *Semaphore) TryAcquire() bool {
	return s.waiting.Load() == 0 && s.take()
}

// Acquire takes a token, waiting until one is released or ctx is done. It
// returns ctx.Err() if it gave up; then it holds no token.
func (s *Semaphore) Acquire(ctx context.Context) error {
	if s.waiting.Load() == 0 && s.take() {
		return nil
	}
	return s.acquireSlow(ctx)
}

func (s *Semaphore) acquireSlow(ctx context.Context) error {
	s.mu.Lock()
	// Register before looking again: a Release that misses this count has
	// already made its token visible to take.
	s.waiting.Add(1)
	if len(s.waiters) == 0 && s.take() {
		s.waiting.Add(-1)
		s.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		s.waiting.Add(-1)
		s.mu.Unlock()
		return err
	}
	w := &semWaiter{ready: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()

	if trace.IsEnabled() {
		trace.Log(ctx, "spantop.res", s.res)
	}
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	if w.granted {
		// Granted as ctx ended: give the token back to the next in line.
		s.mu.Unlock()
		s.Release()
		return ctx.Err()
	}
	for i, x := range s.waiters {
		if x == w {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			break
		}
	}
	s.waiting.Add(-1)
	s.mu.Unlock()
	// Leaving the line may let the next waiter take a free token.
	s.grant()
	return ctx.Err()
}

// Release returns a token. Releasing more tokens than were acquired
// panics, as it would corrupt the count.
func (s *Semaphore) Release() {
	if s.avail.Add(1) > s.size {
		s.avail.Add(-1)
		panic("agentlib: Semaphore released more than acquired")
	}
	if s.waiting.Load() != 0 {
		s.grant()
	}
}

// grant hands free tokens to waiters, in order.
func (s *Semaphore) grant() {
	s.mu.Lock()
	for len(s.waiters) > 0 && s.take() {
		w := s.waiters[0]
		s.waiters[0] = nil
		s.waiters = s.waiters[1:]
		w.granted = true
		s.waiting.Add(-1)
		close(w.ready)
	}
	s.mu.Unlock()
}
