package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spantop/spantop/model"
)

// otlpJSON renders req as OTLP/JSON: protojson, but with hex IDs.
func otlpJSON(t testing.TB, req *coltrace.ExportTraceServiceRequest) []byte {
	t.Helper()
	b, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				s = replaceID(s, sp.TraceId)
				s = replaceID(s, sp.SpanId)
				s = replaceID(s, sp.ParentSpanId)
				for _, l := range sp.Links {
					s = replaceID(s, l.TraceId)
					s = replaceID(s, l.SpanId)
				}
			}
		}
	}
	return []byte(s)
}

func replaceID(s string, id []byte) string {
	if len(id) == 0 {
		return s
	}
	b64, _ := protojson.Marshal(&commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: id}})
	// b64 is {"bytesValue":"…"}; take the quoted string.
	q := string(b64)
	q = q[strings.Index(q, ":")+1 : len(q)-1]
	return strings.ReplaceAll(s, q, `"`+hexString(id)+`"`)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// decoded is one encoding's decode of a request, with its symbol table.
type decoded struct {
	enc  string
	b    *model.Batch
	syms *model.Symbols
}

// decodeAll decodes req as protobuf and as OTLP/JSON.
func decodeAll(t *testing.T, req *coltrace.ExportTraceServiceRequest) []decoded {
	t.Helper()
	var out []decoded
	for _, enc := range []string{"protobuf", "json"} {
		syms := model.NewSymbols()
		w := model.NewAttrWriter(syms)
		var b *model.Batch
		var err error
		if enc == "protobuf" {
			b, _, _, err = DecodeTraces(marshal(t, req), syms, w)
		} else {
			b, _, _, err = DecodeTracesJSON(otlpJSON(t, req), syms, w)
		}
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		out = append(out, decoded{enc, b, syms})
	}
	return out
}

