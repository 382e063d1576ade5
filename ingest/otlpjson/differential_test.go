package otlpjson

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The encoder against two decoders: what Append writes must read back,
// through Decode and through protojson with the generated OTLP types (the
// IDs turned from OTLP/JSON's hex into protojson's base64), to the very
// request it was given, for every signal. Random requests fill every
// field of the three request types; the fuzz target takes any bytes.

func newRequest(sig Signal) proto.Message {
	switch sig {
	case Traces:
		return &coltrace.ExportTraceServiceRequest{}
	case Logs:
		return &collogs.ExportLogsServiceRequest{}
	}
	return &colmetrics.ExportMetricsServiceRequest{}
}

// randomFill sets a random choice of m's fields to random values, IDs at
// their OTLP lengths, down to depth.
func randomFill(m protoreflect.Message, rng *rand.Rand, depth int) {
	fields := m.Descriptor().Fields()
	oneofDone := map[protoreflect.FullName]bool{}
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if rng.IntN(3) == 0 {
			continue
		}
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
			if oneofDone[o.FullName()] || rng.IntN(2) == 0 {
				continue
			}
			oneofDone[o.FullName()] = true
		}
		if fd.Kind() == protoreflect.MessageKind && depth <= 0 {
			continue
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			for range rng.IntN(4) {
				if fd.Kind() == protoreflect.MessageKind {
					e := l.NewElement()
					randomFill(e.Message(), rng, depth-1)
					l.Append(e)
				} else {
					l.Append(randomScalar(fd, rng))
				}
			}
			continue
		}
		if fd.Kind() == protoreflect.MessageKind {
			randomFill(m.Mutable(fd).Message(), rng, depth-1)
			continue
		}
		m.Set(fd, randomScalar(fd, rng))
	}
}

var oddStrings = []string{"", "GET /users/{id}", "quote \" backslash \\ slash /", "line\nbreak\ttab\r\x01\x1f\x7f", "é€😀", "<>&\u2028", "resourceLogs", "a very long value that goes on past the attribute memo's bound of sixty-two bytes for sure"}

var oddFloats = []float64{0, math.Copysign(0, -1), 1.5, -2.25e-300, 1e300, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN(), 0.1}

func randomScalar(fd protoreflect.FieldDescriptor, rng *rand.Rand) protoreflect.Value {
	u := rng.Uint64() >> rng.IntN(64)
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(rng.IntN(2) == 0)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(rng.IntN(30) - 3))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(u))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(u))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(u))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(u)
	case protoreflect.DoubleKind:
		if rng.IntN(2) == 0 {
			return protoreflect.ValueOfFloat64(oddFloats[rng.IntN(len(oddFloats))])
		}
		return protoreflect.ValueOfFloat64(rng.NormFloat64() * 1e6)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(rng.NormFloat64()))
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(oddStrings[rng.IntN(len(oddStrings))])
	case protoreflect.BytesKind:
		n := rng.IntN(20)
		if idFields[fd.Name()] {
			n = []int{0, 8, 16}[rng.IntN(3)]
			if fd.Name() == "trace_id" && n == 8 {
				n = 16
			}
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return protoreflect.ValueOfBytes(b)
	}
	panic("kind " + fd.Kind().String())
}

// dropUnknown clears the fields the encoder does not know (it leaves them
// out, as pdata does).
func dropUnknown(m protoreflect.Message) {
	m.SetUnknown(nil)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() != protoreflect.MessageKind:
		case fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				dropUnknown(v.List().Get(i).Message())
			}
		default:
			dropUnknown(v.Message())
		}
		return true
	})
}

// validIDs reports whether every trace and span ID is empty or of an OTLP
// length (Decode reads IDs of those only).
func validIDs(m protoreflect.Message) bool {
	ok := true
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() == protoreflect.BytesKind && idFields[fd.Name()]:
			n := len(v.Bytes())
			ok = n == 0 || n == 8 || n == 16
		case fd.Kind() != protoreflect.MessageKind:
		case fd.IsList():
			for i := 0; i < v.List().Len() && ok; i++ {
				ok = validIDs(v.List().Get(i).Message())
			}
		default:
			ok = validIDs(v.Message())
		}
		return ok
	})
	return ok
}

// hexToBase64 rewrites OTLP/JSON's hex IDs as protojson's base64.
func hexToBase64(t *testing.T, js []byte) []byte {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, js)
	}
	var fix func(any)
	fix = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "traceId" || k == "spanId" || k == "parentSpanId") {
					b, err := hex.DecodeString(s)
					if err != nil {
						t.Fatalf("%s %q is not hex", k, s)
					}
					x[k] = base64.StdEncoding.EncodeToString(b)
					continue
				}
				fix(e)
			}
		case []any:
			for _, e := range x {
				fix(e)
			}
		}
	}
	fix(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkRoundTrip encodes want's wire form with e (whose attribute memo
// holds what it wrote before, as the recorder's does) and reads it back
// both ways.
func checkRoundTrip(t *testing.T, e *Encoder, sig Signal, want proto.Message) {
	t.Helper()
	pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	js, err := e.Append(nil, sig, pb)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	// Twice with one encoder: the second from its attribute memo.
	again, err := e.Append(nil, sig, pb)
	if err != nil || !bytes.Equal(again, js) {
		t.Fatalf("a second Append differs (%v):\n%s\n%s", err, js, again)
	}
	if !json.Valid(js) {
		t.Fatalf("not JSON:\n%s", js)
	}

	viaProtojson := newRequest(sig)
	if err := protojson.Unmarshal(hexToBase64(t, js), viaProtojson); err != nil {
		t.Fatalf("protojson: %v\n%s", err, js)
	}
	if !proto.Equal(viaProtojson, want) {
		t.Fatalf("protojson reads another request:\n got %v\nwant %v\njson %s", viaProtojson, want, js)
	}

	// After a line before it, as in a recording.
	line := AppendArrival(append([]byte("{\"resourceLogs\":[]}\n"), js...), 42)[len("{\"resourceLogs\":[]}\n"):]
	r, err := Decode(line)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, line)
	}
	viaDecode := newRequest(sig)
	if err := proto.Unmarshal(r.Proto, viaDecode); err != nil {
		t.Fatal(err)
	}
	if r.Signal != sig || r.Arrived != 42 || !proto.Equal(viaDecode, want) {
		t.Fatalf("Decode reads another request (signal %v, arrived %d):\n got %v\nwant %v\njson %s", r.Signal, r.Arrived, viaDecode, want, js)
	}
}

