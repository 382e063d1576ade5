package otlpjson

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// appendStringKV writes what the general path writes, byte for byte, for
// every attribute it takes, and takes every plain short string attribute;
// anything else (another value type, an escape, long lengths, a perturbed
// wire form) it leaves to the general path.
func TestAppendStringKVMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	kvt := tables[Traces].fields[1].msg.fields[2].msg.fields[2].msg.fields[9].msg // Span.attributes
	if kvt.fast != fastKeyValue {
		t.Fatal("not the KeyValue table")
	}
	var e Encoder
	check := func(pb []byte) bool {
		t.Helper()
		got, ok := appendStringKV([]byte("x"), pb)
		if !ok {
			return false
		}
		want, wok := e.appendKeyValue([]byte("x"), kvt, pb, 0)
		if !wok || !bytes.Equal(got, want) {
			t.Fatalf("attribute %x:\nappendStringKV %s\nappendKeyValue %s (%v)", pb, got, want, wok)
		}
		return true
	}
	marshal := func(kv *commonpb.KeyValue) []byte {
		pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(kv)
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	taken := 0
	for i := range 3000 {
		kv := &commonpb.KeyValue{}
		randomFill(kv.ProtoReflect(), rng, 3)
		pb := marshal(kv)
		if i%3 == 0 {
			pb = perturb(rng, pb)
		}
		if check(pb) {
			taken++
		}
	}
	if taken == 0 {
		t.Error("appendStringKV took no random attribute")
	}
	// Every plain string under a plain key, of every length the one-byte
	// lengths allow, is taken; an escape or a long one is not.
	for _, c := range []struct {
		k, v string
		take bool
	}{
		{"http.route", "/api/orders/{id}", true},
		{"k", "", true},
		{"user.id", strings.Repeat("u", 125), true},
		{"user.id", strings.Repeat("u", 126), false}, // the value's length takes two bytes
		{strings.Repeat("k", 127), "v", true},
		{strings.Repeat("k", 128), "v", false},
		{"q", `say "hi"`, false},
		{"ctl", "a\nb", false},
		{"", "no key", false},
	} {
		if got := check(marshal(str(c.k, c.v))); got != c.take {
			t.Errorf("%q=%q: taken %v, want %v", c.k, c.v, got, c.take)
		}
	}
	if check(marshal(&commonpb.KeyValue{Key: "n", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 7}}})) {
		t.Error("took an int attribute")
	}
}