func TestDecodeSpanFields(t *testing.T) {
	full := span("GET /users/{id}")
	full.ParentSpanId = testParent
	full.Kind = tracepb.Span_SPAN_KIND_CLIENT
	full.TraceState = "vendor=abc"
	full.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"}
	full.DroppedAttributesCount, full.DroppedEventsCount, full.DroppedLinksCount = 1, 2, 3
	full.Events = []*tracepb.Span_Event{{TimeUnixNano: 1_700_000_000_100_000_000, Name: "retry", Attributes: []*commonpb.KeyValue{intKV("attempt", 2)}}}
	full.Links = []*tracepb.Span_Link{{TraceId: testTraceID, SpanId: testParent, Attributes: []*commonpb.KeyValue{strKV("why", "batch")}}}

	attrs := span("attrs")
	attrs.Attributes = []*commonpb.KeyValue{
		strKV("http.request.method", "GET"),
		intKV("http.response.status_code", 200),
		doubleKV("ratio", 0.25),
		boolKV("cached", true),
		boolKV("retried", false),
		bytesKV("blob", []byte{0xde, 0xad}),
		strKV("long", strings.Repeat("x", 100)),
		{Key: "list", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{anyStr("a"), anyInt(1)}}}}},
		{Key: "map", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{strKV("k", "v\n"), boolKV("b", true)}}}}},
		{Key: "empty"},
	}

	loc := func(kvs ...*commonpb.KeyValue) *tracepb.Span { s := span("loc"); s.Attributes = kvs; return s }

	inflight := span("running")
	inflight.EndTimeUnixNano = 0
	inflight.Attributes = []*commonpb.KeyValue{boolKV(attrInFlight, true), intKV(attrSnapshotSeq, 7), strKV("keep", "me")}

	unended := span("unended")
	unended.EndTimeUnixNano = 0

	endedWithFlag := span("ended")
	endedWithFlag.Attributes = []*commonpb.KeyValue{boolKV(attrInFlight, true), intKV(attrSnapshotSeq, 9)}

	badKind := span("kind")
	badKind.Kind = 42

	tests := []struct {
		name  string
		span  *tracepb.Span
		check func(t *testing.T, r model.SpanRec, syms *model.Symbols)
	}{
		{"ids times kind status ext", full, func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
			if r.TraceID != model.TraceID(testTraceID) || r.SpanID != model.SpanID(testSpanID) || r.Parent != model.SpanID(testParent) {
				t.Errorf("ids = %v %v %v", r.TraceID, r.SpanID, r.Parent)
			}
			if r.Start != 1_700_000_000_000_000_000 || r.End != 1_700_000_000_250_000_000 {
				t.Errorf("times = %d %d", r.Start, r.End)
			}
			if r.Kind != model.KindClient || r.Status != model.StatusError || r.InFlight {
				t.Errorf("kind %v status %v inflight %v", r.Kind, r.Status, r.InFlight)
			}
			if got := syms.String(r.Name); got != "GET /users/{id}" {
				t.Errorf("name = %q", got)
			}
			if got := syms.String(r.Scope); got != "net/http" {
				t.Errorf("scope = %q", got)
			}
			e := r.Ext
			if e == nil {
				t.Fatal("no ext")
			}
			if e.StatusMessage != "boom" || e.TraceState != "vendor=abc" || syms.String(r.ScopeVersion) != "1.2.3" {
				t.Errorf("ext = %+v", e)
			}
			if e.DroppedAttrs != 1 || e.DroppedEvents != 2 || e.DroppedLinks != 3 {
				t.Errorf("dropped = %d %d %d", e.DroppedAttrs, e.DroppedEvents, e.DroppedLinks)
			}
			if len(e.Events) != 1 || e.Events[0].Name != "retry" || e.Events[0].Time != 1_700_000_000_100_000_000 ||
				attrMap(e.Events[0].Attrs, syms)["attempt"].Int != 2 {
				t.Errorf("events = %+v", e.Events)
			}
			if len(e.Links) != 1 || e.Links[0].TraceID != model.TraceID(testTraceID) || e.Links[0].SpanID != model.SpanID(testParent) ||
				attrMap(e.Links[0].Attrs, syms)["why"].Str != "batch" {
				t.Errorf("links = %+v", e.Links)
			}
		}},
		{"attributes of every type", attrs, func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
			m := attrMap(r.Attrs, syms)
			want := map[string]string{
				"http.request.method":       "GET",
				"http.response.status_code": "200",
				"ratio":                     "0.25",
				"cached":                    "true",
				"retried":                   "false",
				"blob":                      "dead",
				"long":                      strings.Repeat("x", 100),
				"list":                      `["a",1]`,
				"map":                       `{"k":"v\n","b":true}`,
				"empty":                     "",
			}
			if len(m) != len(want) || int(r.NumAttrs) != len(want) {
				t.Errorf("got %d attrs (NumAttrs %d), want %d: %v", len(m), r.NumAttrs, len(want), m)
			}
			for k, v := range want {
				if got := m[k].String(); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if m["http.response.status_code"].Type != model.ValueInt || m["ratio"].Type != model.ValueDouble ||
				m["cached"].Type != model.ValueBool || m["blob"].Type != model.ValueBytes {
				t.Errorf("types wrong: %+v", m)
			}
			if r.Ext != nil || syms.String(r.ScopeVersion) != "1.2.3" {
				t.Errorf("ext = %+v", r.Ext)
			}
		}},
		{"location old semconv", loc(strKV("code.filepath", "/src/app/main.go"), intKV("code.lineno", 42), strKV("code.function", "main.handle")),
			func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
				if got := syms.String(r.Location); got != "/src/app/main.go:42" {
					t.Errorf("location = %q", got)
				}
				if r.NumAttrs != 3 {
					t.Errorf("code.* attributes must be kept: %d", r.NumAttrs)
				}
			}},
		{"location new semconv", loc(intKV("code.line.number", 7), strKV("code.file.path", "x.go")),
			func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
				if got := syms.String(r.Location); got != "x.go:7" {
					t.Errorf("location = %q", got)
				}
			}},
		{"location function only", loc(strKV("code.function.name", "pkg.(*T).Run")),
			func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
				if got := syms.String(r.Location); got != "pkg.(*T).Run" {
					t.Errorf("location = %q", got)
				}
			}},
		{"in-flight snapshot", inflight, func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
			if !r.InFlight || r.SnapshotSeq != 7 || r.End != 0 {
				t.Errorf("inflight %v seq %d end %d", r.InFlight, r.SnapshotSeq, r.End)
			}
			m := attrMap(r.Attrs, syms)
			if _, ok := m[attrInFlight]; ok || len(m) != 1 || r.NumAttrs != 1 {
				t.Errorf("snapshot attributes must be consumed: %v", m)
			}
		}},
		{"unended plain span is in flight, not refreshed by heartbeats", unended, func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
			if !r.InFlight || !r.NoHeartbeat || r.End != 0 || r.SnapshotSeq != 0 {
				t.Errorf("inflight %v noheartbeat %v start %d end %d", r.InFlight, r.NoHeartbeat, r.Start, r.End)
			}
		}},
		{"ended span with snapshot flag", endedWithFlag, func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
			if r.InFlight || r.End == 0 || r.NumAttrs != 0 || r.Attrs != nil {
				t.Errorf("inflight %v end %d attrs %d", r.InFlight, r.End, r.NumAttrs)
			}
		}},
		{"unknown kind", badKind, func(t *testing.T, r model.SpanRec, syms *model.Symbols) {
			if r.Kind != model.KindUnspecified {
				t.Errorf("kind = %v", r.Kind)
			}
		}},
	}
	// The span flags' is-remote bits: only "known and clear" is a local parent.
	for _, fl := range []struct {
		flags uint32
		local bool
	}{{0, false}, {0x100, true}, {0x300, false}, {0x200, false}, {0x101, true}} {
		sp := span("flags")
		sp.ParentSpanId, sp.Flags = testParent, fl.flags
		tests = append(tests, struct {
			name  string
			span  *tracepb.Span
			check func(t *testing.T, r model.SpanRec, syms *model.Symbols)
		}{fmt.Sprintf("flags %#x", fl.flags), sp, func(t *testing.T, r model.SpanRec, _ *model.Symbols) {
			if r.ParentLocal != fl.local {
				t.Errorf("flags %#x: parent local %v, want %v", fl.flags, r.ParentLocal, fl.local)
			}
		}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range decodeAll(t, request(tc.span)) {
				t.Run(d.enc, func(t *testing.T) {
					if len(d.b.Spans) != 1 {
						t.Fatalf("got %d spans", len(d.b.Spans))
					}
					tc.check(t, d.b.Spans[0], d.syms)
				})
			}
		})
	}
}

