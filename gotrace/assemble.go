package gotrace

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/spantop/spantop/model"
)

const (
	// maxChunks bounds the chunks of one generation.
	maxChunks = 4096
	// maxPending is how many generations of a stream may be reassembled at
	// once: chunks of the next generation may arrive before the current one
	// is complete, but a third one gives the oldest up.
	maxPending = 2
)

// stream is one process's trace session: its reassembly, parse queue,
// parser state and kept raw trace.
type stream struct {
	r       *Reader
	key     streamKey
	res     model.Resource
	session uint64

	mu        sync.Mutex
	closed    bool
	lastOffer time.Time
	pending   []*pendingGen // oldest first
	lastGen   uint64        // the last generation queued or given up
	haveLast  bool
	dropped   uint64 // the sender's DroppedGenerations, last seen
	header    []byte // the last valid header
	version   int
	gap       bool  // the next queued generation follows a gap
	held      int64 // bytes in pending and queue
	queue     []*genJob
	scheduled bool // on the ready list or being parsed

	// kept is the recent raw trace for Save: contiguous whole generations.
	kept       []keptGen
	keptBytes  int64
	keptHeader []byte

	// b is the parser state; only the worker parsing the stream touches it.
	b *builder
}

// pendingGen is a generation being reassembled.
type pendingGen struct {
	gen    uint64
	chunks [][]byte // by chunk number; nil while missing
	have   int
	final  int // the final chunk's number; -1 until seen
	header []byte
	bytes  int64
	failed bool // given up: its chunks are dropped as they come
}

// genJob is a whole generation waiting to be parsed.
type genJob struct {
	gen     uint64
	header  []byte
	data    []byte // the generation's batches, ending with an end-of-generation marker from Go 1.26 on
	wire    int64  // bytes received for it
	fresh   bool   // it follows a gap: nothing carries over from the previous generation
	arrived time.Time
}

func newStream(r *Reader, key streamKey, res model.Resource) *stream {
	res.Attrs = append([]byte(nil), res.Attrs...)
	s := &stream{r: r, key: key, res: res, session: key.session, lastOffer: r.opts.Now()}
	s.b = newBuilder(&r.opts, &r.c, res, key.session)
	return s
}

// release returns n held bytes to the budgets. The caller holds s.mu.
func (s *stream) release(n int64) {
	s.held -= n
	s.r.c.held.Add(-n)
}

// markGap records a break in the stream; the next generation queued starts afresh.
func (s *stream) markGap() {
	if !s.gap {
		s.gap = true
		s.r.c.gaps.Add(1)
	}
}

// offer takes one chunk. closed reports that the stream was closed before
// the chunk could be looked at, and nothing was counted.
func (s *stream) offer(c *model.TraceChunk) (closed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true, nil
	}
	return false, s.offerLocked(c)
}

func (s *stream) offerLocked(c *model.TraceChunk) error {
	r := s.r
	s.lastOffer = r.opts.Now()
	if c.DroppedGenerations > s.dropped {
		r.c.senderDrop.Add(c.DroppedGenerations - s.dropped)
		s.dropped = c.DroppedGenerations
		s.markGap()
	}
	drop := func(corrupt bool, why string, args ...any) error {
		if corrupt {
			r.c.corrupt.Add(1)
			return fmt.Errorf("%w: "+why, append([]any{ErrCorrupt}, args...)...)
		}
		r.c.droppedChunks.Add(1)
		return fmt.Errorf("%w: "+why, append([]any{ErrDropped}, args...)...)
	}
	if s.haveLast && c.Generation <= s.lastGen {
		return drop(false, "generation %d already done", c.Generation)
	}
	if c.Chunk >= maxChunks {
		return drop(true, "chunk number %d over %d", c.Chunk, maxChunks)
	}
	p := s.pendingFor(c.Generation)
	if p.failed {
		return drop(false, "generation %d was given up", c.Generation)
	}
	if len(c.Header) > 0 {
		v, err := parseHeader(c.Header)
		if err != nil {
			s.fail(p)
			return drop(true, "%v", err)
		}
		p.header = append([]byte(nil), c.Header...)
		s.header, s.version = p.header, v
	}
	if int(c.Chunk) < len(p.chunks) && p.chunks[c.Chunk] != nil {
		return drop(false, "chunk %d of generation %d twice", c.Chunk, c.Generation)
	}
	if c.Final {
		if p.final >= 0 && p.final != int(c.Chunk) || len(p.chunks) > int(c.Chunk)+1 {
			s.fail(p)
			return drop(true, "two final chunks in generation %d", c.Generation)
		}
		p.final = int(c.Chunk)
	} else if p.final >= 0 && int(c.Chunk) > p.final {
		s.fail(p)
		return drop(true, "chunk %d after the final one in generation %d", c.Chunk, c.Generation)
	}
	n := int64(len(c.Data))
	if s.held+n > r.opts.MaxStreamBytes || r.c.held.Load()+n > r.opts.MaxBytes {
		s.fail(p)
		return drop(false, "over the memory budget")
	}
	for len(p.chunks) <= int(c.Chunk) {
		p.chunks = append(p.chunks, nil)
	}
	// A zero-length chunk still counts as present.
	p.chunks[c.Chunk] = append(make([]byte, 0, max(n, 1)), c.Data...)
	p.have++
	p.bytes += n
	s.held += n
	r.c.held.Add(n)
	r.c.bytes.Add(uint64(n))

	var corrupt error
	for len(s.pending) > 0 {
		p := s.pending[0]
		if !p.failed && !p.whole() {
			// Chunks of a generation may come out of order, but once a
			// later generation is whole, what is missing is lost.
			if !slices.ContainsFunc(s.pending[1:], (*pendingGen).whole) {
				break
			}
			s.fail(p)
		}
		s.pending = s.pending[1:]
		if p.failed {
			s.lastGen, s.haveLast = max(s.lastGen, p.gen), true
			continue
		}
		if err := s.complete(p); err != nil {
			corrupt = err
		}
	}
	if corrupt != nil {
		r.c.corrupt.Add(1)
		return fmt.Errorf("%w: %v", ErrCorrupt, corrupt)
	}
	return nil
}

