package otlpjson

import (
	"bytes"
	"encoding/binary"
)

// attrMemo remembers the JSON of recently written attributes (KeyValue
// messages) by their wire bytes. Telemetry repeats its attributes from
// span to span (a method, a route, a status code, a host), and finding a
// short one here costs a hash and a compare, a third of writing it
// again. It is direct-mapped with fixed slots: a miss overwrites its slot
// and nothing is allocated, so all-new attributes cost little more than
// without it.
type attrMemo struct {
	slots []memoSlot
}

const (
	memoBits    = 10
	memoSlots   = 1 << memoBits
	memoWireMax = 62 // longer attributes are written each time
	memoJSONMax = 126
)

type memoSlot struct {
	wireLen, jsonLen uint8
	wire             [memoWireMax]byte
	json             [memoJSONMax]byte
}

// slot picks wire's slot from its first and last eight bytes (the key's
// start, the value's end) and its length: a cheap hash whose collisions
// only cost a miss, as the slot keeps the whole wire form to compare.
func (m *attrMemo) slot(wire []byte) *memoSlot {
	if m.slots == nil {
		m.slots = make([]memoSlot, memoSlots)
	}
	var head, tail uint64
	if len(wire) >= 8 {
		head, tail = binary.LittleEndian.Uint64(wire), binary.LittleEndian.Uint64(wire[len(wire)-8:])
	} else {
		for i, c := range wire {
			head |= uint64(c) << (8 * i)
		}
	}
	h := (head*0x9e3779b97f4a7c15 ^ tail*0xc2b2ae3d27d4eb4f ^ uint64(len(wire))) * 0x165667b19e3779f9
	return &m.slots[h>>(64-memoBits)]
}

// find appends the remembered JSON of wire to dst; ok is false when it is
// not remembered (or too long to be).
func (m *attrMemo) find(dst, wire []byte) (_ []byte, s *memoSlot, ok bool) {
	if len(wire) > memoWireMax {
		return dst, nil, false
	}
	s = m.slot(wire)
	if int(s.wireLen) == len(wire) && s.jsonLen > 0 && bytes.Equal(s.wire[:s.wireLen], wire) {
		return append(dst, s.json[:s.jsonLen]...), s, true
	}
	return dst, s, false
}

// keep remembers json as the JSON of wire in its slot (from find).
func (s *memoSlot) keep(wire, json []byte) {
	if s == nil || len(json) > memoJSONMax {
		return
	}
	s.wireLen, s.jsonLen = uint8(len(wire)), uint8(len(json))
	copy(s.wire[:], wire)
	copy(s.json[:], json)
}
