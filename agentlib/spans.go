package agentlib

import (
	"context"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Attributes of an in-flight snapshot (DESIGN.md §5).
const (
	attrInFlight    = "spantop.span.inflight"
	attrSnapshotSeq = "spantop.snapshot.seq"
)

// Timing of in-flight snapshots. Variables so that tests can shorten them.
var (
	snapshotAfter   = 250 * time.Millisecond // a span this old is sent in flight
	heartbeat       = time.Second            // and re-sent this often while it lives
	spanTick        = 100 * time.Millisecond // how often the span loop looks
	spanExportLimit = 5 * time.Second        // deadline of one span export
)

// Bounds of the span table. Beyond them spans are not tracked (or their
// ended version not sent) and the drop is counted.
const (
	spanShards      = 64
	maxLivePerShard = 1024 // 64k live spans
	maxEndedPerShrd = 256  // 16k ended spans waiting for the next tick
	maxSpansPerReq  = 512  // keeps an export well under the 4 MiB message limit
)

// SpanProcessor returns the OpenTelemetry span processor that lets spantop
// see spans while they run. Register it with the application's tracer
// provider next to its exporter:
//
//	tp := sdktrace.NewTracerProvider(
//		sdktrace.WithBatcher(exp),
//		sdktrace.WithSpanProcessor(agentlib.SpanProcessor()))
//
// It may be registered before Start and outlive the stop function; while
// agentlib is not started it does nothing. While it is, a span alive for
// longer than 250ms is sent to spantop as an in-flight snapshot and re-sent
// every second until it ends; its ended version is then sent too. With
// Options.ExportSpans every ended span is sent. All of this goes to spantop
// only, on agentlib's own connection, never to the application's backend.
//
// OnStart and OnEnd never wait for the network: they touch a bounded,
// sharded table and return. Shutdown and ForceFlush do nothing; the stop
// function returned by Start releases agentlib.
func SpanProcessor() sdktrace.SpanProcessor { return processor{} }

type processor struct{}

var _ sdktrace.SpanProcessor = processor{}

// OnStart records the span as live and, while the execution trace runs,
// ties it to the current goroutine with a spantop.span log; the SDK opens
// the span's runtime/trace task right after it.
func (processor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	a := current.Load()
	if a == nil {
		return
	}
	defer a.recoverHot()
	if a.adopting.Load() {
		a.adopt(resAttrs(s.Resource()))
	}
	sc := s.SpanContext()
	if trace.IsEnabled() {
		trace.Log(ctx, "spantop.span", spanIDs(sc))
	}
	a.spans.start(sc, s)
}

// OnEnd forgets the live span and queues its ended version when spantop
// saw it in flight (or every ended span with Options.ExportSpans). The
// execution trace needs no word of the end: the SDK ends the span's
// runtime/trace task, which spantop ties to the span.
func (processor) OnEnd(s sdktrace.ReadOnlySpan) {
	a := current.Load()
	if a == nil {
		return
	}
	defer a.recoverHot()
	a.spans.end(s.SpanContext(), s, a.opts.ExportSpans && a.up.Load())
}

// Shutdown does nothing: agentlib is released by the stop function.
func (processor) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing: snapshots are sent on agentlib's own schedule.
func (processor) ForceFlush(context.Context) error { return nil }

// spanIDs is the 24-byte message of spantop.span logs: the trace ID then
// the span ID, raw.
func spanIDs(sc oteltrace.SpanContext) string {
	var b [24]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	copy(b[:16], tid[:])
	copy(b[16:], sid[:])
	return string(b[:])
}

type spanKey struct {
	trace oteltrace.TraceID
	span  oteltrace.SpanID
}

// liveSpan is a span that has started and not ended. seq counts the
// snapshots sent (0: none yet); sentAt is the last one's time.
type liveSpan struct {
	span   sdktrace.ReadWriteSpan
	start  int64 // Unix ns
	seq    int64
	sentAt int64
}

// spanTable holds live spans and ended spans waiting to be sent, split in
// shards so that application goroutines seldom meet on a lock, and bounded
// so that a stalled spantop costs memory only up to a limit.
type spanTable struct {
	shards [spanShards]spanShard
	// dropped counts spans not tracked, or ended versions not sent,
	// because a bound was reached.
	dropped atomic.Uint64
}

type spanShard struct {
	mu    sync.Mutex
	live  map[spanKey]liveSpan
	ended []sdktrace.ReadOnlySpan
	_     [40]byte // keep shards on separate cache lines
}

func newSpanTable() *spanTable {
	t := &spanTable{}
	for i := range t.shards {
		t.shards[i].live = make(map[spanKey]liveSpan)
	}
	return t
}

func (t *spanTable) shard(sc oteltrace.SpanContext) *spanShard {
	sid := sc.SpanID()
	return &t.shards[sid[7]%spanShards]
}

func (t *spanTable) start(sc oteltrace.SpanContext, s sdktrace.ReadWriteSpan) {
	sh := t.shard(sc)
	start := s.StartTime().UnixNano()
	sh.mu.Lock()
	if len(sh.live) >= maxLivePerShard {
		sh.mu.Unlock()
		t.dropped.Add(1)
		return
	}
	sh.live[spanKey{sc.TraceID(), sc.SpanID()}] = liveSpan{span: s, start: start}
	sh.mu.Unlock()
}

func (t *spanTable) end(sc oteltrace.SpanContext, s sdktrace.ReadOnlySpan, exportAll bool) {
	sh := t.shard(sc)
	k := spanKey{sc.TraceID(), sc.SpanID()}
	sh.mu.Lock()
	l, ok := sh.live[k]
	if ok {
		delete(sh.live, k)
	}
	if (ok && l.seq > 0) || exportAll {
		if len(sh.ended) < maxEndedPerShrd {
			sh.ended = append(sh.ended, s)
		} else {
			t.dropped.Add(1)
		}
	}
	sh.mu.Unlock()
}

// live reports how many spans are tracked, for tests and Stats.
func (t *spanTable) live() int {
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		n += len(sh.live)
		sh.mu.Unlock()
	}
	return n
}

