package gotrace

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spantop/spantop/model"
)

// Options configure a Reader. Zero fields take the defaults shown.
type Options struct {
	// Output receives one batch per parsed generation per stream. It is
	// called from the reader's worker goroutines, one call at a time, and
	// for each stream in generation order. It owns the batch. A slow Output
	// holds up parsing; chunks arriving meanwhile are dropped and counted.
	Output func(*model.RuntimeBatch)

	// MaxStreamBytes bounds the bytes one stream holds while it reassembles
	// and waits to be parsed (default 32 MiB); MaxBytes bounds them over
	// all streams (default 128 MiB). Chunks over either are dropped.
	MaxStreamBytes int64
	MaxBytes       int64
	// MaxStreams bounds the streams (process, session) read at once (default 64).
	MaxStreams int
	// QueueGenerations is how many whole generations of one stream may wait
	// for a parser (default 4); a generation over it is dropped.
	QueueGenerations int
	// Workers is the number of parsing goroutines (default 2, at most GOMAXPROCS).
	Workers int
	// IdleTimeout closes a stream that received nothing for this long (default 60s).
	IdleTimeout time.Duration

	// Keep is how much of the recent raw trace each stream keeps for Save,
	// in whole generations (default 10s); KeepBytes bounds it over all
	// streams (default 32 MiB), and one stream keeps at most half of it.
	Keep      time.Duration
	KeepBytes int64

	// MaxGoroutines, MaxResources and MaxSpans bound what one stream's
	// parser state tracks (defaults 65536, 4096, 65536); what is over is
	// ignored and counted.
	MaxGoroutines int
	MaxResources  int
	MaxSpans      int

	// Now is the clock (default time.Now); the wall-clock fallback for
	// traces without clock snapshots (Go < 1.25) and idle timeouts use it.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxStreamBytes, 32<<20)
	def(&o.MaxBytes, 128<<20)
	def(&o.KeepBytes, 32<<20)
	defInt(&o.MaxStreams, 64)
	defInt(&o.QueueGenerations, 4)
	defInt(&o.Workers, min(2, runtime.GOMAXPROCS(0)))
	defInt(&o.MaxGoroutines, 1<<16)
	defInt(&o.MaxResources, 4096)
	defInt(&o.MaxSpans, 1<<16)
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = time.Minute
	}
	if o.Keep <= 0 {
		o.Keep = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Output == nil {
		o.Output = func(*model.RuntimeBatch) {}
	}
}

// Errors Offer returns for a chunk it did not take. The chunk is counted in
// Stats either way; the caller need not count it again.
var (
	ErrClosed  = errors.New("gotrace: reader closed")
	ErrCorrupt = errors.New("gotrace: malformed trace chunk")
	ErrDropped = errors.New("gotrace: trace chunk dropped")
)

// Stats are the reader's counters, for the header.
type Stats struct {
	// Streams is the number of streams (process, session) open now.
	Streams int
	// Generations counts generations parsed; Events the events in them;
	// Bytes the chunk bytes taken.
	Generations uint64
	Events      uint64
	Bytes       uint64
	// Gaps counts breaks in a stream (a generation missing, incomplete,
	// dropped here or by the sender, or unreadable): each makes the next
	// whole generation start afresh.
	Gaps uint64
	// Corrupt counts malformed chunks and generations the parser refused.
	Corrupt uint64
	// DroppedChunks counts chunks not taken (over a budget, duplicate, too
	// late, too many streams); DroppedGenerations the generations given up
	// here; SenderDropped the generations the senders said they dropped.
	DroppedChunks      uint64
	DroppedGenerations uint64
	SenderDropped      uint64
	// Overflow counts goroutines, resources and spans not tracked because
	// a stream's parser state was full.
	Overflow uint64
	// Held is the bytes waiting to be parsed now; Kept the raw trace kept for Save.
	Held int64
	Kept int64
}

type counters struct {
	generations, events, bytes             atomic.Uint64
	gaps, corrupt                          atomic.Uint64
	droppedChunks, droppedGens, senderDrop atomic.Uint64
	overflow                               atomic.Uint64
	held, kept                             atomic.Int64
}

// Reader reassembles the Go execution traces agentlib sends, parses them
// with golang.org/x/exp/trace on its own goroutines and hands one
// model.RuntimeBatch per generation to Options.Output. It also keeps the
// last seconds of each stream's raw trace for Save. It is safe for
// concurrent use.
type Reader struct {
	opts Options
	c    counters

	mu      sync.Mutex // guards streams and closed
	streams map[streamKey]*stream
	closed  bool

	readyMu sync.Mutex
	ready   []*stream // streams with generations to parse, each at most once
	wake    *sync.Cond
	stop    bool

	outMu sync.Mutex // serialises Output
	done  chan struct{}
	wg    sync.WaitGroup
}

// New starts a Reader with its workers; Close stops them.
func New(opts Options) *Reader {
	opts.setDefaults()
	r := &Reader{
		opts:    opts,
		streams: make(map[streamKey]*stream),
		done:    make(chan struct{}),
	}
	r.wake = sync.NewCond(&r.readyMu)
	for range opts.Workers {
		r.wg.Go(r.worker)
	}
	r.wg.Go(r.janitor)
	return r
}

// Close stops the workers and drops every stream. Chunks offered afterwards
// are refused with ErrClosed. It waits for a batch being parsed to finish.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	streams := r.streams
	r.streams = map[streamKey]*stream{}
	r.mu.Unlock()
	for _, s := range streams {
		r.closeStream(s)
	}
	r.readyMu.Lock()
	r.stop = true
	r.wake.Broadcast()
	r.readyMu.Unlock()
	close(r.done)
	r.wg.Wait()
	return nil
}

