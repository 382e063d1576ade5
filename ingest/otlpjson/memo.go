package otlpjson

import "encoding/binary"

// attrMemo remembers the JSON of recently written attributes (KeyValue
// messages) by their wire bytes. Telemetry repeats its attributes from
// span to span (a method, a route, a status code, a host), and finding a
// short one here costs a hash, a compare and a copy, about a third of
// writing it again. It is direct-mapped with fixed slots: nothing is
// allocated, and a new attribute takes its slot from the one there. An
// attribute is kept the second time it is seen in a row: the first time
// only its tag (hash bits) is noted, so that attributes seen once (an
// ID, a path with one in it) cost a hash and a compare of tags.
//
// When few attributes repeat (under one in eight of a window's lookups
// find theirs), the memo stands aside for a while, so that traffic of
// new attributes does not pay for it.
type attrMemo struct {
	tags  *[memoSlots]uint32 // per slot: the hash bits with the low bit set when the slot holds them, clear when only seen
	slots *[memoSlots]memoSlot

	lookups, hits uint32 // in the current window
	bypass        uint32 // attributes still to write without the memo
}

const (
	memoBits    = 10
	memoSlots   = 1 << memoBits
	memoWireMax = 62 // longer attributes are written each time
	memoWireMin = 8  // and shorter ones: one word to hash and compare
	memoJSONMax = 128

	memoWindow  = 4096      // lookups between looks at the hit rate
	memoMinHits = 512       // hits a window needs for the memo to stay on
	memoBypass  = 16 * 4096 // attributes written without it when it does not
)

type memoSlot struct {
	wireLen, jsonLen uint8
	wire             [memoWireMax]byte
	json             [memoJSONMax]byte
}

// memoRef names the slot and tag of an attribute, for keep; i is -1 when
// it is not to be kept.
type memoRef struct {
	i   int
	tag uint32
}

// memoHash mixes wire's first and last eight bytes (the key's start, the
// value's end) and its length: cheap, and a collision only costs a miss,
// as the slot keeps the whole wire form to compare. wire has at least
// memoWireMin bytes.
func memoHash(wire []byte) uint64 {
	head, tail := binary.LittleEndian.Uint64(wire), binary.LittleEndian.Uint64(wire[len(wire)-8:])
	return (head*0x9e3779b97f4a7c15 ^ tail*0xc2b2ae3d27d4eb4f ^ uint64(len(wire))) * 0x165667b19e3779f9
}

// memorable reports whether an attribute's wire form is of a length the
// memo keeps: at most memoWireMax, and at least memoWireMin (only a
// one-letter key with a bool or an empty string is shorter).
func memorable(wire []byte) bool { return uint(len(wire)-memoWireMin) <= memoWireMax-memoWireMin }

// miss notes an attribute that appendKVs did not find, and returns where keep
// is to remember it: the second time it is seen in a row, or in place of
// another with the same hash bits.
func (m *attrMemo) miss(wire []byte) memoRef {
	if !memorable(wire) {
		return memoRef{i: -1}
	}
	if m.bypass > 0 {
		m.bypass--
		return memoRef{i: -1}
	}
	m.count()
	if m.tags == nil {
		m.tags = new([memoSlots]uint32)
		m.slots = new([memoSlots]memoSlot)
	}
	h := memoHash(wire)
	i, seen := int(h>>(64-memoBits)), uint32(h)&^1
	switch m.tags[i] {
	case seen | 1, seen: // another with the same bits, or the second time
		return memoRef{i: i, tag: seen | 1}
	}
	m.tags[i] = seen
	return memoRef{i: -1}
}

// count counts a lookup, and at the end of a window stands the memo
// aside when too few of its lookups found their attribute.
func (m *attrMemo) count() {
	if m.lookups++; m.lookups == memoWindow {
		if m.hits < memoMinHits {
			m.bypass = memoBypass
		}
		m.lookups, m.hits = 0, 0
	}
}

// holds reports whether the slot's wire form is wire (of the slot's
// length), comparing eight bytes at a time inline: attributes are a few
// dozen bytes, for which a call to the runtime's compare costs about as
// much as the comparing.
func (s *memoSlot) holds(wire []byte) bool {
	n := len(wire)
	for i := 0; i < n-8; i += 8 {
		if binary.LittleEndian.Uint64(s.wire[i:]) != binary.LittleEndian.Uint64(wire[i:]) {
			return false
		}
	}
	return binary.LittleEndian.Uint64(s.wire[n-8:]) == binary.LittleEndian.Uint64(wire[n-8:])
}

// appendJSON appends the slot's JSON to dst, as a copy of the whole
// fixed-size array when dst has room for it (no call to memmove, no
// switch on the length).
func (s *memoSlot) appendJSON(dst []byte) []byte {
	if n := len(dst); cap(dst)-n >= memoJSONMax {
		*(*[memoJSONMax]byte)(dst[n : n+memoJSONMax]) = s.json
		return dst[:n+int(s.jsonLen)]
	}
	return append(dst, s.json[:s.jsonLen]...)
}

// keep remembers json as the JSON of wire where miss said.
func (m *attrMemo) keep(ref memoRef, wire, json []byte) {
	if ref.i < 0 || len(json) > memoJSONMax {
		return
	}
	s := &m.slots[ref.i]
	s.wireLen, s.jsonLen = uint8(len(wire)), uint8(len(json))
	copy(s.wire[:], wire)
	copy(s.json[:], json)
	m.tags[ref.i] = ref.tag
}