// due is a span to send: an in-flight snapshot (seq > 0) or an ended span.
type due struct {
	span sdktrace.ReadOnlySpan
	seq  int64
}

// collect takes the ended spans and the live spans due for a snapshot at
// now, marking the latter sent. With send false (spantop away) it only
// empties the ended lists, so nothing piles up.
func (t *spanTable) collect(now int64, send bool, out []due, ended [][]sdktrace.ReadOnlySpan) ([]due, int) {
	after, every := int64(snapshotAfter), int64(heartbeat)
	discarded := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		// Swap the ended list for an empty one of the same capacity, so
		// OnEnd does not allocate after warm-up.
		list := sh.ended
		sh.ended = ended[i][:0]
		if send {
			for k, l := range sh.live {
				if now-l.start < after || (l.seq > 0 && now-l.sentAt < every) {
					continue
				}
				if !l.span.EndTime().IsZero() {
					// It ended without OnEnd reaching us (the processor
					// was unregistered): send what was promised and forget it.
					delete(sh.live, k)
					if l.seq > 0 {
						out = append(out, due{span: l.span})
					}
					continue
				}
				l.seq++
				l.sentAt = now
				sh.live[k] = l
				out = append(out, due{span: l.span, seq: l.seq})
			}
		}
		sh.mu.Unlock()
		if send {
			for _, s := range list {
				out = append(out, due{span: s})
			}
		} else {
			discarded += len(list)
		}
		clear(list)
		ended[i] = list
	}
	return out, discarded
}

