package model

import (
	"sync"
	"unsafe"
)

// A SpanPool keeps the span memory of models that are done with for the
// next model made with it. Replay builds a new model for every seek back;
// memory fresh from the system costs a page fault and zeroing per page,
// which was most of a seek's time (a 1M-span model is ~170 MB of chunks).
type SpanPool struct {
	mu     sync.Mutex
	chunks []*spanChunk
	// max bounds the chunks kept, so a pool never holds more than the
	// largest model that gave it memory.
	max int
}

// NewSpanPool returns an empty pool.
func NewSpanPool() *SpanPool { return &SpanPool{} }

func (p *SpanPool) take() *spanChunk {
	if p == nil {
		return new(spanChunk)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.chunks)
	if n == 0 {
		return new(spanChunk)
	}
	c := p.chunks[n-1]
	p.chunks[n-1] = nil
	p.chunks = p.chunks[:n-1]
	return c
}

// give takes chunks whose slots are all free and whose references are
// dropped (see spanStore.recycle).
func (p *SpanPool) give(cs []*spanChunk) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.max = max(p.max, len(cs))
	for _, c := range cs {
		if len(p.chunks) >= p.max {
			return
		}
		p.chunks = append(p.chunks, c)
	}
}

// Recycle gives the model's span memory to its Config.Pool and leaves the
// model empty of spans. Nothing may read the model afterwards: its other
// state still names the slots it gave away.
func (m *Model) Recycle() {
	if m.cfg.Pool == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.Pool.give(m.store.recycle())
}

// recycle clears every slot of the store's chunks, as a fresh chunk has
// them, and hands the chunks over.
func (s *spanStore) recycle() []*spanChunk {
	cs := s.chunks
	for _, c := range cs {
		clear(c.id[:])
		clear(c.shelved[:])
		for i := range c.cold {
			c.cold[i].attrs, c.cold[i].ext = nil, nil
		}
		c.rt = nil
	}
	s.chunks, s.free, s.live = nil, nil, 0
	return cs
}

// Fill makes the pool hold as many chunks as m has, with their memory
// touched now, so that the next model made from the pool takes no page
// fault for it. Replay calls it off its own goroutine once a world is
// complete: the first seek back then costs what later ones do, and the
// memory it holds is what that seek would take anyway.
func (p *SpanPool) Fill(m *Model) {
	m.mu.RLock()
	want := len(m.store.chunks)
	m.mu.RUnlock()
	p.mu.Lock()
	p.max = max(p.max, want)
	p.mu.Unlock()
	for {
		p.mu.Lock()
		full := len(p.chunks) >= want
		p.mu.Unlock()
		if full {
			return
		}
		c := new(spanChunk)
		// A store on each page makes the system back it now.
		mem := unsafe.Slice((*byte)(unsafe.Pointer(c)), unsafe.Sizeof(*c))
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = 0
		}
		p.mu.Lock()
		if len(p.chunks) < p.max {
			p.chunks = append(p.chunks, c)
		}
		p.mu.Unlock()
	}
}
