package otlpjson

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// appendSpan writes what appendGeneric writes, byte for byte, for every
// span it takes, and takes every span as OTLP exporters encode them;
// given anything else (fields reordered, repeated, unknown, of another
// wire type) it declines and appendGeneric writes it.
func TestAppendSpanMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	st := tables[Traces].fields[1].msg.fields[2].msg.fields[2].msg // ResourceSpans.scope_spans.spans
	if st.fast != fastSpan {
		t.Fatal("not the Span table")
	}
	var fast, generic Encoder
	taken := 0
	for i := range 3000 {
		sp := &tracepb.Span{}
		randomFill(sp.ProtoReflect(), rng, 4)
		pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(sp)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			pb = perturb(rng, pb)
		}
		want, werr := generic.appendGeneric(nil, st, pb, 0)
		got, ok, gerr := fast.appendSpan(nil, st, pb, 0)
		if !ok {
			if i%3 != 0 {
				t.Fatalf("declined a span as exporters encode it: %x", pb)
			}
			continue
		}
		taken++
		if (werr == nil) != (gerr == nil) || werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("span %x:\nappendSpan    %s (%v)\nappendGeneric %s (%v)", pb, got, gerr, want, werr)
		}
	}
	if taken < 2000 {
		t.Errorf("appendSpan took %d spans of 3000", taken)
	}
}

// perturb changes a span's wire form the ways appendSpan must notice:
// two fields swapped, a field repeated, an unknown field, a field of
// another wire type, a truncation.
func perturb(rng *rand.Rand, pb []byte) []byte {
	var fields [][]byte
	for b := pb; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if n < 0 || m < 0 {
			return pb
		}
		fields = append(fields, b[:n+m])
		b = b[n+m:]
	}
	switch rng.IntN(5) {
	case 0:
		if len(fields) > 1 {
			i := rng.IntN(len(fields) - 1)
			fields[i], fields[i+1] = fields[i+1], fields[i]
		}
	case 1:
		if len(fields) > 0 {
			i := rng.IntN(len(fields))
			fields = append(fields[:i+1], fields[i:]...)
		}
	case 2:
		fields = append(fields, protowire.AppendVarint(protowire.AppendTag(nil, protowire.Number(17+rng.IntN(3)), protowire.VarintType), 5))
	case 3:
		n := protowire.Number(1 + rng.IntN(16))
		fields = append([][]byte{protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.VarintType), 7)}, fields...)
	case 4:
		return pb[:rng.IntN(len(pb)+1)]
	}
	return bytes.Join(fields, nil)
}

// FuzzAppendSpanMatchesGeneric: for any bytes, appendSpan either declines
// or writes what appendGeneric writes (and fails where it fails).
func FuzzAppendSpanMatchesGeneric(f *testing.F) {
	rng := rand.New(rand.NewPCG(23, 24))
	for range 8 {
		sp := &tracepb.Span{}
		randomFill(sp.ProtoReflect(), rng, 3)
		pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(sp)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pb)
	}
	st := tables[Traces].fields[1].msg.fields[2].msg.fields[2].msg
	f.Fuzz(func(t *testing.T, pb []byte) {
		var fast, generic Encoder
		got, ok, gerr := fast.appendSpan(nil, st, pb, 0)
		if !ok {
			return
		}
		want, werr := generic.appendGeneric(nil, st, pb, 0)
		if (werr == nil) != (gerr == nil) || werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("span %x:\nappendSpan    %s (%v)\nappendGeneric %s (%v)", pb, got, gerr, want, werr)
		}
	})
}