func (p *pendingGen) whole() bool {
	return !p.failed && p.final >= 0 && p.have == p.final+1
}

// pendingFor returns the generation being reassembled for gen, starting it
// if need be; starting a third gives the oldest up.
func (s *stream) pendingFor(gen uint64) *pendingGen {
	i := 0
	for ; i < len(s.pending); i++ {
		if s.pending[i].gen == gen {
			return s.pending[i]
		}
		if s.pending[i].gen > gen {
			break
		}
	}
	p := &pendingGen{gen: gen, final: -1}
	s.pending = append(s.pending, nil)
	copy(s.pending[i+1:], s.pending[i:])
	s.pending[i] = p
	for len(s.pending) > maxPending {
		old := s.pending[0]
		s.pending = s.pending[1:]
		if !old.failed {
			s.fail(old)
		}
		s.lastGen, s.haveLast = max(s.lastGen, old.gen), true
	}
	return p
}

// fail gives a generation up: its bytes are freed and the stream has a gap.
func (s *stream) fail(p *pendingGen) {
	if p.failed {
		return
	}
	p.failed = true
	s.release(p.bytes)
	p.chunks, p.bytes = nil, 0
	s.r.c.droppedGens.Add(1)
	s.markGap()
}

// complete turns a whole generation into a parse job: the chunks' batches
// are checked, concatenated and closed with an end-of-generation marker.
func (s *stream) complete(p *pendingGen) error {
	r := s.r
	defer func() {
		s.release(p.bytes)
		p.chunks = nil
	}()
	if s.haveLast && p.gen != s.lastGen+1 {
		s.markGap()
	}
	s.lastGen, s.haveLast = p.gen, true
	header := p.header
	if header == nil {
		header = s.header
	}
	if header == nil {
		r.c.droppedGens.Add(1)
		s.markGap()
		return fmt.Errorf("generation %d without a header", p.gen)
	}
	version, _ := parseHeader(header)
	size := 1
	for _, c := range p.chunks {
		size += len(c)
	}
	data := make([]byte, 0, size)
	var batchGen uint64
	for _, c := range p.chunks {
		for len(c) > 0 {
			b, err := nextBatch(c, version)
			if err == nil && !b.eog && batchGen != 0 && b.gen != batchGen {
				err = fmt.Errorf("batches of generations %d and %d", batchGen, b.gen)
			}
			if err != nil {
				r.c.droppedGens.Add(1)
				s.markGap()
				return fmt.Errorf("generation %d: %v", p.gen, err)
			}
			if !b.eog {
				batchGen = b.gen
				data = append(data, c[:b.size]...)
			}
			c = c[b.size:]
		}
	}
	if batchGen == 0 {
		// Nothing to parse; the stream goes on.
		return nil
	}
	if version >= eogVersion {
		data = append(data, evEndOfGeneration)
	}
	job := &genJob{gen: p.gen, header: header, data: data, wire: p.bytes, fresh: s.gap, arrived: r.opts.Now()}
	if len(s.queue) >= r.opts.QueueGenerations {
		r.c.droppedGens.Add(1)
		s.markGap()
		return nil
	}
	s.gap = false
	s.queue = append(s.queue, job)
	s.held += int64(len(data))
	r.c.held.Add(int64(len(data)))
	r.schedule(s)
	return nil
}