// spanLoop sends snapshots and ended spans every spanTick, and once more
// when the agent stops.
func (a *agent) spanLoop() {
	tick := time.NewTicker(spanTick)
	defer tick.Stop()
	var (
		batch []due
		ended = make([][]sdktrace.ReadOnlySpan, spanShards)
		res   = map[*resource.Resource]*resourcepb.Resource{}
	)
	for {
		final := false
		select {
		case <-tick.C:
		case <-a.stopping:
			final = true
		}
		up := a.up.Load()
		var discarded int
		batch, discarded = a.spans.collect(time.Now().UnixNano(), up, batch[:0], ended)
		if discarded > 0 {
			a.stats.spansUnsent.Add(uint64(discarded))
		}
		if len(batch) > 0 {
			if len(res) > 16 {
				clear(res) // tracer providers come and go only in tests
			}
			ctx, limit := a.ctx, spanExportLimit
			if final {
				ctx, limit = a.flushCtx, time.Second
			}
			a.sendSpans(ctx, batch, res, limit)
		}
		clear(batch)
		if final {
			return
		}
	}
}

// sendSpans exports the batch in requests of at most maxSpansPerReq spans.
func (a *agent) sendSpans(ctx context.Context, batch []due, res map[*resource.Resource]*resourcepb.Resource, limit time.Duration) {
	for len(batch) > 0 {
		n := min(len(batch), maxSpansPerReq)
		req, snaps := a.spanRequest(batch[:n], res)
		err := a.cl.export(ctx, methodTraces, req, limit)
		if err != nil {
			a.stats.exportErrors.Add(1)
			a.stats.spansUnsent.Add(uint64(n))
		} else {
			a.stats.snapshotsSent.Add(uint64(snaps))
			a.stats.spansSent.Add(uint64(n - snaps))
		}
		batch = batch[n:]
	}
}

// spanRequest groups the spans by resource and scope. A snapshot of a span
// that has ended since collect is left out: OnEnd queues its ended version.
func (a *agent) spanRequest(batch []due, res map[*resource.Resource]*resourcepb.Resource) (*tracepb.TracesData, int) {
	return spanRequest(batch, res)
}

// spanRequest builds one OTLP traces request of batch, each span under
// exactly its tracer provider's resource, as the application's own
// exporter sends it: spantop must see one span of one service whichever
// of the two it hears from. res caches the converted resources.
func spanRequest(batch []due, res map[*resource.Resource]*resourcepb.Resource) (*tracepb.TracesData, int) {
	req := &tracepb.TracesData{}
	type scopeKey struct {
		res                   *resource.Resource
		name, version, schema string
	}
	scopes := map[scopeKey]*tracepb.ScopeSpans{}
	byRes := map[*resource.Resource]*tracepb.ResourceSpans{}
	snaps := 0
	for _, d := range batch {
		if d.seq > 0 {
			if !d.span.EndTime().IsZero() {
				continue
			}
			snaps++
		}
		r := d.span.Resource()
		rs := byRes[r]
		if rs == nil {
			rp, ok := res[r]
			if !ok {
				rp = resourceProto(resAttrs(r))
				res[r] = rp
			}
			rs = &tracepb.ResourceSpans{Resource: rp, SchemaUrl: schemaOf(r)}
			byRes[r] = rs
			req.ResourceSpans = append(req.ResourceSpans, rs)
		}
		is := d.span.InstrumentationScope()
		k := scopeKey{r, is.Name, is.Version, is.SchemaURL}
		ss := scopes[k]
		if ss == nil {
			scope, schema := scopeProto(d.span)
			ss = &tracepb.ScopeSpans{Scope: scope, SchemaUrl: schema}
			scopes[k] = ss
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		ss.Spans = append(ss.Spans, spanProto(d.span, d.seq))
	}
	return req, snaps
}

func resAttrs(r *resource.Resource) []attribute.KeyValue {
	if r == nil {
		return nil
	}
	return r.Attributes()
}

func schemaOf(r *resource.Resource) string {
	if r == nil {
		return ""
	}
	return r.SchemaURL()
}
