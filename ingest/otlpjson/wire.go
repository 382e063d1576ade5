package otlpjson

import "google.golang.org/protobuf/encoding/protowire"

// The wire readers of the encoder: the one- and two-byte forms that
// nearly every tag and length takes are read inline; anything else (and
// every error) goes to protowire, which says what is wrong.

func consumeVarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	if len(b) > 1 && b[1] < 0x80 {
		return uint64(b[0]&0x7f) | uint64(b[1])<<7, 2
	}
	return protowire.ConsumeVarint(b)
}

func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	if len(b) > 0 && b[0] < 0x80 && b[0] >= 1<<3 {
		return protowire.Number(b[0] >> 3), protowire.Type(b[0] & 7), 1
	}
	return protowire.ConsumeTag(b)
}

func consumeBytes(b []byte) ([]byte, int) {
	m, n := consumeVarint(b)
	if n < 0 || m > uint64(len(b)-n) {
		return protowire.ConsumeBytes(b)
	}
	return b[n : n+int(m)], n + int(m)
}