func TestDecodeResources(t *testing.T) {
	a1, a2, b1 := span("a1"), span("a2"), span("b1")
	req := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{
		{Resource: testResource("svc-a"), ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{a1}}}},
		{Resource: testResource("svc-b"), ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{b1}}}},
		// Identical to the first: deduplicated.
		{Resource: testResource("svc-a"), ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{a2}}}},
		// A resource without spans is not added.
		{Resource: testResource("svc-empty")},
		// No resource at all.
		{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{span("bare")}}}},
	}}
	for _, d := range decodeAll(t, req) {
		t.Run(d.enc, func(t *testing.T) {
			b, syms := d.b, d.syms
			if len(b.Resources) != 3 {
				t.Fatalf("got %d resources, want 3", len(b.Resources))
			}
			r := b.Resources[0]
			if syms.String(r.ServiceName) != "svc-a" || syms.String(r.InstanceID) != "inst-1" ||
				syms.String(r.HostName) != "box" || r.PID != 4242 {
				t.Errorf("resource = %+v", r)
			}
			if m := attrMap(r.Attrs, syms); m["process.runtime.name"].Str != "go" || len(m) != 5 {
				t.Errorf("resource attrs = %v", m)
			}
			wantRes := map[string]uint32{"a1": 0, "b1": 1, "a2": 0, "bare": 2}
			for _, s := range b.Spans {
				name := syms.String(s.Name)
				if want, ok := wantRes[name]; !ok || s.Res != want {
					t.Errorf("span %s: res %d, want %d", name, s.Res, want)
				}
			}
			if got := syms.String(b.Resources[b.Spans[1].Res].ServiceName); got != "svc-b" {
				t.Errorf("b1's service = %q", got)
			}
			if b.Resources[2].ServiceName != 0 || b.Resources[2].Attrs != nil {
				t.Errorf("bare resource = %+v", b.Resources[2])
			}
		})
	}
}

