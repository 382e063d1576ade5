package otlpjson

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func sampleTraces() *coltrace.ExportTraceServiceRequest {
	return &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "api")}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "lib", Version: "1"},
			Spans: []*tracepb.Span{{
				TraceId: bytes.Repeat([]byte{0xab}, 16), SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8},
				ParentSpanId: []byte{9, 9, 9, 9, 9, 9, 9, 9},
				Name:         "GET \"/x\"\n\x01é", Kind: tracepb.Span_SPAN_KIND_SERVER,
				StartTimeUnixNano: 1700000000000000000, EndTimeUnixNano: 1700000000500000000,
				Attributes: []*commonpb.KeyValue{
					str("http.method", "GET"),
					{Key: "n", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: -42}}},
					{Key: "f", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 1.5}}},
					{Key: "b", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}},
					{Key: "raw", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{0, 255}}}},
					{Key: "arr", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{{Value: &commonpb.AnyValue_StringValue{StringValue: "a"}}}}}}},
				},
				Events: []*tracepb.Span_Event{{TimeUnixNano: 1700000000100000000, Name: "ev", Attributes: []*commonpb.KeyValue{str("k", "v")}}},
				Links:  []*tracepb.Span_Link{{TraceId: bytes.Repeat([]byte{0xcd}, 16), SpanId: bytes.Repeat([]byte{0xef}, 8), Flags: 0x301}},
				Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"},
				Flags:  0x301,
			}},
		}},
	}}}
}

// The fast encoder writes what protojson writes (bar the ID encoding),
// and Decode reads it back to the same message.
func TestAppendRoundTrip(t *testing.T) {
	req := sampleTraces()
	pb, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	js, err := Append(nil, Traces, pb)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"traceId":"abababababababababababababababab"`, `"spanId":"0102030405060708"`, `"kind":2`, `"startTimeUnixNano":"1700000000000000000"`, `"intValue":"-42"`, `"bytesValue":"AP8="`, `"flags":769`, `"code":2`} {
		if !bytes.Contains(js, []byte(want)) {
			t.Errorf("missing %s in %s", want, js)
		}
	}
	js = AppendArrival(js, 1234)
	r, err := Decode(js)
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if r.Signal != Traces || r.Arrived != 1234 || r.Spans != 1 || r.Latest != 1700000000500000000 {
		t.Errorf("got %+v", r)
	}
	var back coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(r.Proto, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&back, req) {
		t.Errorf("round trip differs:\n got %v\nwant %v", protojson.Format(&back), protojson.Format(req))
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{`{}`, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`, `{"resourceSpans":`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%s) = nil error", in)
		}
	}
}

func BenchmarkAppendTraces(b *testing.B) {
	req := sampleTraces()
	sp := req.ResourceSpans[0].ScopeSpans[0].Spans[0]
	for range 99 {
		req.ResourceSpans[0].ScopeSpans[0].Spans = append(req.ResourceSpans[0].ScopeSpans[0].Spans, sp)
	}
	pb, _ := proto.Marshal(req)
	var buf []byte
	var e Encoder
	b.SetBytes(int64(len(pb)))
	for b.Loop() {
		buf, _ = e.Append(buf[:0], Traces, pb)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/span")
}

// TestAppendStringMatchesJSON: the eight-bytes-at-a-time scan escapes
// what encoding/json escapes (but < > & and U+2028/9, which it leaves).
func TestAppendStringMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("abcdefgh \"\\\n\t\x01\x1f\x7f/é€\xff\xc3")
	for range 20000 {
		s := make([]byte, rng.IntN(40))
		for i := range s {
			s[i] = alphabet[rng.IntN(len(alphabet))]
		}
		got := appendString(nil, s)
		var v string
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatalf("%q: %q is not JSON: %v", s, got, err)
		}
		var want strings.Builder // each invalid byte becomes U+FFFD
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				want.WriteRune(utf8.RuneError)
			} else {
				want.Write(s[i : i+size])
			}
			i += size
		}
		if v != want.String() {
			t.Fatalf("%q: reads back as %q, want %q", s, v, want.String())
		}
	}
}