func TestAppendDecodesToTheSameRequest(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sig := range []Signal{Traces, Logs, Metrics} {
		t.Run(sig.String(), func(t *testing.T) {
			var e Encoder
			for range 400 {
				m := newRequest(sig)
				randomFill(m.ProtoReflect(), rng, 8)
				checkRoundTrip(t, &e, sig, m)
			}
		})
	}
}

// Attributes of one length, many more than the memo has slots, through
// one encoder: those that share a slot must not be mistaken for each
// other.
func TestAttributeMemoTellsAttributesApart(t *testing.T) {
	var e Encoder
	for round := range 3 {
		req := sampleTraces()
		sp := req.ResourceSpans[0].ScopeSpans[0].Spans[0]
		sp.Attributes = nil
		// Twice as many as there are slots, each three times in a row:
		// noted, kept, found, unless another took the slot meanwhile.
		for i := range 2 * memoSlots {
			kv := str(fmt.Sprintf("k%05d", (i*7+round)%(2*memoSlots)), fmt.Sprintf("v%05d", i%97))
			sp.Attributes = append(sp.Attributes, kv, kv, kv)
		}
		checkRoundTrip(t, &e, Traces, req)
	}
	// Attributes that differ only in the middle have the same hash, so
	// one finds the other's slot and tag: only the compare of the whole
	// wire form tells them apart, wherever in it they differ.
	req := sampleTraces()
	sp := req.ResourceSpans[0].ScopeSpans[0].Spans[0]
	sp.Attributes = nil
	for i := range 30 {
		kv := str("prefix"+strings.Repeat("x", i)+"y"+strings.Repeat("x", 29-i), "the same")
		sp.Attributes = append(sp.Attributes, kv, kv, kv)
	}
	if a, b := attrWire(t, sp.Attributes[0]), attrWire(t, sp.Attributes[3]); memoHash(a) != memoHash(b) {
		t.Fatal("the attributes no longer share a hash: the test no longer tests the compare")
	}
	if n := len(attrWire(t, sp.Attributes[0])); n > memoWireMax {
		t.Fatalf("the attributes take %d bytes, too many for the memo", n)
	}
	checkRoundTrip(t, &e, Traces, req)
	if e.attrs.bypass > 0 {
		t.Error("the memo stood aside: the test no longer tests it")
	}
}

// attrWire is an attribute's wire form, as the memo sees it.
func attrWire(t *testing.T, kv *commonpb.KeyValue) []byte {
	b, err := proto.Marshal(kv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzAppendDecodes(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sig := range []Signal{Traces, Logs, Metrics} {
		for range 4 {
			m := newRequest(sig)
			randomFill(m.ProtoReflect(), rng, 8)
			pb, err := proto.Marshal(m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(sig), pb)
		}
	}
	pb, _ := proto.Marshal(sampleTraces())
	f.Add(uint8(Traces), pb)
	f.Fuzz(func(t *testing.T, s uint8, pb []byte) {
		sig := Signal(s % 3)
		// Any bytes: an answer, never a panic, and JSON when no error.
		if js, err := Append(nil, sig, pb); err == nil && !json.Valid(js) {
			t.Fatalf("not JSON:\n%s", js)
		}
		m := newRequest(sig)
		if proto.Unmarshal(pb, m) != nil {
			return
		}
		dropUnknown(m.ProtoReflect())
		if !validIDs(m.ProtoReflect()) {
			return
		}
		var e Encoder
		checkRoundTrip(t, &e, sig, m)
	})
}

// New attributes only: the memo stands aside, and the output stays right.
func TestAttributeMemoStandsAsideForNewAttributes(t *testing.T) {
	var e Encoder
	req := sampleTraces()
	sp := req.ResourceSpans[0].ScopeSpans[0].Spans[0]
	sp.Attributes = nil
	for i := range 2 * memoWindow {
		sp.Attributes = append(sp.Attributes, str(fmt.Sprintf("key.%06d", i), "v"))
	}
	if n := len(attrWire(t, sp.Attributes[0])); n > memoWireMax {
		t.Fatalf("the attributes take %d bytes, too many for the memo", n)
	}
	checkRoundTrip(t, &e, Traces, req)
	if e.attrs.bypass == 0 {
		t.Error("the memo kept looking up attributes that never repeat")
	}
}