func TestDecodeBadIDs(t *testing.T) {
	good := span("good")
	shortTrace := span("short-trace")
	shortTrace.TraceId = testTraceID[:15]
	longSpan := span("long-span")
	longSpan.SpanId = append(append([]byte{}, testSpanID...), 9)
	noSpan := span("no-span")
	noSpan.SpanId = nil
	badParent := span("bad-parent")
	badParent.ParentSpanId = []byte{1, 2, 3}
	req := request(shortTrace, good, longSpan, noSpan, badParent)

	syms := model.NewSymbols()
	b, rejected, msg, err := DecodeTraces(marshal(t, req), syms, model.NewAttrWriter(syms))
	if err != nil {
		t.Fatal(err)
	}
	if rejected != 4 || len(b.Spans) != 1 || syms.String(b.Spans[0].Name) != "good" {
		t.Fatalf("rejected %d, kept %d", rejected, len(b.Spans))
	}
	for _, want := range []string{"4 span(s) rejected", `"short-trace"`, "trace ID length 15 (want 16 bytes)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if len(b.Resources) != 1 {
		t.Errorf("resources = %d", len(b.Resources))
	}

	// Only bad spans: no resource, no spans.
	b, rejected, msg, err = DecodeTraces(marshal(t, request(longSpan)), syms, model.NewAttrWriter(syms))
	if err != nil || rejected != 1 || len(b.Spans) != 0 || len(b.Resources) != 0 || !strings.Contains(msg, "span ID length 9") {
		t.Errorf("err %v rejected %d spans %d res %d msg %q", err, rejected, len(b.Spans), len(b.Resources), msg)
	}
}

func TestDecodeJSONBadIDs(t *testing.T) {
	body := `{"resourceSpans":[{"scopeSpans":[{"spans":[
		{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok","startTimeUnixNano":"1","endTimeUnixNano":"2","kind":2},
		{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"eee19b7ec3c1b174","name":"base64"},
		{"traceId":"5b8efff798038103d269b633813fc6","spanId":"eee19b7ec3c1b174","name":"short"}
	]}]}]}`
	syms := model.NewSymbols()
	b, rejected, msg, err := DecodeTracesJSON([]byte(body), syms, model.NewAttrWriter(syms))
	if err != nil {
		t.Fatal(err)
	}
	if rejected != 2 || len(b.Spans) != 1 {
		t.Fatalf("rejected %d kept %d (%s)", rejected, len(b.Spans), msg)
	}
	s := b.Spans[0]
	if s.TraceID.String() != "5b8efff798038103d269b633813fc60c" || s.SpanID.String() != "eee19b7ec3c1b174" ||
		s.Kind != model.KindServer || s.Start != 1 || s.End != 2 {
		t.Errorf("span = %+v", s)
	}
	if !strings.Contains(msg, "2 span(s) rejected") || !strings.Contains(msg, "trace ID is not 32 hex digits") {
		t.Errorf("message = %q", msg)
	}
}

