package otlpjson

import (
	"encoding/binary"
	"slices"
)

// The wire types of the tags below.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// Span's fields as appendSpan reads them: number, wire type (one-byte
// tags).
const (
	spanTraceID      = 1<<3 | wireBytes
	spanSpanID       = 2<<3 | wireBytes
	spanTraceState   = 3<<3 | wireBytes
	spanParentSpanID = 4<<3 | wireBytes
	spanName         = 5<<3 | wireBytes
	spanKind         = 6<<3 | wireVarint
	spanStart        = 7<<3 | wireFixed64
	spanEnd          = 8<<3 | wireFixed64
	spanAttributes   = 9<<3 | wireBytes
	spanDroppedAttrs = 10<<3 | wireVarint
	spanEvents       = 11<<3 | wireBytes
	spanDroppedEvts  = 12<<3 | wireVarint
	spanLinks        = 13<<3 | wireBytes
	spanDroppedLinks = 14<<3 | wireVarint
	spanStatus       = 15<<3 | wireBytes
	spanFlags0       = 16<<3 | wireFixed32 | 0x80 // flags: fixed32, a two-byte tag
	spanFlags1       = 0x01
)

// spanKeys holds, by tag, what goes before a field's value: a comma, the
// name, and the opening quote of a value written in quotes (IDs and
// timestamps), so that each field takes one append.
var spanKeys = func() (k [0x80]string) {
	for tag, name := range map[byte]string{
		spanTraceID: "traceId", spanSpanID: "spanId", spanParentSpanID: "parentSpanId",
		spanStart: "startTimeUnixNano", spanEnd: "endTimeUnixNano",
	} {
		k[tag] = `,"` + name + `":"`
	}
	for tag, name := range map[byte]string{
		spanTraceState: "traceState", spanName: "name", spanKind: "kind", spanAttributes: "attributes",
		spanDroppedAttrs: "droppedAttributesCount", spanEvents: "events", spanDroppedEvts: "droppedEventsCount",
		spanLinks: "links", spanDroppedLinks: "droppedLinksCount", spanStatus: "status",
	} {
		k[tag] = `,"` + name + `":`
	}
	return k
}()

// appendSpan writes a Span as every OTLP exporter encodes one: fields in
// number order with their own wire types, the lists' elements together.
// It is appendGeneric for that case, switching on the tag byte rather
// than looking the field up and its kind. ok is false, with dst to be cut
// back, for anything else (an unknown field, another order, a wire type
// protobuf would take as unknown), which appendGeneric then writes.
func (e *Encoder) appendSpan(dst []byte, t *msgTable, b []byte, depth int) (_ []byte, ok bool, _ error) {
	if depth > maxDepth {
		return dst, false, nil
	}
	dst = append(dst, '{')
	comma := 1      // 0 once a field is written: spanKeys' comma stays
	last := byte(0) // the last tag written
	for len(b) > 0 {
		tag := b[0]
		if tag <= last || last == spanFlags0 {
			return dst, false, nil // out of order, or a field again (a list's elements are read together)
		}
		last = tag
		if tag == spanFlags0 {
			if len(b) < 6 || b[1] != spanFlags1 {
				return dst, false, nil
			}
			dst = append(dst, `,"flags":`[comma:]...)
			dst = appendUint(dst, uint64(uint32(b[2])|uint32(b[3])<<8|uint32(b[4])<<16|uint32(b[5])<<24))
			b = b[6:]
			continue
		}
		key := spanKeys[tag&0x7f]
		if key == "" || tag >= 0x80 {
			return dst, false, nil // unknown, or of another wire type
		}
		key, comma = key[comma:], 0
		switch tag {
		case spanTraceID, spanSpanID, spanParentSpanID, spanTraceState, spanName, spanStatus:
			var vb []byte
			if len(b) >= 2 && b[1] < 0x80 && int(b[1]) <= len(b)-2 {
				vb, b = b[2:2+int(b[1])], b[2+int(b[1]):]
			} else {
				v, n := consumeBytes(b[1:])
				if n < 0 {
					return dst, false, nil
				}
				vb, b = v, b[1+n:]
			}
			dst = append(dst, key...)
			switch tag {
			case spanTraceID:
				dst = append(e.traceIDs.append(dst, vb), '"')
			case spanParentSpanID:
				dst = append(e.parentIDs.append(dst, vb), '"')
			case spanSpanID:
				dst = append(appendHex(dst, vb), '"')
			case spanStatus:
				var err error
				if dst, err = e.appendMsg(dst, t.fields[15].msg, vb, depth+1); err != nil {
					return dst, true, err
				}
			default:
				dst = appendString(dst, vb)
			}
		case spanStart, spanEnd:
			if len(b) < 9 {
				return dst, false, nil
			}
			u := binary.LittleEndian.Uint64(b[1:9])
			b = b[9:]
			dst = append(dst, key...)
			dst = append(e.times.append(dst, u), '"')
		case spanKind, spanDroppedAttrs, spanDroppedEvts, spanDroppedLinks:
			u, n := consumeVarint(b[1:])
			if n < 0 {
				return dst, false, nil
			}
			b = b[1+n:]
			dst = append(dst, key...)
			if tag == spanKind {
				dst = appendInt(dst, int64(int32(u)))
			} else {
				dst = appendUint(dst, uint64(uint32(u)))
			}
		case spanAttributes, spanEvents, spanLinks:
			msg := t.fields[tag>>3].msg
			dst = append(dst, key...)
			dst = append(dst, '[')
			for elem := 0; len(b) > 0 && b[0] == tag; elem++ {
				vb, n := consumeBytes(b[1:])
				if n < 0 {
					return dst, false, nil
				}
				b = b[1+n:]
				if elem > 0 {
					dst = append(dst, ',')
				}
				var err error
				if tag == spanAttributes {
					dst, b, err = e.appendKVs(dst, msg, tag, vb, b, depth+1)
				} else {
					dst, err = e.appendMsg(dst, msg, vb, depth+1)
				}
				if err != nil {
					return dst, true, err
				}
			}
			dst = append(dst, ']')
		default:
			return dst, false, nil
		}
	}
	return append(dst, '}'), true, nil
}

// lastID keeps the hex of the last ID written in its place (a span's
// trace, its parent): the spans of a trace, and siblings, often come one
// after another, and then the ID is the one before.
type lastID struct {
	id  [16]byte
	n   int // bytes of id in use: 0, or 8 or 16 as an ID has
	hex [32]byte
}

// append writes id in hex, as appendHex does.
func (l *lastID) append(dst, id []byte) []byte {
	if len(id) != 8 && len(id) != 16 {
		return appendHex(dst, id)
	}
	if len(id) != l.n || string(l.id[:len(id)]) != string(id) {
		l.n = copy(l.id[:], id)
		appendHex(l.hex[:0], id)
	}
	n := len(dst)
	if cap(dst)-n < len(l.hex) {
		dst = slices.Grow(dst, len(l.hex))
	}
	out := dst[:n+len(l.hex)]
	*(*[32]byte)(out[n:]) = l.hex // the whole array: a fixed-size copy
	return out[:n+2*len(id)]
}
