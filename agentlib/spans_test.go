package agentlib

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func newTP(t testing.TB) *sdktrace.TracerProvider {
	t.Helper()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "checkout"))),
		sdktrace.WithSpanProcessor(SpanProcessor()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

func spansWithID(list []recvSpan, sc trace.SpanContext) []recvSpan {
	sid := sc.SpanID()
	var out []recvSpan
	for _, r := range list {
		if bytes.Equal(r.span.SpanId, sid[:]) {
			out = append(out, r)
		}
	}
	return out
}

func inflightSeq(t *testing.T, s *tracepb.Span) (bool, int64) {
	t.Helper()
	v, ok := attrOf(s.Attributes, attrInFlight)
	if !ok {
		return false, 0
	}
	if !v.GetBoolValue() {
		t.Fatalf("%s = %s, want bool true", attrInFlight, describe(v))
	}
	seq, ok := attrOf(s.Attributes, attrSnapshotSeq)
	if !ok {
		t.Fatalf("snapshot without %s", attrSnapshotSeq)
	}
	if _, isInt := seq.Value.(*commonpb.AnyValue_IntValue); !isInt {
		t.Fatalf("%s = %s, want an int", attrSnapshotSeq, describe(seq))
	}
	return true, seq.GetIntValue()
}

func TestInFlightSnapshots(t *testing.T) {
	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr, DisableExecutionTrace: true})
	waitFor(t, 10*time.Second, "connection", func() bool { return ReadStats().Connected })

	tr := newTP(t).Tracer("test", trace.WithInstrumentationVersion("1.2"))
	ctx := context.Background()
	ctx, long := tr.Start(ctx, "long", trace.WithAttributes(attribute.String("k", "v")), trace.WithSpanKind(trace.SpanKindServer))
	_, child := tr.Start(ctx, "child")
	_, short := tr.Start(context.Background(), "short")
	short.End()
	begun := time.Now()

	waitFor(t, 10*time.Second, "three snapshots", func() bool {
		return len(spansWithID(f.spanList(), long.SpanContext())) >= 3
	})
	long.AddEvent("progress", trace.WithAttributes(attribute.Int("done", 3)))
	long.SetStatus(codes.Error, "boom")
	long.End()
	child.End()
	waitFor(t, 10*time.Second, "the ended span", func() bool {
		got := spansWithID(f.spanList(), long.SpanContext())
		return got[len(got)-1].span.EndTimeUnixNano != 0
	})

	got := spansWithID(f.spanList(), long.SpanContext())
	var prevSeq int64
	var prevAt time.Time
	for i, r := range got {
		s := r.span
		inflight, seq := inflightSeq(t, s)
		if i == len(got)-1 {
			if inflight || s.EndTimeUnixNano == 0 {
				t.Fatalf("last version: inflight %v, end %d; want the ended span", inflight, s.EndTimeUnixNano)
			}
			if s.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || len(s.Events) != 1 {
				t.Errorf("ended span: status %v, %d events", s.Status, len(s.Events))
			}
			continue
		}
		if !inflight || s.EndTimeUnixNano != 0 {
			t.Fatalf("snapshot %d: inflight %v, end %d", i, inflight, s.EndTimeUnixNano)
		}
		if seq <= prevSeq {
			t.Errorf("snapshot %d: seq %d after %d; want increasing", i, seq, prevSeq)
		}
		if i == 0 && r.at.Sub(begun) < snapshotAfter-50*time.Millisecond {
			t.Errorf("first snapshot %s after the span began; want none before %s", r.at.Sub(begun), snapshotAfter)
		}
		if i > 0 && r.at.Sub(prevAt) < heartbeat/2 {
			t.Errorf("snapshots %s apart; want one per heartbeat (%s)", r.at.Sub(prevAt), heartbeat)
		}
		if v, _ := attrOf(s.Attributes, "k"); v.GetStringValue() != "v" {
			t.Errorf("snapshot lost the span's attribute k: %s", describe(v))
		}
		if s.Kind != tracepb.Span_SPAN_KIND_SERVER || s.Name != "long" || s.StartTimeUnixNano == 0 {
			t.Errorf("snapshot: kind %v name %q start %d", s.Kind, s.Name, s.StartTimeUnixNano)
		}
		prevSeq, prevAt = seq, r.at
	}
	// Exactly the tracer provider's resource: the application's exporter
	// sends the span under it, and spantop must see one span, one service.
	res := got[0].res
	if len(res) != 1 {
		t.Errorf("span resource has %d attributes (%v), want the tracer provider's one", len(res), res)
	}
	if v, _ := attrOf(res, "service.name"); v.GetStringValue() != "checkout" {
		t.Errorf("span resource service.name = %s, want the tracer provider's", describe(v))
	}
	// The child, in flight as long, carries its parent.
	ch := spansWithID(f.spanList(), child.SpanContext())
	if len(ch) < 2 {
		t.Fatalf("child: %d versions received", len(ch))
	}
	psid := long.SpanContext().SpanID()
	if !bytes.Equal(ch[0].span.ParentSpanId, psid[:]) {
		t.Errorf("child parent = %x, want %x", ch[0].span.ParentSpanId, psid[:])
	}
	// Without ExportSpans a short span is not agentlib's to send.
	if n := len(spansWithID(f.spanList(), short.SpanContext())); n != 0 {
		t.Errorf("short span sent %d times; want 0 without ExportSpans", n)
	}
	waitFor(t, 5*time.Second, "the live table to empty", func() bool { return ReadStats().LiveSpans == 0 })
}