func TestDecodeJSONUnknownFieldsAndEnums(t *testing.T) {
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"js"}}]},
		"futureField":{"x":1},
		"scopeSpans":[{"scope":{"name":"s"},"spans":[
		{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"","name":"n",
		 "startTimeUnixNano":1700000000000000000,"endTimeUnixNano":"1700000000000000001",
		 "kind":"SPAN_KIND_CONSUMER","status":{"code":2},"somethingNew":true,
		 "attributes":[{"key":"n","value":{"intValue":"12"}}]}]}]}]}`
	syms := model.NewSymbols()
	b, rejected, _, err := DecodeTracesJSON([]byte(body), syms, model.NewAttrWriter(syms))
	if err != nil || rejected != 0 || len(b.Spans) != 1 {
		t.Fatalf("err %v rejected %d", err, rejected)
	}
	s := b.Spans[0]
	if s.Kind != model.KindConsumer || s.Status != model.StatusError || !s.Parent.IsZero() ||
		s.TraceID.String() != "5b8efff798038103d269b633813fc60c" || attrMap(s.Attrs, syms)["n"].Int != 12 ||
		syms.String(b.Resources[s.Res].ServiceName) != "js" {
		t.Errorf("span = %+v", s)
	}
}

func TestDecodeMalformed(t *testing.T) {
	valid := marshal(t, request(span("x")))
	tests := map[string][]byte{
		"truncated":         valid[:len(valid)-3],
		"bad tag":           {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"length past end":   {0x0a, 0x7f, 0x01},
		"end group":         {0x0c},
		"bad nested attr":   nestedGarbage(),
		"bad varint in kv":  protowire.AppendTag(nil, 1, protowire.BytesType),
		"field number zero": {0x02, 0x00},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			syms := model.NewSymbols()
			batch, _, _, err := DecodeTraces(b, syms, model.NewAttrWriter(syms))
			if err == nil || batch != nil {
				t.Fatalf("err = %v, batch = %v", err, batch)
			}
			if !strings.Contains(err.Error(), "malformed protobuf") {
				t.Errorf("err = %v", err)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		syms := model.NewSymbols()
		_, _, _, err := DecodeTracesJSON([]byte(`{"resourceSpans":[{`), syms, model.NewAttrWriter(syms))
		if err == nil || !strings.Contains(err.Error(), "malformed OTLP/JSON") {
			t.Errorf("err = %v", err)
		}
	})
}

// nestedGarbage is a valid request down to a span attribute whose value
// holds bytes that are not protobuf.
func nestedGarbage() []byte {
	av := []byte{0x0a, 0x05, 'a'} // string_value claiming 5 bytes, having 1
	kv := protowire.AppendTag(nil, 1, protowire.BytesType)
	kv = protowire.AppendBytes(kv, []byte("k"))
	kv = protowire.AppendTag(kv, 2, protowire.BytesType)
	kv = protowire.AppendBytes(kv, av)
	sp := protowire.AppendTag(nil, 9, protowire.BytesType)
	sp = protowire.AppendBytes(sp, kv)
	ss := protowire.AppendTag(nil, 2, protowire.BytesType)
	ss = protowire.AppendBytes(ss, sp)
	rs := protowire.AppendTag(nil, 2, protowire.BytesType)
	rs = protowire.AppendBytes(rs, ss)
	req := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(req, rs)
}

func TestDecodeUnknownFieldsSkipped(t *testing.T) {
	sp := marshal(t, span("future"))
	// Unknown fields of every wire type, including a group, in a span.
	sp = protowire.AppendTag(sp, 99, protowire.VarintType)
	sp = protowire.AppendVarint(sp, 5)
	sp = protowire.AppendTag(sp, 100, protowire.Fixed32Type)
	sp = protowire.AppendFixed32(sp, 5)
	sp = protowire.AppendTag(sp, 101, protowire.BytesType)
	sp = protowire.AppendBytes(sp, []byte("xyz"))
	sp = protowire.AppendTag(sp, 102, protowire.StartGroupType)
	sp = protowire.AppendTag(sp, 1, protowire.VarintType)
	sp = protowire.AppendVarint(sp, 1)
	sp = protowire.AppendTag(sp, 102, protowire.EndGroupType)
	// A known field with the wrong wire type is skipped too.
	sp = protowire.AppendTag(sp, 5, protowire.VarintType)
	sp = protowire.AppendVarint(sp, 1)
	ss := protowire.AppendTag(nil, 2, protowire.BytesType)
	ss = protowire.AppendBytes(ss, sp)
	rs := protowire.AppendTag(nil, 2, protowire.BytesType)
	rs = protowire.AppendBytes(rs, ss)
	req := protowire.AppendTag(nil, 1, protowire.BytesType)
	req = protowire.AppendBytes(req, rs)
	syms := model.NewSymbols()
	b, _, _, err := DecodeTraces(req, syms, model.NewAttrWriter(syms))
	if err != nil || len(b.Spans) != 1 || syms.String(b.Spans[0].Name) != "future" {
		t.Fatalf("err %v batch %+v", err, b)
	}
}

func TestDecodeDeepNestingBounded(t *testing.T) {
	v := anyStr("leaf")
	for range 1000 {
		v = &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{v}}}}
	}
	sp := span("deep")
	sp.Attributes = []*commonpb.KeyValue{{Key: "deep", Value: v}}
	syms := model.NewSymbols()
	b, _, _, err := DecodeTraces(marshal(t, request(sp)), syms, model.NewAttrWriter(syms))
	if err != nil {
		t.Fatal(err)
	}
	got := attrMap(b.Spans[0].Attrs, syms)["deep"].Str
	if want := strings.Repeat("[", maxRenderDepth) + "…" + strings.Repeat("]", maxRenderDepth); got != want {
		t.Errorf("deep = %q, want %q", got, want)
	}
}

func TestScopeVersionNeedsNoExt(t *testing.T) {
	a, b := span("a"), span("b")
	b.SpanId = testParent
	b.Status = &tracepb.Status{Message: "own"}
	syms := model.NewSymbols()
	batch, _, _, err := DecodeTraces(marshal(t, request(a, b, span("c"))), syms, model.NewAttrWriter(syms))
	if err != nil {
		t.Fatal(err)
	}
	s := batch.Spans
	if s[0].Ext != nil || s[2].Ext != nil || s[1].Ext == nil || s[1].Ext.StatusMessage != "own" {
		t.Errorf("only the span with its own extras has an Ext: %p %p %p", s[0].Ext, s[1].Ext, s[2].Ext)
	}
	for i := range s {
		if syms.String(s[i].ScopeVersion) != "1.2.3" {
			t.Errorf("span %d: scope version %q", i, syms.String(s[i].ScopeVersion))
		}
	}
}

func TestDecodeAttrLimit(t *testing.T) {
	sp := span("many")
	sp.DroppedAttributesCount = 5
	for i := range maxSpanAttrs + 10 {
		sp.Attributes = append(sp.Attributes, intKV("k"+strings.Repeat("x", i%7)+string(rune('a'+i%26)), int64(i)))
	}
	syms := model.NewSymbols()
	b, _, _, err := DecodeTraces(marshal(t, request(sp)), syms, model.NewAttrWriter(syms))
	if err != nil {
		t.Fatal(err)
	}
	r := b.Spans[0]
	if r.NumAttrs != maxSpanAttrs || len(model.DecodeAttrs(r.Attrs, syms)) != maxSpanAttrs || r.Ext.DroppedAttrs != 15 {
		t.Errorf("NumAttrs %d, dropped %d", r.NumAttrs, r.Ext.DroppedAttrs)
	}
}

// TestDecodeManyResources makes sure resource deduplication stays linear: a
// request of many tiny distinct resources must not stall the decoder. It
// compares the decoding of n and of n/10 resources (the best of three
// each, measured side by side): linear work takes about 10 times as long,
// quadratic work 100 times. A ratio, so that a loaded machine does not
// fail it.
func TestDecodeManyResources(t *testing.T) {
	decode := func(n int) time.Duration {
		req := &coltrace.ExportTraceServiceRequest{}
		for i := range n {
			req.ResourceSpans = append(req.ResourceSpans, &tracepb.ResourceSpans{
				Resource:   testResource("svc-" + strconv.Itoa(i%(n/2))), // every resource twice
				ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{span("s")}}},
			})
		}
		body := marshal(t, req)
		best := time.Duration(1<<63 - 1)
		for range 3 {
			syms := model.NewSymbols()
			start := time.Now()
			b, _, _, err := DecodeTraces(body, syms, model.NewAttrWriter(syms))
			best = min(best, time.Since(start))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Resources) != n/2 || len(b.Spans) != n {
				t.Fatalf("resources %d spans %d", len(b.Resources), len(b.Spans))
			}
		}
		return best
	}
	const n = 50_000
	small, large := decode(n/10), decode(n)
	if ratio := float64(large) / float64(max(small, time.Microsecond)); ratio > 40 {
		t.Errorf("decoding %d resources took %v, %d took %v: %.0f times as long for 10 times as many", n, large, n/10, small, ratio)
	}
}

// OTLP: a trace or span ID of all zeros is invalid, and such spans are
// rejected through partial success, in protobuf and in JSON alike. An
// all-zero parent is a root.
func TestDecodeZeroIDs(t *testing.T) {
	zeroTrace := span("zero-trace")
	zeroTrace.TraceId = make([]byte, 16)
	zeroSpan := span("zero-span")
	zeroSpan.SpanId = make([]byte, 8)
	zeroParent := span("zero-parent")
	zeroParent.ParentSpanId = make([]byte, 8)
	req := request(zeroTrace, zeroSpan, zeroParent)
	syms := model.NewSymbols()
	decoders := map[string]func() (*model.Batch, int, string, error){
		"protobuf": func() (*model.Batch, int, string, error) {
			return DecodeTraces(marshal(t, req), syms, model.NewAttrWriter(syms))
		},
		"json": func() (*model.Batch, int, string, error) {
			return DecodeTracesJSON(otlpJSON(t, req), syms, model.NewAttrWriter(syms))
		},
	}
	for name, decode := range decoders {
		b, rejected, msg, err := decode()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rejected != 2 || len(b.Spans) != 1 || syms.String(b.Spans[0].Name) != "zero-parent" || b.Spans[0].Parent != (model.SpanID{}) {
			t.Fatalf("%s: rejected %d, kept %d", name, rejected, len(b.Spans))
		}
		for _, want := range []string{"2 span(s) rejected", `"zero-trace"`, "trace ID: all zeros"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message %q lacks %q", name, msg, want)
			}
		}
	}
}
