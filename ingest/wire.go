package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one protobuf field as read off the wire. For varint, fixed32 and
// fixed64 fields u holds the value; for length-delimited fields b holds the
// bytes (a sub-slice of the input, never copied).
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64
	b   []byte
}

// errTruncated is what a walk reports on bytes that are not protobuf.
var errTruncated = errors.New("truncated or invalid field")

// nextField reads one field from b and returns the rest. Groups (deprecated,
// never used by OTLP) are skipped whole; their content is not reported.
func nextField(b []byte) (field, []byte, error) {
	// Fast path, small enough to inline: a one-byte tag of a
	// length-delimited field shorter than 128 bytes, the commonest OTLP field.
	if len(b) >= 2 && b[0]&0x87 == 2 && b[0] >= 8 && b[1] < 0x80 && 2+int(b[1]) <= len(b) {
		return field{num: protowire.Number(b[0] >> 3), typ: protowire.BytesType, b: b[2 : 2+b[1]]}, b[2+b[1]:], nil
	}
	return nextFieldSlow(b)
}

// readField is nextField writing the field through f, for the hottest
// loops (results this large are copied on every return).
func readField(b []byte, f *field) ([]byte, error) {
	if len(b) >= 2 && b[0]&0x87 == 2 && b[0] >= 8 && b[1] < 0x80 && 2+int(b[1]) <= len(b) {
		f.num, f.typ, f.b = protowire.Number(b[0]>>3), protowire.BytesType, b[2:2+b[1]]
		return b[2+b[1]:], nil
	}
	// Spans are mostly 128 bytes to 16 KiB: a two-byte length.
	if len(b) >= 3 && b[0]&0x87 == 2 && b[0] >= 8 && b[1] >= 0x80 && b[2] < 0x80 {
		if l := int(b[1]&0x7f) | int(b[2])<<7; 3+l <= len(b) {
			f.num, f.typ, f.b = protowire.Number(b[0]>>3), protowire.BytesType, b[3:3+l]
			return b[3+l:], nil
		}
	}
	var err error
	*f, b, err = nextFieldSlow(b)
	return b, err
}

func nextFieldSlow(b []byte) (field, []byte, error) {
	// Next commonest: one-byte tags of short varints and fixed64 times.
	if len(b) >= 2 && b[0] < 0x80 && b[0] >= 8 {
		num, typ := protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
		switch typ {
		case protowire.VarintType:
			if b[1] < 0x80 {
				return field{num: num, typ: typ, u: uint64(b[1])}, b[2:], nil
			}
		case protowire.Fixed64Type:
			if len(b) >= 9 {
				return field{num: num, typ: typ, u: binary.LittleEndian.Uint64(b[1:])}, b[9:], nil
			}
		}
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return field{}, nil, wireErr(n)
	}
	b = b[n:]
	f := field{num: num, typ: typ}
	switch typ {
	case protowire.VarintType:
		f.u, n = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		f.u, n = protowire.ConsumeFixed64(b)
	case protowire.Fixed32Type:
		var v uint32
		v, n = protowire.ConsumeFixed32(b)
		f.u = uint64(v)
	case protowire.BytesType:
		f.b, n = protowire.ConsumeBytes(b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return field{}, nil, wireErr(n)
	}
	return f, b[n:], nil
}

// Span.flags bits (OTLP SpanFlags): whether the sender knows if the parent
// is remote, and whether it is.
const (
	spanFlagsHasIsRemote = 0x100
	spanFlagsIsRemote    = 0x200
	spanFlagsRemoteMask  = spanFlagsHasIsRemote | spanFlagsIsRemote
)

func wireErr(n int) error {
	if err := protowire.ParseError(n); err != nil {
		return err
	}
	return errTruncated
}

// malformed wraps a wire error with where it happened.
func malformed(where string, err error) error {
	return fmt.Errorf("malformed protobuf in %s: %w", where, err)
}