// appendUint and appendInt write what strconv writes, at every length.
func TestDecimalMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	check := func(u uint64) {
		if got, want := string(appendUint([]byte("x"), u)), "x"+strconv.FormatUint(u, 10); got != want {
			t.Fatalf("appendUint(%d) = %s, want %s", u, got, want)
		}
		i := int64(u)
		if got, want := string(appendInt(nil, i)), strconv.FormatInt(i, 10); got != want {
			t.Fatalf("appendInt(%d) = %s, want %s", i, got, want)
		}
	}
	for _, u := range []uint64{0, 9, 1e8 - 1, 1e8, 1e16 - 1, 1e16, 1e16 + 1, 1e17 - 1, 1e17, 1e18 - 1, 1e18, 1e19 - 1, 1e19, math.MaxUint64, 1 << 63, 1<<63 - 1} {
		check(u)
	}
	for range 100000 {
		check(rng.Uint64() >> rng.IntN(64))
	}
}

// timeDigits writes what strconv writes, whether the digits it keeps
// from the value before are the same or not, and into a dst with room or
// without.
func TestTimeDigitsMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	var td timeDigits
	prev := uint64(1_700_000_000_000_000_000)
	for i := range 200000 {
		var u uint64
		switch i % 4 {
		case 0: // close to the one before: the kept digits serve
			u = prev + rng.Uint64N(1e8)
		case 1: // across a change of those digits
			u = prev - prev%1e8 + 1e8 - 1 + rng.Uint64N(2)
		case 2: // any length
			u = rng.Uint64() >> rng.IntN(64)
		default:
			u = []uint64{0, 1e8 - 1, 1e8, 1e16, 1e19, math.MaxUint64}[rng.IntN(6)]
		}
		dst := []byte("x")
		if i%2 == 0 {
			dst = make([]byte, 1, 64)
			dst[0] = 'x'
		}
		if got, want := string(td.append(dst, u)), "x"+strconv.FormatUint(u, 10); got != want {
			t.Fatalf("after %d: timeDigits.append(%d) = %s, want %s", prev, u, got, want)
		}
		prev = u
	}
}

// put8 writes every number below 10⁸ (a stride through them, and every
// four-digit half).
func TestPut8(t *testing.T) {
	var b [8]byte
	for x := uint32(0); x < 1e8; x += 9973 {
		for _, v := range []uint32{x, x - x%10000 + 9999, x - x%10000} {
			put8(&b, v)
			if want := fmt.Sprintf("%08d", v); string(b[:]) != want {
				t.Fatalf("put8(%d) = %s", v, b[:])
			}
		}
	}
}

// appendHex writes what encoding/hex writes, at every length.
// lastID writes what encoding/hex writes, when the ID is the one before,
// another of the same length or of another, and into a dst with room or
// without.
func TestLastIDMatchesHex(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	var l lastID
	var prev []byte
	for i := range 20000 {
		var id []byte
		switch {
		case i%3 == 0 && prev != nil:
			id = prev // the one before
		case i%3 == 1 && len(prev) > 1:
			id = slices.Clone(prev)
			id[rng.IntN(len(id))]++ // one byte apart
		default:
			id = make([]byte, []int{0, 1, 7, 8, 8, 16, 16, 17, 32}[rng.IntN(9)])
			for j := range id {
				id[j] = byte(rng.Uint32())
			}
		}
		dst := []byte("x")
		if i%2 == 0 {
			dst = make([]byte, 1, 80)
			dst[0] = 'x'
		}
		if got, want := string(l.append(dst, id)), "x"+hex.EncodeToString(id); got != want {
			t.Fatalf("after %x: lastID.append(%x) = %s", prev, id, got)
		}
		prev = id
	}
}

func TestAppendHex(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := range 40 {
		for range 50 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			if got, want := string(appendHex([]byte("x"), b)), "x"+hex.EncodeToString(b); got != want {
				t.Fatalf("appendHex(%x) = %s", b, got)
			}
		}
	}
}

// AppendArrival closes the object at the end of dst, whatever lines come
// before it in dst: an empty one gets no comma.
func TestAppendArrival(t *testing.T) {
	for _, tc := range []struct{ dst, want string }{
		{`{}`, `{"spantopArrivalUnixNano":"7"}`},
		{"{\"a\":1}\n{}", "{\"a\":1}\n{\"spantopArrivalUnixNano\":\"7\"}"},
		{`{"resourceLogs":[]}`, `{"resourceLogs":[],"spantopArrivalUnixNano":"7"}`},
		{"{}\n{\"a\":1}", "{}\n{\"a\":1,\"spantopArrivalUnixNano\":\"7\"}"},
		{`not an object`, `not an object`},
		{`}`, `"spantopArrivalUnixNano":"7"}`}, // not one either, but no panic
	} {
		if got := string(AppendArrival([]byte(tc.dst), 7)); got != tc.want {
			t.Errorf("AppendArrival(%q) = %q, want %q", tc.dst, got, tc.want)
		}
	}
}
