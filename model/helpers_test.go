package model

import (
	"encoding/binary"
	"sync"
	"time"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestModel(cfg Config) (*Model, *fakeClock) {
	clk := newFakeClock()
	cfg.Clock = clk.Now
	return New(cfg), clk
}

func traceID(n uint64) TraceID {
	var t TraceID
	binary.BigEndian.PutUint64(t[8:], n)
	t[0] = 1
	return t
}

func spanID(n uint64) SpanID {
	var s SpanID
	binary.BigEndian.PutUint64(s[:], n)
	return s
}

// spec describes a span for tests in plain terms.
type spec struct {
	trace, span, parent uint64
	name, service       string
	kind                SpanKind
	start               time.Time
	dur                 time.Duration
	status              StatusCode
	inflight            bool
	seq                 uint32
	attrs               map[string]string
}

func (m *Model) rec(s spec) SpanRec {
	syms := m.Symbols()
	r := SpanRec{
		TraceID: traceID(s.trace), SpanID: spanID(s.span), Name: syms.InternString(s.name),
		Kind: s.kind, Status: s.status, Start: s.start.UnixNano(), InFlight: s.inflight, SnapshotSeq: s.seq,
	}
	if s.parent != 0 {
		r.Parent = spanID(s.parent)
	}
	if !s.inflight {
		r.End = s.start.Add(s.dur).UnixNano()
	}
	if len(s.attrs) > 0 {
		w := NewAttrWriter(syms)
		for k, v := range s.attrs {
			w.String([]byte(k), []byte(v))
		}
		r.Attrs, r.NumAttrs = w.Blob(), uint16(w.Len())
	}
	return r
}

func (m *Model) batch(specs ...spec) *Batch {
	b := &Batch{}
	svcIdx := map[string]uint32{}
	for _, s := range specs {
		r := m.rec(s)
		r.Res = m.resourceIn(b, svcIdx, s.service)
		b.Spans = append(b.Spans, r)
	}
	return b
}

// resourceIn returns the index in b.Resources of service svc's resource,
// adding it when it is new (seen maps names to indexes).
func (m *Model) resourceIn(b *Batch, seen map[string]uint32, svc string) uint32 {
	if svc == "" {
		svc = "api"
	}
	idx, ok := seen[svc]
	if !ok {
		w := NewAttrWriter(m.Symbols())
		w.String([]byte("service.name"), []byte(svc))
		idx = uint32(len(b.Resources))
		b.Resources = append(b.Resources, Resource{ServiceName: m.Symbols().InternString(svc), Attrs: w.Blob()})
		seen[svc] = idx
	}
	return idx
}

func names(rows []TaskRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Name
	}
	return out
}