func TestExportSpans(t *testing.T) {
	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr, ExportSpans: true, DisableExecutionTrace: true})
	waitFor(t, 10*time.Second, "connection", func() bool { return ReadStats().Connected })

	tr := newTP(t).Tracer("test")
	var scs []trace.SpanContext
	for range 100 {
		_, s := tr.Start(context.Background(), "quick")
		scs = append(scs, s.SpanContext())
		s.End()
	}
	waitFor(t, 10*time.Second, "every ended span", func() bool { return len(f.spanList()) >= len(scs) })
	list := f.spanList()
	for _, sc := range scs {
		got := spansWithID(list, sc)
		if len(got) != 1 {
			t.Fatalf("span %s received %d times, want once", sc.SpanID(), len(got))
		}
		if inflight, _ := inflightSeq(t, got[0].span); inflight || got[0].span.EndTimeUnixNano == 0 {
			t.Errorf("span %s: want the ended span, not a snapshot", sc.SpanID())
		}
	}
}

func TestSpanProcessorWithoutStart(t *testing.T) {
	tr := newTP(t).Tracer("test")
	for range 10 {
		_, s := tr.Start(context.Background(), "idle")
		s.End()
	}
	if s := ReadStats(); s != (Stats{}) {
		t.Errorf("stats without Start: %+v", s)
	}
	p := SpanProcessor()
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Error(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestLiveSpansBounded(t *testing.T) {
	startAgent(t, Options{Endpoint: freeAddr(t), DisableExecutionTrace: true})
	tr := newTP(t).Tracer("test")
	const n = spanShards*maxLivePerShard + 5000
	spans := make([]trace.Span, 0, n)
	for range n {
		_, s := tr.Start(context.Background(), "never ends yet")
		spans = append(spans, s)
	}
	st := ReadStats()
	if st.LiveSpans > spanShards*maxLivePerShard || st.SpansDropped == 0 {
		t.Errorf("live %d (bound %d), dropped %d", st.LiveSpans, spanShards*maxLivePerShard, st.SpansDropped)
	}
	for _, s := range spans {
		s.End()
	}
	if st := ReadStats(); st.LiveSpans != 0 {
		t.Errorf("live spans after all ended: %d", st.LiveSpans)
	}
}
