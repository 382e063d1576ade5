package demo

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// inflight is a span processor that lets spantop see spans before they end,
// following the in-flight convention of DESIGN.md §5: a span alive for
// longer than after is exported as a snapshot with a zero end time and the
// attributes spantop.span.inflight=true and spantop.snapshot.seq, and every
// live span is re-sent each heartbeat. The stock SDK exports a span only
// when it ends, so without this a span running for seconds would be
// invisible until it finished. agentlib will offer the same to any Go app;
// the demo carries its own small copy so that it needs nothing else.
type inflight struct {
	exp          sdktrace.SpanExporter
	after, every time.Duration

	mu   sync.Mutex
	live map[spanKey]*liveSpan

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

type spanKey struct {
	trace trace.TraceID
	span  trace.SpanID
}

type liveSpan struct {
	span     sdktrace.ReadOnlySpan
	seq      int64
	lastSent time.Time
}

func newInflight(exp sdktrace.SpanExporter, after, every time.Duration) *inflight {
	p := &inflight{
		exp: exp, after: after, every: every,
		live: make(map[spanKey]*liveSpan),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go p.loop()
	return p
}

// OnStart remembers the span; it is cheap because it runs on the caller.
func (p *inflight) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	sc := s.SpanContext()
	p.mu.Lock()
	p.live[spanKey{sc.TraceID(), sc.SpanID()}] = &liveSpan{span: s}
	p.mu.Unlock()
}

// OnEnd forgets the span; the batcher exports its final version.
func (p *inflight) OnEnd(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	p.mu.Lock()
	delete(p.live, spanKey{sc.TraceID(), sc.SpanID()})
	p.mu.Unlock()
}

// Shutdown stops the snapshot loop. It does not shut the exporter down:
// the batcher, registered after this processor, owns that.
func (p *inflight) Shutdown(ctx context.Context) error {
	p.stopOnce.Do(func() { close(p.stop) })
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ForceFlush has nothing to flush: snapshots are best effort.
func (p *inflight) ForceFlush(context.Context) error { return nil }

func (p *inflight) loop() {
	defer close(p.done)
	tick := time.NewTicker(p.after / 2)
	defer tick.Stop()
	var batch []sdktrace.ReadOnlySpan
	for {
		select {
		case <-p.stop:
			return
		case now := <-tick.C:
			batch = p.due(now, batch[:0])
			if len(batch) == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			// A failed snapshot is replaced by the next heartbeat or by the
			// final span, so the error is not worth reporting.
			_ = p.exp.ExportSpans(ctx, batch)
			cancel()
		}
	}
}

// due appends a snapshot of every live span that is old enough and was not
// sent within the last heartbeat.
func (p *inflight) due(now time.Time, out []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.live {
		if now.Sub(l.span.StartTime()) < p.after || now.Sub(l.lastSent) < p.every {
			continue
		}
		l.seq++
		l.lastSent = now
		attrs := append(l.span.Attributes(),
			attribute.Bool("spantop.span.inflight", true),
			attribute.Int64("spantop.snapshot.seq", l.seq))
		out = append(out, snapshot{ReadOnlySpan: l.span, attrs: attrs})
	}
	return out
}

// snapshot is a live span as exported: no end time yet, and the in-flight
// attributes added to its own.
type snapshot struct {
	sdktrace.ReadOnlySpan
	attrs []attribute.KeyValue
}

// EndTime is zero: the OTLP exporter writes it as 0 on the wire.
func (s snapshot) EndTime() time.Time { return time.Time{} }

// Attributes returns the span's attributes plus the in-flight markers.
func (s snapshot) Attributes() []attribute.KeyValue { return s.attrs }
