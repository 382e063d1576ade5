package ingest

import (
	"context"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

func strKV(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func intKV(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func boolKV(k string, v bool) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}}
}

func doubleKV(k string, v float64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v}}}
}

func bytesKV(k string, v []byte) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: v}}}
}

func anyStr(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func anyInt(i int64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: i}}
}

var (
	testTraceID = []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	testSpanID  = []byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}
	testParent  = []byte{0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8}
)

// testResource is a typical SDK resource.
func testResource(service string) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		strKV("service.name", service),
		strKV("service.instance.id", "inst-1"),
		strKV("host.name", "box"),
		intKV("process.pid", 4242),
		strKV("process.runtime.name", "go"),
	}}
}

// request wraps spans in one resource and one scope.
func request(spans ...*tracepb.Span) *coltrace.ExportTraceServiceRequest {
	return &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: testResource("checkout"),
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "net/http", Version: "1.2.3"},
			Spans: spans,
		}},
	}}}
}

// span is a minimal valid span.
func span(name string) *tracepb.Span {
	return &tracepb.Span{
		TraceId: testTraceID, SpanId: testSpanID, Name: name,
		Kind:              tracepb.Span_SPAN_KIND_SERVER,
		StartTimeUnixNano: 1_700_000_000_000_000_000,
		EndTimeUnixNano:   1_700_000_000_250_000_000,
	}
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attrMap decodes a blob into key → display string.
func attrMap(blob []byte, syms *model.Symbols) map[string]model.Value {
	out := map[string]model.Value{}
	for _, a := range model.DecodeAttrs(blob, syms) {
		out[a.Key] = a.Value
	}
	return out
}

// testServer starts a server with both receivers on 127.0.0.1:0.
func testServer(t testing.TB, cfg Config) (*Server, *Queue, *model.Symbols, *model.Counters) {
	t.Helper()
	return testServerQueue(t, cfg, 0)
}

// testServerQueue is testServer with a queue of queueSpans spans.
func testServerQueue(t testing.TB, cfg Config, queueSpans int) (*Server, *Queue, *model.Symbols, *model.Counters) {
	t.Helper()
	syms := model.NewSymbols()
	c := new(model.Counters)
	q := NewQueue(queueSpans, c)
	t.Cleanup(q.Close)
	if cfg.GRPCAddr == "" {
		cfg.GRPCAddr = "127.0.0.1:0"
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	s := NewServer(cfg, syms, c, q)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, q, syms, c
}

// nextBatch waits for one batch from q.
func nextBatch(t testing.TB, q *Queue) *model.Batch {
	t.Helper()
	select {
	case b := <-q.C():
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no batch arrived")
		return nil
	}
}