// Stats returns the counters.
func (r *Reader) Stats() Stats {
	r.mu.Lock()
	n := len(r.streams)
	r.mu.Unlock()
	return Stats{
		Streams:            n,
		Generations:        r.c.generations.Load(),
		Events:             r.c.events.Load(),
		Bytes:              r.c.bytes.Load(),
		Gaps:               r.c.gaps.Load(),
		Corrupt:            r.c.corrupt.Load(),
		DroppedChunks:      r.c.droppedChunks.Load(),
		DroppedGenerations: r.c.droppedGens.Load(),
		SenderDropped:      r.c.senderDrop.Load(),
		Overflow:           r.c.overflow.Load(),
		Held:               r.c.held.Load(),
		Kept:               r.c.kept.Load(),
	}
}

// ProcessKey is the identity of the process a resource describes: its
// attribute blob, or its well-known fields when it has none.
func ProcessKey(res model.Resource) string {
	if len(res.Attrs) > 0 {
		return string(res.Attrs)
	}
	return fmt.Sprintf("\x00%d/%d/%d/%d", res.ServiceName, res.InstanceID, res.HostName, res.PID)
}

type streamKey struct {
	proc    string
	session uint64
}

// Offer hands the reader one trace chunk. It never blocks on parsing: the
// chunk's bytes are copied, and a generation it completes is queued for a
// worker. A chunk that cannot be taken is counted and answered with
// ErrCorrupt, ErrDropped or ErrClosed; nothing is kept of it.
func (r *Reader) Offer(c *model.TraceChunk) error {
	key := streamKey{ProcessKey(c.Resource), c.Session}
	for range 2 {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return ErrClosed
		}
		s := r.streams[key]
		if s == nil {
			if len(r.streams) >= r.opts.MaxStreams {
				r.mu.Unlock()
				r.c.droppedChunks.Add(1)
				return fmt.Errorf("%w: over %d streams", ErrDropped, r.opts.MaxStreams)
			}
			s = newStream(r, key, c.Resource)
			r.streams[key] = s
		}
		r.mu.Unlock()
		closed, err := s.offer(c)
		if !closed {
			return err
		}
		// The stream was closed for idleness meanwhile; a fresh one takes the chunk.
	}
	r.c.droppedChunks.Add(1)
	return ErrDropped
}

// schedule puts s on the ready list unless it is there or being parsed.
// The caller holds s.mu.
func (r *Reader) schedule(s *stream) {
	if s.scheduled {
		return
	}
	s.scheduled = true
	r.readyMu.Lock()
	r.ready = append(r.ready, s)
	r.wake.Signal()
	r.readyMu.Unlock()
}

func (r *Reader) worker() {
	for {
		r.readyMu.Lock()
		for len(r.ready) == 0 && !r.stop {
			r.wake.Wait()
		}
		if r.stop {
			r.readyMu.Unlock()
			return
		}
		s := r.ready[0]
		r.ready[0] = nil
		r.ready = r.ready[1:]
		r.readyMu.Unlock()

		s.mu.Lock()
		if s.closed || len(s.queue) == 0 {
			s.scheduled = false
			s.mu.Unlock()
			continue
		}
		job := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()

		r.parse(s, job)

		s.mu.Lock()
		s.release(int64(len(job.data)))
		if len(s.queue) > 0 && !s.closed {
			s.scheduled = false
			r.schedule(s)
		} else {
			s.scheduled = false
		}
		s.mu.Unlock()
	}
}

// parse reads one generation and hands its batch on. Only one worker
// parses a stream at a time, so the builder needs no lock.
func (r *Reader) parse(s *stream, job *genJob) {
	batch, events, err := s.b.generation(job)
	r.c.events.Add(uint64(events))
	if err != nil {
		// The next generation starts afresh, and the kept trace starts
		// over with it.
		r.c.corrupt.Add(1)
		r.c.gaps.Add(1)
		s.mu.Lock()
		s.dropKeptLocked()
		s.mu.Unlock()
	} else {
		r.c.generations.Add(1)
		r.keep(s, job, batch)
	}
	if batch != nil {
		r.outMu.Lock()
		r.opts.Output(batch)
		r.outMu.Unlock()
	}
}

func (r *Reader) janitor() {
	every := min(r.opts.IdleTimeout/2, 5*time.Second)
	t := model.NewAlignedTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
			t.Next()
		}
		now := r.opts.Now()
		var idle []*stream
		r.mu.Lock()
		for k, s := range r.streams {
			s.mu.Lock()
			if now.Sub(s.lastOffer) > r.opts.IdleTimeout && !s.scheduled {
				delete(r.streams, k)
				idle = append(idle, s)
			}
			s.mu.Unlock()
		}
		r.mu.Unlock()
		for _, s := range idle {
			r.closeStream(s)
		}
	}
}

// closeStream frees what a stream holds; the caller has removed it from r.streams.
func (r *Reader) closeStream(s *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, p := range s.pending {
		s.release(p.bytes)
	}
	s.pending = nil
	for _, j := range s.queue {
		s.release(int64(len(j.data)))
	}
	s.queue = nil
	r.c.kept.Add(-s.keptBytes)
	s.kept, s.keptBytes = nil, 0
}

// idle reports whether every generation handed to the workers has been
// parsed and output.
func (r *Reader) idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.streams {
		s.mu.Lock()
		busy := s.scheduled || len(s.queue) > 0
		s.mu.Unlock()
		if busy {
			return false
		}
	}
	return true
}
