package model

import (
	"context"
	"sync"
	"time"
)

// Model is the store. Apply is called by one writer goroutine (Run); the
// query methods may be called from any goroutine and return copies.
type Model struct {
	cfg      Config
	now      Clock
	syms     *Symbols
	counters Counters

	mu sync.RWMutex
}

// New returns an empty model. Zero Config fields take their defaults.
func New(cfg Config) *Model {
	if cfg.Retain <= 0 {
		cfg.Retain = DefaultRetain
	}
	if cfg.MaxMemory <= 0 {
		cfg.MaxMemory = DefaultMaxMemory
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Model{cfg: cfg, now: cfg.Clock, syms: NewSymbols()}
}

// Symbols returns the intern table ingest decodes into.
func (m *Model) Symbols() *Symbols { return m.syms }

// Counters returns the totals ingest adds to.
func (m *Model) Counters() *Counters { return &m.counters }

// Run is the writer loop: it applies batches from in and sweeps retention
// and lost spans every SweepEvery until ctx ends or in is closed.
func (m *Model) Run(ctx context.Context, in <-chan *Batch) {
	t := time.NewTicker(SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case b, ok := <-in:
			if !ok {
				return
			}
			m.Apply(b)
		case <-t.C:
			m.Sweep()
		}
	}
}

// SweepEvery is how often Run expires retained spans and marks lost ones.
const SweepEvery = 100 * time.Millisecond

// Apply stores one batch. Only the writer goroutine calls it.
func (m *Model) Apply(b *Batch) {}

// Sweep removes spans past retention and marks stale in-flight spans lost.
func (m *Model) Sweep() {}

// Header returns the live figures.
func (m *Model) Header() Header { return Header{} }

// Tasks returns one window of the tasks table.
func (m *Model) Tasks(q Query) Page[TaskRow] { return Page[TaskRow]{Selected: -1} }

// Operations returns one window of the operations table.
func (m *Model) Operations(q Query) Page[OpRow] { return Page[OpRow]{Selected: -1} }

// Span returns the details of the span with display ID id.
func (m *Model) Span(id uint64) (SpanDetail, bool) { return SpanDetail{}, false }
