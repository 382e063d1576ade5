package ingest

import (
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// fuzzRequests are valid requests covering every part of the decoder.
func fuzzRequests() []*coltrace.ExportTraceServiceRequest {
	full := span("full")
	full.ParentSpanId = testParent
	full.Status = &tracepb.Status{Code: 2, Message: "m"}
	full.Events = []*tracepb.Span_Event{{Name: "e", Attributes: []*commonpb.KeyValue{intKV("i", 1)}}}
	full.Links = []*tracepb.Span_Link{{TraceId: testTraceID, SpanId: testSpanID}}
	full.Attributes = []*commonpb.KeyValue{
		strKV("s", "v"), intKV("i", -1), doubleKV("d", 1.5), boolKV("b", true), bytesKV("y", []byte{1}),
		strKV("code.filepath", "f.go"), intKV("code.lineno", 3),
		{Key: "a", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{anyStr("x")}}}}},
		{Key: "m", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{intKV("k", 2)}}}}},
	}
	snap := span("snap")
	snap.EndTimeUnixNano = 0
	snap.Attributes = []*commonpb.KeyValue{boolKV(attrInFlight, true), intKV(attrSnapshotSeq, 3)}
	bad := span("bad")
	bad.TraceId = []byte{1}
	return []*coltrace.ExportTraceServiceRequest{request(full), request(snap, bad, span("x")), {}}
}

func FuzzDecodeTraces(f *testing.F) {
	for _, r := range fuzzRequests() {
		f.Add(marshal(f, r))
	}
	syms := model.NewSymbols()
	w := model.NewAttrWriter(syms)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, rejected, msg, err := DecodeTraces(b, syms, w)
		// Differential check: what the generated code accepts, the fast
		// decoder accepts too, and it accounts for every span.
		var ref coltrace.ExportTraceServiceRequest
		if proto.Unmarshal(b, &ref) == nil {
			if err != nil {
				t.Fatalf("proto.Unmarshal accepts what DecodeTraces refuses: %v", err)
			}
			n := 0
			for _, rs := range ref.ResourceSpans {
				for _, ss := range rs.ScopeSpans {
					n += len(ss.Spans)
				}
			}
			if len(batch.Spans)+rejected != n {
				t.Fatalf("kept %d + rejected %d spans, the request has %d", len(batch.Spans), rejected, n)
			}
		}
		if err != nil {
			if batch != nil {
				t.Fatal("batch with error")
			}
			return
		}
		if (rejected > 0) != (msg != "") {
			t.Fatalf("rejected %d, message %q", rejected, msg)
		}
		for _, s := range batch.Spans {
			if int(s.Res) >= len(batch.Resources) {
				t.Fatalf("span resource %d of %d", s.Res, len(batch.Resources))
			}
			if got := len(model.DecodeAttrs(s.Attrs, syms)); got != int(s.NumAttrs) {
				t.Fatalf("blob has %d attrs, NumAttrs %d", got, s.NumAttrs)
			}
		}
	})
}

func FuzzDecodeTracesJSON(f *testing.F) {
	for _, r := range fuzzRequests() {
		f.Add(otlpJSON(f, r))
	}
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x","attributes":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}]}]}]}`))
	f.Add([]byte(`{}`))
	syms := model.NewSymbols()
	w := model.NewAttrWriter(syms)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, _, _, err := DecodeTracesJSON(b, syms, w)
		if err == nil && batch == nil {
			t.Fatal("nil batch without error")
		}
	})
}
